import { Tensor } from 'onnxruntime-common';
import { buildForwardModel, modelBytes } from '../model/export.js';
import { GRAD_SQ_SUM, IMAGES, isGradient, LABELS, LOSS, LR, OUTPUT, STEP, writtenByAlexnetOnnx } from '../model/names.js';
import { normalTensor, Random } from '../model/random.js';
import { buildTrainStep, detachInitializers, feedbackFromMetadata } from '../model/train-step.js';
import { buildTrainingModel } from '../model/training.js';
import { GraphBuilder } from '../onnx/builder.js';
import { type ParsedModel, parseModel } from '../onnx/parse.js';
import { encodeProto, tensorProto } from '../onnx/proto.js';
import { pruneGraph, withGraph } from '../onnx/prune.js';
import { type Dim, formatShape, type Graph, numElements, type TensorType } from '../onnx/types.js';
import type { Feedback } from '../runners/types.js';
import { graphFlops } from './flops.js';
import { trainStepOf, trainStepOptions } from './train-step.js';
import type { BenchMode, BenchOptions, FetchKind } from './types.js';

/** The model to time for one mode: parsed graph and which outputs a step fetches. */
interface Prepared {
  parsed: ParsedModel;
  fetches: string[];
  label: string;
  /**
   * A training step's parameter and state inputs, each with the output fed back into it after every step (empty in
   * the other modes), and their first values.
   */
  feedback: Feedback[];
  initial?: Record<string, Float32Array>;
}

/**
 * One mode, ready for any runtime: model bytes (images inside with `--input device`), the first step's feeds,
 * fetches, FLOPs; for a training step, what to feed back after each step and the step counter's input.
 */
export interface PreparedMode extends Prepared {
  mode: BenchMode;
  bytes: Uint8Array;
  feeds: Record<string, Tensor>;
  /** The training step's `step` input, fed 1, 2, ... (absent in the other modes). */
  counter?: string;
  batch: number;
  flops: number | null;
}

/** Builds (or reads) the model for `mode` and everything a step needs. */
export function prepareMode(o: BenchOptions, mode: BenchMode): PreparedMode {
  const p = prepare(o, mode);
  const { bytes, feeds, shape } = inputsFor(p, o);
  const counter = mode === 'train-step' ? STEP : undefined;
  return { ...p, mode, bytes, feeds, counter, batch: shape[0]!, flops: graphFlopsFor(p, shape) };
}

function prepare(o: BenchOptions, mode: BenchMode): Prepared {
  if (mode === 'train-step') return prepareTrainStep(o);
  if (o.modelFile) {
    const parsed = parseModel(o.modelFile.bytes);
    const fetches = fetchesFor(parsed, mode, o.fetch, o.modelFile.path);
    // ONNX Runtime runs every node of the session's graph whatever is fetched, so forward mode on a training model
    // gets a graph of the forward part only
    const part =
      mode === 'forward' && (hasGradients(parsed) || isTrainStep(parsed)) ? withGraph(parsed, pruneGraph(parsed.graph, fetches)) : parsed;
    return { parsed: part, fetches, label: o.modelFile.path, feedback: [] };
  }
  const built = mode === 'forward' ? buildForwardModel(o.model) : buildTrainingModel(o.model, o.training);
  const parsed = parseModel(modelBytes(built));
  return { parsed, fetches: fetchesFor(parsed, mode, o.fetch, 'built-in model'), label: 'built-in', feedback: [] };
}

/**
 * The training step with its parameters and optimizer state as plain inputs (onnxruntime-node ignores a feed for an
 * input that is also an initializer, onnxruntime-web refuses it), from the options (`buildTrainStep`) or from a file
 * written by `export --train-step` (its initializers detached, as its metadata names them). A step fetches the loss
 * and every `.next` output: the next step is fed them.
 */
function prepareTrainStep(o: BenchOptions): Prepared {
  if (o.modelFile) {
    const file = parseModel(o.modelFile.bytes);
    const feedback = feedbackFromMetadata(file.metadata);
    if (!feedback) throw new Error(`${o.modelFile.path} is not a training step: export one with --train-step`);
    const { graph, initial } = detachInitializers(
      file.graph,
      feedback.map((f) => f.input),
    );
    return { parsed: withGraph(file, graph), fetches: trainStepFetches(feedback), label: o.modelFile.path, feedback, initial };
  }
  const step = buildTrainStep(o.model, trainStepOptions(o.training, trainStepOf(o)));
  const fetches = trainStepFetches(step.feedback);
  return { parsed: parseModel(step.bytes), fetches, label: 'built-in', feedback: step.feedback, initial: step.initial };
}

function trainStepFetches(feedback: readonly Feedback[]): string[] {
  return [LOSS, ...feedback.map((f) => f.output)];
}

