import { encodeModel } from '../onnx/serialize.js';
import { type Graph, numElements } from '../onnx/types.js';
import type { AlexNetOptions } from './alexnet.js';
import { assembleModel, type BuiltModel } from './built.js';
import { EXPORT_FORMULATION } from './formulation.js';
import { MAX_ONNX_DATA_BYTES, parameterShapes } from './layers.js';
import { KIND_METADATA, LR, NEXT_SUFFIX, nextName, STEP, TRAIN_STEP_METADATA } from './names.js';
import {
  addOptimizer,
  OPTIMIZER_KINDS,
  type OptimizerKind,
  type OptimizerSettings,
  optimizerMetadata,
  optimizerSettings,
  optimizerSlots,
  stateNames,
} from './optimizer.js';
import { addTrainingGraph, type TrainingOptions, trainingMetadata, validateTraining } from './training.js';

/** Options of the training step: those of the training graph (loss, what to train, backward formulations) and the optimizer. */
export interface TrainStepOptions extends TrainingOptions {
  optimizer: OptimizerSettings;
}

/**
 * The training step's defaults for a network: softmax cross-entropy with the FC head (class scores to learn from), the
 * seeds' l2 without it; every parameter trained (a step that left fc6-fc8 at their random values would not learn);
 * export's formulation; the optimizer's hyperparameters from the optimizer table.
 */
export function defaultTrainStep(model: AlexNetOptions, optimizer: OptimizerKind = OPTIMIZER_KINDS[0]!): TrainStepOptions {
  return {
    loss: model.head === 'fc' ? 'softmax-cross-entropy' : 'l2',
    wrt: 'all',
    maxpoolGrad: EXPORT_FORMULATION.maxpoolGrad,
    convWeightGrad: EXPORT_FORMULATION.convWeightGrad,
    convDataGrad: EXPORT_FORMULATION.convDataGrad,
    optimizer: optimizerSettings(optimizer).settings,
  };
}

/** Problems with a training step, each naming the option: the training graph's, and a file that would not fit. */
export function validateTrainStep(o: AlexNetOptions, t: TrainStepOptions): string[] {
  const problems = validateTraining(o, t);
  const shapes = parameterShapes(o);
  const trained = shapes.filter((p) => t.wrt === 'all' || p.name.startsWith('conv'));
  const floats = (list: typeof shapes) => list.reduce((n, p) => n + numElements(p.dims), 0);
  const bytes = 4 * (floats(shapes) + optimizerSlots(t.optimizer).length * floats(trained));
  if (bytes > MAX_ONNX_DATA_BYTES) {
    problems.push(
      `--train-step --optimizer ${t.optimizer.optimizer} stores the weights and the optimizer state, about ${(bytes / 1e9).toFixed(1)} GB, ` +
        'over the 2 GiB an ONNX file can hold: use a smaller --image-size, fewer --classes or --wrt conv',
    );
  }
  return problems;
}

/**
 * One training step in standard ONNX operators: the forward network, the loss, the backward pass and the optimizer's
 * update of every trained parameter (`wrt`).
 *
 * Inputs: `images`, `labels` (cross-entropy only), `lr` (float32 scalar), `step` (int64 scalar, 1 at the first step),
 * then each trained parameter and each optimizer state tensor (`<param>.<slot>`). Parameters and state are graph
 * inputs that are also initializers, so the file runs as it is (state starts at zero) and a runtime that can override
 * initializers (Python onnxruntime) can feed them; for the JavaScript bindings see `buildTrainStep`. Outputs: `output`, `loss`, then
 * `<input>.next` for each parameter and state input, in input order: feed each back as `<input>` at the next step.
 * `metadata_props` records the optimizer, its hyperparameters and this convention (`TRAIN_STEP_METADATA`).
 */
