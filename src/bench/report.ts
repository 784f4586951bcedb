// No Node imports here: the browser page builds its table with these functions too.
import type { RuntimeName } from '../common/eps.js';
import { formatTable } from '../common/table.js';
import { describeFormulation } from '../model/formulation.js';
import type { Statistics } from './statistics.js';
import type { ModeResult, OptimizerReport, ProfileMethod } from './types.js';

const RUNTIME_PACKAGE: Record<RuntimeName, string> = {
  node: 'onnxruntime-node',
  web: 'onnxruntime-web in Node',
  browser: 'onnxruntime-web in the browser',
};

const ms = (s: number): string => (s * 1000).toFixed(2);

/** The summary table's columns. */
export const SUMMARY_HEADER = [
  'mode',
  'mean ms',
  'sd',
  'min',
  'p50',
  'p90',
  'p99',
  'max',
  'images/s',
  'GFLOP/s',
  'session ms',
  'first run ms',
];

/** One summary row: step statistics in ms, throughput, and the one-off costs, all from seconds. */
export function summaryCells(
  mode: string,
  s: Statistics,
  batch: number,
  flopsPerBatch: number | null,
  sessionCreateS: number,
  firstRunS: number,
): string[] {
  const gflops = flopsPerBatch === null ? 'n/a' : (flopsPerBatch / s.mean / 1e9).toFixed(1);
  return [
    mode,
    ms(s.mean),
    ms(s.sd),
    ms(s.min),
    ms(s.p50),
    ms(s.p90),
    ms(s.p99),
    ms(s.max),
    (batch / s.mean).toFixed(1),
    gflops,
    ms(sessionCreateS),
    ms(firstRunS),
  ];
}

/** Peak RSS in MB (1e6 bytes), or `n/a` where it is not known. */
export function peakMbCell(bytes: number | null | undefined): string {
  return typeof bytes === 'number' ? (bytes / 1e6).toFixed(0) : 'n/a';
}

/**
 * The readable summary after the seeds' lines: one row per mode in milliseconds with the mode's peak memory (`peak
 * MB`: the process's peak RSS while the mode ran), then where it ran.
 */
export function formatSummary(results: ModeResult[]): string {
  if (!results.length) return '';
  const rows = results.map((r) => [
    ...summaryCells(
      r.mode,
      { n: r.steps, mean: r.mean_s, sd: r.sd_s, min: r.min_s, p50: r.p50_s, p90: r.p90_s, p99: r.p99_s, max: r.max_s },
      r.batch,
      r.flops_per_batch,
      r.session_create_s,
      r.first_run_s,
    ),
    peakMbCell(r.peak_rss_bytes),
  ]);
  const r0 = results[0]!;
  const out = [formatTable([...SUMMARY_HEADER, 'peak MB'], rows)];
  out.push(
    `ONNX Runtime ${r0.ort_version} (${RUNTIME_PACKAGE[r0.runtime as RuntimeName] ?? r0.runtime}), EP ${r0.ep}, device: ${r0.device}`,
  );
  for (const r of results) {
    const fallback = r.fallback_nodes.length ? `${r.fallback_nodes.length} node(s) on the CPU` : `all nodes on ${r.ep}`;
    const flops = r.flops_per_batch === null ? 'n/a' : `${(r.flops_per_batch / 1e9).toFixed(2)} GFLOP/batch`;
    const optimizer = r.optimizer ? `, ${describeOptimizerReport(r.optimizer)}` : '';
    out.push(
      `${r.mode}: batch ${r.batch}, ${r.steps} steps after ${r.burn_in} burn-in, input on ${r.input}, fetch ${describeFetch(r)}, ${flops}, ${describeFormulation(r.formulation)}${optimizer}, ${fallback}`,
    );
  }
  if (results.some((r) => r.runtime === 'browser' && r.peak_rss_bytes === null))
    out.push("peak MB: n/a for --runtime browser: the page runs in Chromium's renderer process, not in this one");
  return out.join('\n');
}

function describeFetch(r: ModeResult): string {
  if (r.fetch.length === 1) return r.fetch[0]!;
  if (r.mode === 'train-step') return `${r.fetch[0]} and ${r.fetch.length - 1} .next outputs (fed back)`;
  return `${r.fetch.length} gradients`;
}

/** `adamw (lr 0.001, beta1 0.9, ...)`: a report's optimizer, its fields as the JSON names them. */
export function describeOptimizerReport(o: OptimizerReport): string {
  const { kind, ...values } = o;
  return `${kind} (${Object.entries(values)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`;
}

/**
 * How `--profile` timed the layers, in the per-layer tables' titles: ONNX Runtime's profiler (kernel time, or GPU time
 * on WebGPU) or prefix timing; with `steps`, over how many steps.
 */
export function describeProfileMethod(method: ProfileMethod, ep: string, steps?: number): string {
  if (method === 'prefix')
    return `prefix timing: step time up to each layer minus up to the one before${steps ? `, mean of ${steps} steps each` : ''}`;
  const clock = ep === 'webgpu' ? 'GPU time from WebGPU timestamps' : 'kernel time';
  return `ONNX Runtime profiler, ${steps ? `mean of ${steps} steps, ` : ''}${clock}`;
}