/** True if the model has the training outputs of `export --grad`. */
export function hasGradients(parsed: ParsedModel): boolean {
  return parsed.graph.outputs.some((o) => o.name === GRAD_SQ_SUM);
}

/** True if the model is a training step written by `export --train-step` (its metadata says what to feed back). */
export function isTrainStep(parsed: ParsedModel): boolean {
  return feedbackFromMetadata(parsed.metadata) !== undefined;
}

function fetchesFor(parsed: ParsedModel, mode: BenchMode, fetch: FetchKind, what: string): string[] {
  const outputs = parsed.graph.outputs.map((o) => o.name);
  if (mode === 'forward') {
    if (!outputs.includes(OUTPUT)) throw new Error(`${what} has no output named '${OUTPUT}'`);
    return [OUTPUT];
  }
  if (!hasGradients(parsed)) throw new Error(`${what} has no gradient outputs: export it with --grad for forward-backward`);
  return fetch === 'sum' ? [GRAD_SQ_SUM] : outputs.filter(isGradient);
}

/** The dimensions of a model's `images` input, fixed or symbolic; `what` names the model in the error. */
export function imagesDims(parsed: ParsedModel, what = 'the model'): Dim[] {
  const images = parsed.graph.inputs.find((i) => i.name === IMAGES);
  if (!images) throw new Error(`${what} has no input named '${IMAGES}'`);
  return images.type.shape;
}

/** The option that sets dimension `i` of an `images` input when it is symbolic: N, and H and W of [N, C, H, W]. */
function optionOf(i: number, rank: number): '--batch' | '--image-size' | undefined {
  if (i === 0) return '--batch';
  return rank === 4 && i >= 2 ? '--image-size' : undefined;
}

/** The sizes a bench was explicitly asked for: `--batch` and `--image-size`, where given. */
export interface AskedSizes {
  batch?: number;
  imageSize?: number;
}

/**
 * Why a model file whose `images` input has `dims` cannot be timed at the sizes asked for, or undefined. A fixed
 * dimension must equal the size given for it (a different one would be ignored without a word); a symbolic one takes
 * its option's value, and one that no option sets cannot be timed.
 */
export function imagesSizeProblem(what: string, dims: readonly Dim[], asked: AskedSizes = {}): string | undefined {
  const input = `${what}'s ${IMAGES} input ${formatShape(dims)}`;
  const unset = dims.filter((d, i) => typeof d === 'string' && !optionOf(i, dims.length));
  if (unset.length)
    return `${input} has symbolic ${unset.join(', ')}, which no option sets (--batch sets N, --image-size sets H and W of [N, C, H, W])`;
  const n = dims[0];
  if (asked.batch !== undefined && typeof n === 'number' && n !== asked.batch)
    return `--batch ${asked.batch}, but ${input} has a fixed batch of ${n}: leave --batch out to time it at batch ${n}`;
  if (asked.imageSize !== undefined) {
    if (dims.length !== 4) return `--image-size sets H and W of an [N, C, H, W] input, but ${input} has no H and W: leave it out`;
    if ([dims[2], dims[3]].some((d) => typeof d === 'number' && d !== asked.imageSize))
      return `--image-size ${asked.imageSize}, but ${input} has fixed ${dims[2]}x${dims[3]} images: leave --image-size out`;
  }
  return undefined;
}

/** The shape of the images for a model file: a symbolic N is `batch`, a symbolic H or W of [N, C, H, W] is `imageSize`. */
function imagesShape(what: string, dims: readonly Dim[], batch: number | 'dynamic', imageSize: number): number[] {
  const problem = imagesSizeProblem(what, dims);
  if (problem) throw new Error(problem);
  return dims.map((d, i) => {
    if (typeof d === 'number') return d;
    if (optionOf(i, dims.length) === '--image-size') return imageSize;
    if (batch === 'dynamic') throw new Error(`${what}'s ${IMAGES} input ${formatShape(dims)} has a symbolic batch ${d}: give --batch N`);
    return batch;
  });
}

/**
 * The header notes for a model file: what its symbolic dimensions were set to, and, for a file alexnet-onnx did not
 * write, what is timed and counted (its name matching ours says nothing about being AlexNet).
 */
export function modelFileNotes(o: BenchOptions): string[] {
  if (!o.modelFile) return [];
  const { path, metadata, images: dims } = o.modelFile;
  const notes: string[] = [];
  const byOption = new Map<string, Dim[]>();
  dims.forEach((d, i) => {
    const option = optionOf(i, dims.length);
    if (typeof d === 'string' && option) byOption.set(option, [...(byOption.get(option) ?? []), d]);
  });
  if (byOption.size) {
    const shape = imagesShape(path, dims, o.model.batch, o.model.imageSize);
    const from = [...byOption].map(([option, names]) => `${names.join(' and ')} from ${option}`).join(', ');
    notes.push(`note: ${path}'s ${IMAGES} input ${formatShape(dims)} is timed as ${formatShape(shape)} (${from})`);
  }
  if (!writtenByAlexnetOnnx(metadata)) {
    const grads = o.modes.includes('forward-backward') ? ` and its gradient outputs` : '';
    notes.push(
      `note: ${path} was not written by alexnet-onnx: timing its '${IMAGES}' -> '${OUTPUT}'${grads}; FLOPs count its Conv/ConvTranspose/Gemm/MatMul nodes`,
    );
  }
  return notes;
}

