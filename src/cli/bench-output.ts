/**
 * Where `bench` puts its results: the summary on the terminal, the `--json` report (a file, or stdout with `-`) and
 * the `--append` JSON Lines file; the checks of both paths before the run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatSummary } from '../bench/report.js';
import { jsonLines, jsonReport } from '../bench/report-json.js';
import type { ModeResult } from '../bench/types.js';
import { outputProblem, sameFile, writeFileAtomic } from '../common/files.js';
import { oneLine, UsageError } from './errors.js';

/** Where the results go: `json` (`-`: stdout) and `append`, as given on the command line. */
export interface ResultOutputs {
  json?: string;
  append?: string;
}

/**
 * yargs middleware, before validation: yargs reads `--json -` as an empty `--json` and a positional `-` (stdin's
 * name elsewhere). bench has no positional arguments, so that `-` is the value of `--json`, and validation would
 * otherwise refuse it as an unknown argument.
 */
export function jsonDashAsValue(argv: { json?: unknown; _: (string | number)[] }): void {
  if (argv.json === undefined) return;
  // a repeated --json is still an array here (its last value counts: src/cli/repeated.ts); each `-` is one of them
  const values: unknown[] = Array.isArray(argv.json) ? [...argv.json] : [argv.json];
  for (const [i, value] of values.entries()) {
    const dash = argv._.indexOf('-');
    if (value !== '' || dash < 0) continue;
    values[i] = '-';
    argv._.splice(dash, 1);
  }
  argv.json = Array.isArray(argv.json) ? values : values[0];
}

/**
 * Runs `run` with every human line on stderr when the JSON goes to stdout (`--json -`), so that stdout carries the
 * JSON alone (`bench --json - | jq`). `console.log` is redirected rather than each call site changed: the header,
 * the seeds' lines, the library's notes and warnings and the summary all go through it.
 */
export async function withHumanLinesOn(out: ResultOutputs, run: () => Promise<void>): Promise<void> {
  const humanLog = console.log;
  if (out.json === '-') console.log = console.error;
  try {
    await run();
  } finally {
    console.log = humanLog;
  }
}

/** Refuses, before the benchmark runs, an empty, unwritable `--json` or `--append` path, or one that is the model timed. */
export function checkOutputs(out: ResultOutputs, model: string | undefined): void {
  for (const option of ['json', 'append'] as const) {
    const path = out[option];
    if (path === undefined || (option === 'json' && path === '-')) continue;
    if (path === '') throw new UsageError(`--${option} needs a file name`);
    if (model !== undefined && sameFile(path, model)) {
      const what = option === 'json' ? 'replace' : 'be appended to';
      throw new UsageError(`--${option} ${path} is the --model file: the results would ${what} the model`);
    }
    const problem = outputProblem(path);
    if (problem) throw new UsageError(`--${option} ${path}: ${problem}`);
  }
}

/**
 * Prints the summary table of `results`, saves them to `--json` (`-`: stdout) and appends them to `--append`.
 * Synchronous, as it also runs in the signal handler. Returns why a file could not be written: that file's JSON then
 * went to stderr instead, so the results are never lost.
 */
export function reportResults(results: ModeResult[], out: ResultOutputs): string | undefined {
  if (!results.length) return undefined;
  console.log(formatSummary(results));
  const problems: string[] = [];
  if (out.json !== undefined) {
    const text = jsonReport(results);
    try {
      // `-`: this process's own stdout, written through its descriptor (see writeFileAtomic)
      writeFileAtomic(out.json === '-' ? '/dev/stdout' : out.json, new TextEncoder().encode(text));
      if (out.json !== '-') console.log(`wrote ${out.json}`);
    } catch (err) {
      process.stderr.write(text);
      problems.push(`${oneLine(err)}; the JSON report is on stderr above`);
    }
  }
  if (out.append !== undefined) {
    const lines = jsonLines(results);
    try {
      mkdirSync(dirname(out.append), { recursive: true });
      // one append of every line: O_APPEND never truncates, and adds at the end even beside another writer
      appendFileSync(out.append, lines);
      console.log(`appended ${results.length} line(s) to ${out.append}`);
    } catch (err) {
      process.stderr.write(lines);
      problems.push(`cannot append to ${out.append}: ${oneLine(err)}; its JSON lines are on stderr above`);
    }
  }
  return problems.length ? problems.join('; ') : undefined;
}
