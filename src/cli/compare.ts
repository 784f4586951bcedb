import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { compareChartSvg, formatRatioTable, formatThroughputTable, targetName } from '../bench/compare.js';
import { ReportFileError, readRuns } from '../bench/compare-input.js';
import { formatLayerComparison } from '../bench/compare-layers.js';
import { outputProblem, writeFileAtomic } from '../common/files.js';
import { UsageError } from './errors.js';

/** What `compare --out DIR` writes in DIR: the table and the chart. */
export const OUT_FILES = { table: 'compare.txt', chart: 'compare.svg' };

export const command = 'compare <reports..>';
export const describe =
  "Compare saved 'bench --json' reports and '--append' files: each mode's mean (forward, forward-backward, train-step) against a baseline run, each layer's time side by side where the runs have --profile times, and an SVG chart";

export function builder(y: Argv) {
  return y
    .positional('reports', {
      describe: "files written by 'bench --json' or 'bench --append' (or the PyTorch or TensorFlow peer)",
      type: 'string',
      array: true,
      demandOption: true,
    })
    .option('baseline', {
      describe: 'the run the others are divided by: its # in the table (default: the first)',
      type: 'number',
      default: 1,
    })
    .option('out', {
      alias: 'o',
      describe: `write the table and the chart into this folder (${OUT_FILES.table}, ${OUT_FILES.chart})`,
      type: 'string',
    })
    .option('svg', { describe: 'write the chart to this file', type: 'string' })
    .group(['baseline'], 'Compare:')
    .group(['out', 'svg'], 'Output:')
    .example('$0 compare cpu.json wasm.json', 'each mode of wasm.json against cpu.json')
    .example('$0 compare a.json b.json --baseline 2 --svg ab.svg', 'against b.json; the bar chart to ab.svg')
    .example('$0 compare series.jsonl -o out', 'every run of an --append file; table and chart to out/')
    .example('$0 compare ours.json tf.json', 'reports made with --profile N: also a table per layer');
}

type Args = ArgumentsCamelCase<{ reports: string[]; baseline: number; out?: string; svg?: string }>;

/** Where the chart (and with `--out` the table) go, checked before anything is read. */
function destinations(args: Args): { table?: string; chart?: string } {
  if (args.out !== undefined && args.svg !== undefined)
    throw new UsageError(`--out ${args.out} already holds the chart (${OUT_FILES.chart}): give --out or --svg, not both`);
  for (const [option, path] of [
    ['out', args.out],
    ['svg', args.svg],
  ] as const)
    if (path === '') throw new UsageError(`--${option} needs a ${option === 'out' ? 'folder' : 'file'} name`);
  const paths =
    args.out === undefined ? { chart: args.svg } : { table: join(args.out, OUT_FILES.table), chart: join(args.out, OUT_FILES.chart) };
  for (const path of [paths.table, paths.chart]) {
    const problem = path === undefined ? undefined : outputProblem(path);
    if (problem) throw new UsageError(`${args.out === undefined ? '--svg' : '--out'} ${path}: ${problem}`);
  }
  return paths;
}

export function handler(args: Args): void {
  const out = destinations(args);
  let runs: ReturnType<typeof readRuns>;
  try {
    runs = readRuns(args.reports);
  } catch (err) {
    if (err instanceof ReportFileError) throw new UsageError(err.message);
    throw err;
  }
  if (!Number.isSafeInteger(args.baseline) || args.baseline < 1 || args.baseline > runs.length)
    throw new UsageError(`--baseline must be a run's # in the table, 1 to ${runs.length}, got ${args.baseline}`);
  const throughput = formatThroughputTable(runs.flatMap((r) => r.entries));
  // the runs' numbers in the ratio table name their per-layer columns
  const layers = formatLayerComparison(runs, (_, i) => `#${i + 1}`);
  const text = [formatRatioTable(runs, args.baseline - 1), ...(throughput ? ['', throughput] : []), ...(layers ? ['', layers] : [])].join(
    '\n',
  );
  console.log(text);
  const encode = (s: string): Uint8Array => new TextEncoder().encode(s);
  if (out.table) {
    writeFileAtomic(out.table, encode(`${text}\n`));
    console.log(`wrote ${out.table}`);
  }
  if (out.chart) {
    const title = `AlexNet: mean ms per batch (log scale), ${runs.length} run${runs.length > 1 ? 's' : ''}`;
    // the chart has no table beside it: each bar's name says what ran
    const named = runs.map((r) => ({ ...r, label: `${r.label}: ${targetName(r.entries[0]!)}` }));
    writeFileAtomic(out.chart, encode(compareChartSvg(named, title)));
    console.log(`wrote ${out.chart}`);
  }
}