/**
 * Feeds for every step. With `device` placement the images become an initializer that is also a graph input:
 * ONNX Runtime keeps it on the device for the whole session (like the seeds' tf.Variable), and because a graph input
 * may be overridden it is not treated as a constant, so the network is not folded away.
 */
function inputsFor(p: Prepared, o: BenchOptions): { bytes: Uint8Array; feeds: Record<string, Tensor>; shape: number[] } {
  const shape = imagesShape(p.label, imagesDims(p.parsed, p.label), o.model.batch, o.model.imageSize);
  const images = normalTensor(o.model.seed, IMAGES, numElements(shape), 0.1);
  const feeds: Record<string, Tensor> = trainStepFeeds(p, o);
  if (p.parsed.graph.inputs.some((i) => i.name === LABELS)) {
    const rng = new Random(o.model.seed, LABELS);
    const classes = Number(p.parsed.graph.types.get(OUTPUT)?.shape[1] ?? 1000);
    feeds[LABELS] = new Tensor(
      'int64',
      BigInt64Array.from({ length: shape[0]! }, () => BigInt(rng.nextUint32() % classes)),
      [shape[0]!],
    );
  }
  const proto = p.parsed.proto;
  if (o.input === 'device') {
    proto.graph!.initializer!.push(tensorProto({ name: IMAGES, dtype: 'float32', dims: shape, data: images }));
    const input = proto.graph!.input!.find((i) => i.name === IMAGES)!;
    input.type!.tensorType!.shape!.dim = shape.map((d) => ({ dimValue: d }));
  } else {
    feeds[IMAGES] = new Tensor('float32', images, shape);
  }
  return { bytes: encodeProto(proto), feeds, shape };
}

/**
 * A training step's first feeds: every parameter and state input's first value (the weights of the seed and zero
 * state, or a file's initializers), the learning rate, and `step` 1 (a runner feeds each run its number).
 */
function trainStepFeeds(p: Prepared, o: BenchOptions): Record<string, Tensor> {
  if (!p.initial) return {};
  const dims = new Map(p.parsed.graph.inputs.map((i) => [i.name, i.type.shape as number[]]));
  const feeds: Record<string, Tensor> = {
    [LR]: new Tensor('float32', Float32Array.of(trainStepOf(o).lr), []),
    [STEP]: new Tensor('int64', BigInt64Array.of(1n), []),
  };
  for (const f of p.feedback) feeds[f.input] = new Tensor('float32', p.initial[f.input]!, dims.get(f.input)!);
  return feeds;
}

/**
 * FLOPs of every node in the graph: ONNX Runtime runs them all, whatever is fetched. The types are recomputed only when
 * the file's `images` input has a symbolic dimension; with a fixed one (every built-in model) they are already static.
 */
function graphFlopsFor(p: Prepared, images: number[]): number | null {
  const graph = p.parsed.graph;
  const symbolic = imagesDims(p.parsed, p.label).some((d) => typeof d === 'string');
  const types = (symbolic && typesWith(graph, images)) || typesWithBatch(graph, images[0]!);
  return graphFlops({ ...graph, types }) ?? null;
}

/**
 * Every value's type with `images` at a fixed shape, by our shape rules (symbolic H and W change every shape after
 * them); undefined for a graph they do not cover, such as one with operators alexnet-onnx never writes.
 */
function typesWith(graph: Graph, images: number[]): Map<string, TensorType> | undefined {
  const b = new GraphBuilder(graph.name);
  try {
    for (const i of graph.initializers) if (i.name !== IMAGES) b.initializer(i.name, i.dtype, i.dims, i.data);
    for (const v of graph.inputs) {
      if (b.types.has(v.name)) continue;
      b.input(v.name, v.name === IMAGES ? { ...v.type, shape: images } : withBatch(v.type, images[0]!));
    }
    for (const n of graph.nodes) b.op(n.opType, n.inputs, n.attributes, { name: n.name || undefined, outputs: n.outputs });
    return b.types;
  } catch {
    return undefined;
  }
}

/** The file's own value types with a symbolic batch set to `batch`. */
function typesWithBatch(graph: Graph, batch: number): Map<string, TensorType> {
  return new Map([...graph.types].map(([name, t]) => [name, withBatch(t, batch)]));
}

function withBatch(t: TensorType, batch: number): TensorType {
  return typeof t.shape[0] === 'string' ? { ...t, shape: [batch, ...t.shape.slice(1)] } : t;
}
