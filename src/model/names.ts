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

/** The `metadata_props` key of a model's kind (`forward`, `training` or `train-step`), in every model alexnet-onnx has written. */
export const KIND_METADATA = 'alexnet.kind';

/** The kinds of model alexnet-onnx writes: the network, its gradient graph, and one optimizer step. */
export type ModelKind = 'forward' | 'training' | 'train-step';

/** The learning rate of the training step, a `float32` scalar input (schedules need no re-export). */
export const LR = 'lr';
/** The 1-based number of the training step, an `int64` scalar input (AdamW's bias correction; SGD ignores it). */
export const STEP = 'step';
/** Suffix of a training step's outputs that are fed back: `conv1.weight` in, `conv1.weight.next` out. */
export const NEXT_SUFFIX = '.next';
/** First word of the optimizer's node names (`optimizer.conv1.weight.exp_avg`), so profiles put them in one layer. */
export const OPTIMIZER_LAYER = 'optimizer';

/** The output of a training step that is fed back as `input` (a parameter or a state tensor) at the next step. */
export const nextName = (input: string): string => `${input}${NEXT_SUFFIX}`;

/** Optimizer state slots; a parameter's state tensor is `<param>.<slot>` (`conv1.weight.exp_avg`, torch's names for AdamW). */
export const STATE_SLOTS = { momentum: 'momentum', expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq' } as const;

/** An optimizer state slot. */
export type StateSlot = (typeof STATE_SLOTS)[keyof typeof STATE_SLOTS];

/** The state tensor of `param` in `slot`: `conv1.weight.momentum`. */
export const stateName = (param: string, slot: StateSlot): string => `${param}.${slot}`;

/**
 * The `metadata_props` keys of a training step that tell a tool how to drive it: which inputs are parameters and which
 * optimizer state (comma-separated, in input order; state is `<param>.<slot>` for each slot), the suffix of the outputs
 * to feed back, and the names of the scalar inputs.
 */
export const TRAIN_STEP_METADATA = {
  optimizer: 'alexnet.optimizer',
  parameters: 'alexnet.trainStep.parameters',
  state: 'alexnet.trainStep.state',
  slots: 'alexnet.trainStep.slots',
  nextSuffix: 'alexnet.trainStep.nextSuffix',
  lr: 'alexnet.trainStep.lr',
  step: 'alexnet.trainStep.step',
} as const;

/** The `metadata_props` key of an inference model with trained weights: the parameters whose values it replaced. */
export const TRAINED_METADATA = 'alexnet.trained';

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

/** The layer names `buildAlexNet` gives its nodes (`conv2.conv`, `lrn1`, `pool5`, `fc6.gemm`, ...), the loss, the optimizer. */
const LAYER = new RegExp(`^(conv\\d+|lrn\\d+|pool\\d+|fc\\d+|flatten|${LOSS}|${GRAD_SQ_SUM}|${OPTIMIZER_LAYER})`);

/**
 * A backward Conv that ONNX Runtime rewrote into its NCHWc layout is named after the value it writes:
 * `pool1_grad_nchwc` writes the gradient of `pool1`, so it is the data gradient of the conv layer that reads `pool1`,
 * the next one (conv2); `conv3_grad_nchwc` is conv4's.
 */
const RENAMED_DATA_GRAD = /^(conv|pool)(\d+)_grad_nchwc/;

/**
 * The layer and direction of a node, from the node names alexnet-onnx writes (`conv2.conv`, `lrn1`,
 * `pool1.grad.scatter`, `conv2_grad.sum`, `conv1.weight_grad.sum_sq`, ...). ONNX Runtime renames nodes it fuses or
 * inserts: `<name>_nchwc` keeps the layer (a backward Conv's name is its output's: `RENAMED_DATA_GRAD`); reorders,
 * copies and other inserted nodes are reported as `(runtime)`. A node named after `output` belongs to the model's last
 * layer (`finalLayer`).
 */
export function layerOf(node: string, final: string): { layer: string; backward: boolean } {
  const backward = isBackwardNode(node);
  const renamed = RENAMED_DATA_GRAD.exec(node);
  if (renamed) return { layer: `conv${Number(renamed[2]) + 1}`, backward: true };
  if (node.startsWith(GRAD_SQ_SUM) || (node.includes(GRAD_SUFFIX) && node.endsWith(SUM_SQ_SUFFIX)))
    return { layer: GRAD_SQ_SUM, backward: true };
  const name = node.startsWith(OUTPUT) ? final + node.slice(OUTPUT.length) : node;
  const m = LAYER.exec(name);
  return { layer: m ? m[1]! : '(runtime)', backward };
}
