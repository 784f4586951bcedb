import { IMAGES, layerOf, OPTIMIZER_LAYER } from '../model/names.js';
import { makeNode } from '../onnx/builder.js';
import { pruneGraph } from '../onnx/prune.js';
import { attr, type Graph, type Node } from '../onnx/types.js';
import type { LayerTime } from './types.js';

/** The per-layer tables' row of a training step's optimizer update. */
export const UPDATE_ROW = 'update';

/**
 * The row and column a layer's time goes to in the per-layer tables: the optimizer's nodes make the `update` row, in
 * the backward column (it runs after the backward pass, on its gradients); every other layer is its own row.
 */
export function profileRow(layer: string, backward: boolean): { row: string; backward: boolean } {
  return layer === OPTIMIZER_LAYER ? { row: UPDATE_ROW, backward: true } : { row: layer, backward };
}

/** A run of consecutive nodes of one layer and direction, in graph order. */
export interface LayerGroup {
  layer: string;
  backward: boolean;
  nodes: Node[];
}

/**
 * The nodes that `fetches` need, as contiguous groups by layer and direction: conv1, lrn1, ..., pool5, loss, then
 * the backward groups from pool5 down to conv1, as alexnet-onnx writes its graphs.
 */
export function layerGroups(graph: Graph, fetches: string[], finalLayer: string): LayerGroup[] {
  const groups: LayerGroup[] = [];
  for (const n of pruneGraph(graph, fetches).nodes) {
    const { layer, backward } = layerOf(n.name, finalLayer);
    const last = groups[groups.length - 1];
    if (last && last.layer === layer && last.backward === backward) last.nodes.push(n);
    else groups.push({ layer, backward, nodes: [n] });
  }
  return groups;
}

/** Name of the one output of a `prefixGraph`. */
export const PROBE = 'probe';

/**
 * The graph of the first `k` groups, for per-layer times where no profiler times kernels on the device (this CUDA EP
 * build has no CUPTI; the browser page's profile is out of reach). Its one output, `probe`, sums (ReduceSum, then Sum)
 * every float tensor those groups produce and none of their nodes consume, so that all of them run, at the cost of
 * a scalar copy. `k = 0` sums the images: the fixed cost of a run.
 */
export function prefixGraph(graph: Graph, groups: LayerGroup[], k: number): Graph {
  const produced = new Set<string>();
  const consumed = new Set<string>();
  for (const n of groups.slice(0, k).flatMap((g) => g.nodes)) {
    n.outputs.forEach((o) => produced.add(o));
    n.inputs.forEach((i) => consumed.add(i));
  }
  const sinks = k === 0 ? [IMAGES] : [...produced].filter((t) => !consumed.has(t) && graph.types.get(t)?.dtype === 'float32');
  const nodes = [...graph.nodes];
  const types = new Map(graph.types);
  const scalar = { dtype: 'float32' as const, shape: [] };
  const sums = sinks.map((t, i) => {
    const out = sinks.length === 1 ? PROBE : `${PROBE}.${i}`;
    nodes.push(makeNode('ReduceSum', [t], [out], { keepdims: attr.int(0) }));
    types.set(out, scalar);
    return out;
  });
  if (sinks.length > 1) nodes.push(makeNode('Sum', sums, [PROBE]));
  types.set(PROBE, scalar);
  return pruneGraph({ ...graph, nodes, types }, [PROBE]);
}

/**
 * Per-layer rows from the mean step time of each `prefixGraph` (`prefixMs[k]` for the first k groups) and of the
 * whole step (`stepMs`, with the step's own fetches): a group's time is its prefix's minus the one before. `(run)` is
 * the fixed cost of a run; `(fetch)` is what the step's own fetches add over the last probe (copying the gradients to
 * the host), in the column of the step's last direction. A layer's row stays where its forward group put it.
 */
export function prefixRows(groups: LayerGroup[], prefixMs: number[], stepMs: number): LayerTime[] {
  const rows = new Map<string, LayerTime>();
  const add = (group: string, direction: boolean, ms: number): void => {
    const { row: layer, backward } = profileRow(group, direction);
    const row = rows.get(layer) ?? { layer, forward_ms: 0, backward_ms: 0 };
    if (backward) row.backward_ms += ms;
    else row.forward_ms += ms;
    rows.set(layer, row);
  };
  add('(run)', false, prefixMs[0]!);
  groups.forEach((g, i) => add(g.layer, g.backward, prefixMs[i + 1]! - prefixMs[i]!));
  add(
    '(fetch)',
    groups.some((g) => g.backward),
    stepMs - prefixMs[groups.length]!,
  );
  return [...rows.values()];
}