export function buildTrainStepModel(options: AlexNetOptions, t: TrainStepOptions): BuiltModel {
  const problems = validateTrainStep(options, t);
  if (problems.length) throw new Error(problems.join('; '));
  const { net, loss, wrt, grads } = addTrainingGraph(options, t);
  const b = net.builder;
  const lr = b.input(LR, { dtype: 'float32', shape: [] });
  const step = b.input(STEP, { dtype: 'int64', shape: [] });
  const slots = optimizerSlots(t.optimizer);
  for (const param of wrt) {
    const dims = b.staticShape(param);
    for (const s of stateNames(t.optimizer, [param])) b.initializer(s, 'float32', dims, new Float32Array(numElements(dims)));
  }
  addOptimizer(b, t.optimizer, { lr, step, params: wrt.map((param, i) => ({ param, grad: grads[i]! })) });
  const state = stateNames(t.optimizer, wrt);
  b.output(loss);
  for (const v of [...wrt, ...state]) b.output(nextName(v));
  const graph = b.build();
  graph.name = 'alexnet_train_step';
  // declared after the build: the builder refuses to define a name twice, and these are initializers already
  graph.inputs.push(...[...wrt, ...state].map((name) => ({ name, type: graph.types.get(name)! })));
  return assembleModel(graph, options, 'train-step', net.activations, [...net.convParams, ...net.fcParams], {
    ...trainingMetadata(t),
    ...optimizerMetadata(t.optimizer),
    [TRAIN_STEP_METADATA.parameters]: wrt.join(','),
    [TRAIN_STEP_METADATA.state]: state.join(','),
    [TRAIN_STEP_METADATA.nextSuffix]: NEXT_SUFFIX,
    [TRAIN_STEP_METADATA.lr]: LR,
    [TRAIN_STEP_METADATA.step]: STEP,
    [TRAIN_STEP_METADATA.slots]: slots.join(','),
  });
}

/** An input of the training step and the output to feed back into it at the next step. */
export interface Feedback {
  input: string;
  output: string;
}

/** A training step ready to run in onnxruntime-node or onnxruntime-web: the model, its bytes, what to feed. */
export interface TrainStep {
  /**
   * The training step with parameters and state as plain graph inputs, without initializers: the JavaScript bindings
   * of ONNX Runtime list, and accept feeds for, only inputs that are not also initializers (onnxruntime-node ignores
   * a feed for one, onnxruntime-web refuses it), so a step could not be given the previous step's values otherwise.
   */
  model: BuiltModel;
  bytes: Uint8Array;
  /** The trained parameters and the optimizer state tensors, in input order. */
  parameters: string[];
  state: string[];
  /** What to feed at the first step for each parameter and state input: the weights of `--seed`, and zeros. */
  initial: Record<string, Float32Array>;
  /** Every parameter and state input with its `.next` output: after a step, feed each output as its input. */
  feedback: Feedback[];
}

/**
 * Takes the initializers of `inputs` out of a graph in which they are also graph inputs, so that they become plain
 * inputs, and returns their values: turns a stand-alone training-step file into one the JavaScript bindings can feed.
 */
export function detachInitializers(graph: Graph, inputs: readonly string[]): { graph: Graph; initial: Record<string, Float32Array> } {
  const wanted = new Set(inputs);
  const initial: Record<string, Float32Array> = {};
  for (const i of graph.initializers) {
    if (!wanted.has(i.name)) continue;
    if (!(i.data instanceof Float32Array)) throw new Error(`${i.name} is ${i.dtype}, a training step's state is float32`);
    initial[i.name] = i.data;
  }
  const missing = inputs.filter((n) => !(n in initial) || !graph.inputs.some((v) => v.name === n));
  if (missing.length) throw new Error(`not both a graph input and an initializer: ${missing.join(', ')}`);
  return { graph: { ...graph, initializers: graph.initializers.filter((i) => !wanted.has(i.name)) }, initial };
}

/** Builds the training step (`buildTrainStepModel`) in the form a training loop in JavaScript drives (`TrainStep`). */
export function buildTrainStep(options: AlexNetOptions, t: TrainStepOptions): TrainStep {
  const file = buildTrainStepModel(options, t);
  const feedback = feedbackFromMetadata(file.info.metadata)!;
  const { graph, initial } = detachInitializers(
    file.graph,
    feedback.map((f) => f.input),
  );
  const model = { ...file, graph };
  const list = (key: string) => (file.info.metadata[key] ? file.info.metadata[key].split(',') : []);
  return {
    model,
    bytes: encodeModel(model.graph, model.info),
    parameters: list(TRAIN_STEP_METADATA.parameters),
    state: list(TRAIN_STEP_METADATA.state),
    initial,
    feedback,
  };
}

/**
 * What to feed back in a training-step model, read from its `metadata_props` as any tool can: the parameter and
 * state inputs, each with its output (input name + the recorded suffix). Undefined for a model of another kind.
 */
export function feedbackFromMetadata(meta: Record<string, string>): Feedback[] | undefined {
  if (meta[KIND_METADATA] !== 'train-step') return undefined;
  const suffix = meta[TRAIN_STEP_METADATA.nextSuffix] ?? NEXT_SUFFIX;
  const inputs = [meta[TRAIN_STEP_METADATA.parameters], meta[TRAIN_STEP_METADATA.state]].flatMap((v) => (v ? v.split(',') : []));
  return inputs.map((input) => ({ input, output: `${input}${suffix}` }));
}
