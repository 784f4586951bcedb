import type { KernelEvent } from '../runners/placement.js';

/** Time per step in one layer, split by direction, in milliseconds. */
export interface LayerTime {
  layer: string;
  forward_ms: number;
  backward_ms: number;
}

const LAYER = /^(conv\d+|lrn\d+|pool\d+|fc\d+|flatten|loss|grad_sq_sum)/;

/**
 * The layer and direction of a kernel, from the node names alexnet-onnx writes (`conv2.conv`, `lrn1`,
 * `pool1.grad.scatter`, `conv2_grad.sum`, `conv1.weight_grad.sum_sq`, ...). ONNX Runtime renames nodes it fuses or
 * inserts: `<name>_nchwc` keeps the layer; reorders, copies and other inserted nodes are reported as `(runtime)`.
 * `output` is the model's last layer (`finalLayer`), whose node writes the graph output.
 */
export function layerOf(node: string, finalLayer: string): { layer: string; backward: boolean } {
  const backward = /\.grad\b|_grad\b/.test(node);
  if (/\.weight_grad\.sum_sq|\.bias_grad\.sum_sq|^grad_sq_sum/.test(node)) return { layer: 'grad_sq_sum', backward: true };
  const name = node.startsWith('output') ? finalLayer + node.slice('output'.length) : node;
  const m = LAYER.exec(name);
  return { layer: m ? m[1]! : '(runtime)', backward };
}

/**
 * Sums kernel time per layer and direction over the given runs and divides by their number, so each row is the
 * time of one step. Rows follow the network's order (first appearance in the forward pass).
 */
export function perLayer(events: KernelEvent[], runs: number, finalLayer: string): LayerTime[] {
  const rows = new Map<string, LayerTime>();
  for (const e of events) {
    const { layer, backward } = layerOf(e.node, finalLayer);
    const row = rows.get(layer) ?? { layer, forward_ms: 0, backward_ms: 0 };
    if (backward) row.backward_ms += e.dur / 1000 / runs;
    else row.forward_ms += e.dur / 1000 / runs;
    rows.set(layer, row);
  }
  const order = (l: string): number => {
    const m = /^(conv|lrn|pool|fc)(\d+)$/.exec(l);
    if (m) return Number(m[2]) * 10 + { conv: 0, lrn: 1, pool: 2, fc: 0 }[m[1] as 'conv']!;
    return { flatten: 55, loss: 200, grad_sq_sum: 300, '(runtime)': 400 }[l] ?? 500;
  };
  return [...rows.values()].sort((a, b) => order(a.layer) - order(b.layer));
}

/** A per-layer table as convnet-benchmarks prints it: forward and backward per layer, with totals. */
export function formatLayerTable(rows: LayerTime[], title: string): string {
  const total = rows.reduce((s, r) => s + r.forward_ms + r.backward_ms, 0);
  const lines = [title, `${'layer'.padEnd(12)}${'forward ms'.padStart(12)}${'backward ms'.padStart(13)}${'share'.padStart(8)}`];
  for (const r of rows) {
    const share = total ? ((r.forward_ms + r.backward_ms) / total) * 100 : 0;
    lines.push(`${r.layer.padEnd(12)}${r.forward_ms.toFixed(2).padStart(12)}${r.backward_ms.toFixed(2).padStart(13)}${`${share.toFixed(1)}%`.padStart(8)}`);
  }
  const f = rows.reduce((s, r) => s + r.forward_ms, 0);
  const b = rows.reduce((s, r) => s + r.backward_ms, 0);
  lines.push(`${'total'.padEnd(12)}${f.toFixed(2).padStart(12)}${b.toFixed(2).padStart(13)}${'100%'.padStart(8)}`);
  return lines.join('\n');
}
