import { Tensor } from 'onnxruntime-common';
import { buildForwardModel, modelBytes } from '../model/export.js';
import { GRAD_SQ_SUM, IMAGES, isGradient, LABELS, OUTPUT } from '../model/names.js';
import { normalTensor, Random } from '../model/random.js';
import { buildTrainingModel } from '../model/training.js';
import { type ParsedModel, parseModel } from '../onnx/parse.js';
import { encodeProto, tensorProto } from '../onnx/proto.js';
import { pruneGraph, withGraph } from '../onnx/prune.js';
import { numElements } from '../onnx/types.js';
import { graphFlops } from './flops.js';
import type { BenchMode, BenchOptions, FetchKind } from './types.js';

/** The model to time for one mode: parsed graph and which outputs a step fetches. */
interface Prepared {
  parsed: ParsedModel;
  fetches: string[];
  label: string;
}

/** One mode, ready for any runtime: model bytes (images inside with `--input device`), feeds, fetches, FLOPs. */
export interface PreparedMode extends Prepared {
  mode: BenchMode;
  bytes: Uint8Array;
  feeds: Record<string, Tensor>;
  batch: number;
  flops: number | null;
}

/** Builds (or reads) the model for `mode` and everything a step needs. */
export function prepareMode(o: BenchOptions, mode: BenchMode): PreparedMode {
  const p = prepare(o, mode);
  const { bytes, feeds, batch } = inputsFor(p, o);
  return { ...p, mode, bytes, feeds, batch, flops: graphFlopsFor(p, batch) };
}

function prepare(o: BenchOptions, mode: BenchMode): Prepared {
  if (o.modelFile) {
    const parsed = parseModel(o.modelFile.bytes);
    const fetches = fetchesFor(parsed, mode, o.fetch, o.modelFile.path);
    // ONNX Runtime runs every node of the session's graph whatever is fetched, so forward mode on a training model
    // gets a graph of the forward part only
    const part = mode === 'forward' && hasGradients(parsed) ? withGraph(parsed, pruneGraph(parsed.graph, fetches)) : parsed;
    return { parsed: part, fetches, label: o.modelFile.path };
  }
  const built = mode === 'forward' ? buildForwardModel(o.model) : buildTrainingModel(o.model, o.training);
  const parsed = parseModel(modelBytes(built));
  return { parsed, fetches: fetchesFor(parsed, mode, o.fetch, 'built-in model'), label: 'built-in' };
}

/** True if the model has the training outputs of `export --grad`. */
export function hasGradients(parsed: ParsedModel): boolean {
  return parsed.graph.outputs.some((o) => o.name === GRAD_SQ_SUM);
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

/** Shape of the model's `images` input; a symbolic batch takes `fallback`. */
function imagesShape(parsed: ParsedModel, fallback: number | 'dynamic'): number[] {
  const images = parsed.graph.inputs.find((i) => i.name === IMAGES);
  if (!images) throw new Error(`the model has no input named '${IMAGES}'`);
  const shape = images.type.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 && typeof fallback === 'number' ? fallback : NaN));
  if (shape.some(Number.isNaN)) throw new Error(`the model's ${IMAGES} input [${images.type.shape}] is symbolic: give --batch N`);
  return shape;
}

/**
 * Feeds for every step. With `device` placement the images become an initializer that is also a graph input:
 * ONNX Runtime keeps it on the device for the whole session (like the seeds' tf.Variable), and because a graph input
 * may be overridden it is not treated as a constant, so the network is not folded away.
 */
function inputsFor(p: Prepared, o: BenchOptions): { bytes: Uint8Array; feeds: Record<string, Tensor>; batch: number } {
  const shape = imagesShape(p.parsed, o.model.batch);
  const images = normalTensor(o.model.seed, IMAGES, numElements(shape), 0.1);
  const feeds: Record<string, Tensor> = {};
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
  return { bytes: encodeProto(proto), feeds, batch: shape[0]! };
}

/** FLOPs of every node in the graph: ONNX Runtime runs them all, whatever is fetched. */
function graphFlopsFor(p: Prepared, batch: number): number | null {
  const graph = p.parsed.graph;
  const types = new Map(graph.types);
  for (const [name, t] of types) if (typeof t.shape[0] === 'string') types.set(name, { ...t, shape: [batch, ...t.shape.slice(1)] });
  return graphFlops({ ...graph, types }) ?? null;
}
