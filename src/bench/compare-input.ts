/**
 * Saved results as `alexnet-onnx compare` and scripts/compare.mjs read them: a `bench --json` report (one JSON
 * array), an `--append` file (JSON Lines: one object a line, any number of runs), or the PyTorch or TensorFlow peer's
 * report, of any report schema (1 to 4: train-step entries came with 4), with or without per-layer `profile` rows.
 * Each file is checked as a report and split into runs.
 */
import { readFileSync } from 'node:fs';
import type { ReportEntry, Run } from './compare.js';
import { ALL_BENCH_MODES } from './types.js';

/** A file that cannot be compared: unreadable, or not a bench report. Its message names the file. */
export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

/** Why `value` is not a report entry the comparison can read, or undefined when it is one. */
function entryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const e = value as Record<string, unknown>;
  for (const key of ['runtime', 'ep', 'device'])
    if (typeof e[key] !== 'string') return `has no ${key} string (a bench --json report has runtime, ep, mode, batch, mean_s, sd_s)`;
  if (!(ALL_BENCH_MODES as readonly unknown[]).includes(e.mode))
    return `has mode ${JSON.stringify(e.mode)}, not one of ${ALL_BENCH_MODES.join(', ')}`;
  if (!Number.isSafeInteger(e.batch) || (e.batch as number) < 1) return 'has no batch (a positive integer)';
  if (typeof e.mean_s !== 'number' || !(e.mean_s > 0)) return 'has no mean_s (seconds, above 0)';
  if (typeof e.sd_s !== 'number' || !(e.sd_s >= 0)) return 'has no sd_s (seconds, 0 or more)';
  if (e.mode === 'train-step') {
    const o = e.optimizer as Record<string, unknown> | null | undefined;
    if (typeof o !== 'object' || o === null || typeof o.kind !== 'string' || typeof o.lr !== 'number')
      return 'has mode train-step but no optimizer (an object with kind and lr)';
  }
  if (e.profile !== undefined && e.profile !== null) {
    const rows = Array.isArray(e.profile) ? (e.profile as Record<string, unknown>[]) : undefined;
    const ok = (r: Record<string, unknown>): boolean =>
      typeof r === 'object' && r !== null && typeof r.layer === 'string' && Number.isFinite(r.forward_ms) && Number.isFinite(r.backward_ms);
    if (!rows?.every(ok)) return 'has a profile that is not a list of {layer, forward_ms, backward_ms}';
  }
  return undefined;
}

/**
 * The report entries in a file's text: one JSON array (`--json`), one JSON object, or JSON Lines (`--append`). `name`
 * names the file in the error thrown for anything else.
 */
export function parseReportEntries(text: string, name: string): ReportEntry[] {
  const not = (why: string) => new ReportFileError(`${name} is not a bench --json report or --append file: ${why}`);
  let values: unknown[];
  try {
    const whole: unknown = JSON.parse(text);
    values = Array.isArray(whole) ? whole : [whole];
  } catch {
    const lines = text.split('\n');
    values = [];
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      try {
        values.push(JSON.parse(line));
      } catch {
        throw not(`line ${i + 1} is not JSON`);
      }
    }
  }
  if (!values.length) throw not('it holds no results');
  for (const [i, v] of values.entries()) {
    const problem = entryProblem(v);
    if (problem) throw not(`${values.length > 1 ? `entry ${i + 1}` : 'its entry'} ${problem}`);
  }
  return values as ReportEntry[];
}

/**
 * A file's entries as runs: a new run begins where the start time (`started_at`), the runtime/EP or the batch changes,
 * or where a mode comes again, so that an `--append` series is one run per bench. Runs are named `name`, or
 * `name#2` ... when the file holds more than one.
 */
export function splitRuns(entries: ReportEntry[], name: string): Run[] {
  const groups: ReportEntry[][] = [];
  for (const e of entries) {
    const current = groups.at(-1);
    const last = current?.at(-1);
    const same =
      current &&
      last &&
      last.started_at === e.started_at &&
      `${last.runtime}/${last.ep}` === `${e.runtime}/${e.ep}` &&
      last.batch === e.batch &&
      !current.some((c) => c.mode === e.mode);
    if (same) current.push(e);
    else groups.push([e]);
  }
  return groups.map((g, i) => ({ label: groups.length > 1 ? `${name}#${i + 1}` : name, entries: g }));
}

/** Every run in the files at `paths`, in order; a file that cannot be read or is not a report throws a ReportFileError. */
export function readRuns(paths: readonly string[]): Run[] {
  return paths.flatMap((path) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (err as Error).message;
      throw new ReportFileError(`cannot read ${path}: ${why}`);
    }
    return splitRuns(parseReportEntries(text, path), path);
  });
}
