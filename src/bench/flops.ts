import { layerOf, OPTIMIZER_LAYER } from '../model/names.js';
import { type Graph, type Node, numElements, readAttribute } from '../onnx/types.js';

/**
 * Analytic FLOP count of a graph: 2 x multiply-accumulates of every Conv, ConvTranspose, Gemm and MatMul node (the work that
 * dominates AlexNet); elementwise ops, pooling and LRN are not counted, whatever ops an LRN formulation is written with
 * (the `banded` LRN's window Conv and its gradient too), so every formulation of a network does the same count of
 * work and GFLOP/s compare across them. A training step adds its optimizer's update: one FLOP per output element of
 * each of its arithmetic nodes (`updateFlops`), the work a torch.optim step does too. Undefined if a needed shape is
 * symbolic.
 */
export function graphFlops(graph: Graph): number | undefined {
  let total = 0;
  for (const node of graph.nodes) {
    const layer = layerOf(node.name, '').layer;
    if (/^lrn\d/.test(layer)) continue;
    const f = layer === OPTIMIZER_LAYER ? updateFlops(graph, node) : nodeFlops(graph, node);
    if (f === undefined) return undefined;
    total += f;
  }
  return total;
}

/** Ops that move or convert values without arithmetic: an update written with them counts no FLOPs for them. */
const DATA_MOVEMENT = new Set([
  'Cast',
  'Identity',
  'Reshape',
  'Flatten',
  'Squeeze',
  'Unsqueeze',
  'Expand',
  'Concat',
  'Split',
  'Slice',
  'Transpose',
]);

/**
 * One FLOP per output element of each node of the optimizer's update (whatever ops `src/model/optimizer.ts` writes it
 * with: Mul, Add, Sub, Div, Sqrt, ...), none for data movement.
 */
function updateFlops(graph: Graph, node: Node): number | undefined {
  if (DATA_MOVEMENT.has(node.opType)) return 0;
  const y = shapeOf(graph, node.outputs[0]);
  return y ? numElements(y) : undefined;
}

function shapeOf(graph: Graph, name: string | undefined): number[] | undefined {
  const s = name ? graph.types.get(name)?.shape : undefined;
  return s?.every((d): d is number => typeof d === 'number') ? s : undefined;
}

function nodeFlops(graph: Graph, node: Node): number | undefined {
  switch (node.opType) {
    case 'Conv': {
      // each output element: (input channels / group) * kernel taps MACs
      const y = shapeOf(graph, node.outputs[0]);
      const w = shapeOf(graph, node.inputs[1]);
      return y && w ? 2 * numElements(y) * numElements(w.slice(1)) : undefined;
    }
    case 'ConvTranspose': {
      // each input element is scattered through (output channels / group) * kernel taps MACs
      const x = shapeOf(graph, node.inputs[0]);
      const w = shapeOf(graph, node.inputs[1]);
      return x && w ? 2 * numElements(x) * numElements(w.slice(1)) : undefined;
    }
    case 'MatMul': {
      const y = shapeOf(graph, node.outputs[0]);
      const a = shapeOf(graph, node.inputs[0]);
      return y && a ? 2 * numElements(y) * a[a.length - 1]! : undefined;
    }
    case 'Gemm': {
      const y = shapeOf(graph, node.outputs[0]);
      const a = shapeOf(graph, node.inputs[0]);
      if (!y || !a) return undefined;
      const transA = readAttribute(node, 'transA', 'int', 0) === 1;
      const k = transA ? a[0]! : a[1]!;
      return 2 * numElements(y) * k;
    }
    default:
      return 0;
  }
}
