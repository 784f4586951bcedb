import type { RuntimeName } from '../runners/types.js';
import type { ModeResult } from './bench.js';

const RUNTIME_PACKAGE: Record<RuntimeName, string> = { node: 'onnxruntime-node', web: 'onnxruntime-web in Node', browser: 'onnxruntime-web in the browser' };

const ms = (s: number): string => (s * 1000).toFixed(2);

/**
 * The readable summary after the seeds' lines: one row per mode in milliseconds, then where it ran.
 */
export function formatSummary(results: ModeResult[]): string {
  if (!results.length) return '';
  const header = ['mode', 'mean ms', 'sd', 'min', 'p50', 'p90', 'p99', 'max', 'images/s', 'GFLOP/s', 'session ms', 'first run ms'];
  const rows = results.map((r) => [
    r.mode,
    ms(r.mean_s),
    ms(r.sd_s),
    ms(r.min_s),
    ms(r.p50_s),
    ms(r.p90_s),
    ms(r.p99_s),
    ms(r.max_s),
    r.images_per_s.toFixed(1),
    r.gflops_per_s === null ? 'n/a' : r.gflops_per_s.toFixed(1),
    ms(r.session_create_s),
    ms(r.first_run_s),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const r0 = results[0]!;
  const out = [line(header), ...rows.map(line)];
  out.push(`ONNX Runtime ${r0.ort_version} (${RUNTIME_PACKAGE[r0.runtime as RuntimeName] ?? r0.runtime}), EP ${r0.ep}, device: ${r0.device}`);
  for (const r of results) {
    const fallback = r.fallback_nodes.length ? `${r.fallback_nodes.length} node(s) on the CPU` : `all nodes on ${r.ep}`;
    const flops = r.flops_per_batch === null ? 'n/a' : `${(r.flops_per_batch / 1e9).toFixed(2)} GFLOP/batch`;
    out.push(`${r.mode}: batch ${r.batch}, ${r.steps} steps after ${r.burn_in} burn-in, input on ${r.input}, fetch ${describeFetch(r)}, ${flops}, LRN ${r.formulation.lrn_impl}${r.formulation.dropout_impl === "-" ? "" : `, dropout ${r.formulation.dropout_impl}`}, MaxPool grad ${r.formulation.maxpool_grad}, conv weight grad ${r.formulation.conv_weight_grad}, ${fallback}`);
  }
  return out.join('\n');
}

function describeFetch(r: ModeResult): string {
  if (r.fetch.length === 1) return r.fetch[0]!;
  return `${r.fetch.length} gradients`;
}
