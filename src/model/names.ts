import { GRAD_SUFFIX, gradName, isBackwardNode } from '../autodiff/backward.js';

/**
 * The names alexnet-onnx gives the graph's inputs, outputs and layers: the builders write them, and the benchmark,
 * the profilers and other tools read them. Rename here, never with a string literal elsewhere.
 */

/** The image batch, `float32 [N,3,H,W]`. */
export const IMAGES = 'images';
/** Class labels, `int64 [N]`, for the softmax cross-entropy loss. */
export const LABELS = 'labels';
/** The network's output: pool5, or fc8 with the FC head. */
export const OUTPUT = 'output';
/** The scalar loss of the training graph. */
export const LOSS = 'loss';
/** The sum of squares of every gradient: one scalar that forces the whole backward pass. */
export const GRAD_SQ_SUM = 'grad_sq_sum';
/** Suffix of the per-gradient ReduceSumSquare nodes that feed `grad_sq_sum`. */
export const SUM_SQ_SUFFIX = '.sum_sq';

/** The `metadata_props` key of a model's kind (`forward` or `training`), in every model alexnet-onnx has written. */
export const KIND_METADATA = 'alexnet.kind';

/** Whether alexnet-onnx wrote a model, from its metadata (any version: the kind key was there from the first). */
export function writtenByAlexnetOnnx(metadata: Record<string, string>): boolean {
  return KIND_METADATA in metadata;
}

export { gradName };

/** Whether a graph output is a parameter gradient (`conv1.weight_grad`). */
export function isGradient(name: string): boolean {
  return name.endsWith(GRAD_SUFFIX);
}

/** The layer that writes `output`: `pool5`, or `fc8` with the FC head. */
export function finalLayer(head: string | undefined): string {
  return head === 'fc' ? 'fc8' : 'pool5';
}

/** The layer names `buildAlexNet` gives its nodes (`conv2.conv`, `lrn1`, `pool5`, `fc6.gemm`, ...), then the loss. */
const LAYER = new RegExp(`^(conv\\d+|lrn\\d+|pool\\d+|fc\\d+|flatten|${LOSS}|${GRAD_SQ_SUM})`);

/**
 * The layer and direction of a node, from the node names alexnet-onnx writes (`conv2.conv`, `lrn1`,
 * `pool1.grad.scatter`, `conv2_grad.sum`, `conv1.weight_grad.sum_sq`, ...). ONNX Runtime renames nodes it fuses or
 * inserts: `<name>_nchwc` keeps the layer; reorders, copies and other inserted nodes are reported as `(runtime)`.
 * A node named after `output` belongs to the model's last layer (`finalLayer`).
 */
export function layerOf(node: string, final: string): { layer: string; backward: boolean } {
  const backward = isBackwardNode(node);
  if (node.startsWith(GRAD_SQ_SUM) || (node.includes(GRAD_SUFFIX) && node.endsWith(SUM_SQ_SUFFIX)))
    return { layer: GRAD_SQ_SUM, backward: true };
  const name = node.startsWith(OUTPUT) ? final + node.slice(OUTPUT.length) : node;
  const m = LAYER.exec(name);
  return { layer: m ? m[1]! : '(runtime)', backward };
}
