// Only type imports here: the browser page builds its table with these functions too.
import type { RuntimeName } from '../runners/types.js';
import type { ModeResult } from './bench.js';
import type { Statistics } from './statistics.js';

const RUNTIME_PACKAGE: Record<RuntimeName, string> = { node: 'onnxruntime-node', web: 'onnxruntime-web in Node', browser: 'onnxruntime-web in the browser' };

const ms = (s: number): string => (s * 1000).toFixed(2);

/** The summary table's columns. */
export const SUMMARY_HEADER = ['mode', 'mean ms', 'sd', 'min', 'p50', 'p90', 'p99', 'max', 'images/s', 'GFLOP/s', 'session ms', 'first run ms'];

/** One summary row: step statistics in ms, throughput, and the one-off costs, all from seconds. */
export function summaryCells(mode: string, s: Statistics, batch: number, flopsPerBatch: number | null, sessionCreateS: number, firstRunS: number): string[] {
  const gflops = flopsPerBatch === null ? 'n/a' : (flopsPerBatch / s.mean / 1e9).toFixed(1);
  return [mode, ms(s.mean), ms(s.sd), ms(s.min), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), (batch / s.mean).toFixed(1), gflops, ms(sessionCreateS), ms(firstRunS)];
}

/** How a graph is written: the choices that change the graph, not its math (`-` where one does not apply). */
export interface Formulation {
  lrn_impl: string;
  dropout_impl: string;
  maxpool_grad: string;
  conv_weight_grad: string;
  conv_data_grad: string;
}

/** `LRN decomposed, MaxPool grad mask, conv weight grad conv`: the choices that apply, for every line that names them. */
export function describeFormulation(f: Formulation): string {
  const parts: [string, string][] = [['LRN', f.lrn_impl], ['dropout', f.dropout_impl], ['MaxPool grad', f.maxpool_grad], ['conv weight grad', f.conv_weight_grad], ['conv data grad', f.conv_data_grad]];
  return parts.filter(([, v]) => v !== '-').map(([k, v]) => `${k} ${v}`).join(', ');
}

/** `WebAssembly SIMD, 2 threads` and what limits them, for device lines. */
export function describeWasmThreads(threads: number, note = ''): string {
  return `WebAssembly SIMD, ${threads} thread${threads === 1 ? '' : 's'}${note}`;
}

/**
 * The readable summary after the seeds' lines: one row per mode in milliseconds, then where it ran.
 */
export function formatSummary(results: ModeResult[]): string {
  if (!results.length) return '';
  const header = SUMMARY_HEADER;
  const rows = results.map((r) =>
    summaryCells(r.mode, { n: r.steps, mean: r.mean_s, sd: r.sd_s, min: r.min_s, p50: r.p50_s, p90: r.p90_s, p99: r.p99_s, max: r.max_s }, r.batch, r.flops_per_batch, r.session_create_s, r.first_run_s),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const r0 = results[0]!;
  const out = [line(header), ...rows.map(line)];
  out.push(`ONNX Runtime ${r0.ort_version} (${RUNTIME_PACKAGE[r0.runtime as RuntimeName] ?? r0.runtime}), EP ${r0.ep}, device: ${r0.device}`);
  for (const r of results) {
    const fallback = r.fallback_nodes.length ? `${r.fallback_nodes.length} node(s) on the CPU` : `all nodes on ${r.ep}`;
    const flops = r.flops_per_batch === null ? 'n/a' : `${(r.flops_per_batch / 1e9).toFixed(2)} GFLOP/batch`;
    out.push(`${r.mode}: batch ${r.batch}, ${r.steps} steps after ${r.burn_in} burn-in, input on ${r.input}, fetch ${describeFetch(r)}, ${flops}, ${describeFormulation(r.formulation)}, ${fallback}`);
  }
  return out.join('\n');
}

function describeFetch(r: ModeResult): string {
  if (r.fetch.length === 1) return r.fetch[0]!;
  return `${r.fetch.length} gradients`;
}
