/**
 * What autotune times for one formulation choice: not the whole graph, but a slice of it, the nodes in which the
 * candidates' graphs differ. Its inputs are the values those nodes read from the rest of the graph, filled with random
 * numbers; its one output sums what the slice hands back, as a prefix cut of `--profile-method prefix` does. Choices
 * that touch different nodes are thus timed apart, each at a fraction of a step's cost.
 */
import { createHash } from 'node:crypto';
import { Tensor } from 'onnxruntime-common';
import { buildForwardModel } from '../model/export.js';
import type { Formulation } from '../model/formulation.js';
import { MAX_ONNX_DATA_BYTES } from '../model/layers.js';
import { buildTrainingModel, withFormulation } from '../model/training.js';
import { encodeModel, type ModelInfo } from '../onnx/serialize.js';
import { type DType, type Graph, type Initializer, numElements, type TensorData, type ValueInfo } from '../onnx/types.js';
import { PROBE, prefixGraph } from './prefix-profile.js';
import { type BenchOptions, hasBackward } from './types.js';

/** A slice ready for a session: its bytes (with its inputs inside, where `inputsInside` puts them), feeds and one fetch. */
export interface Slice {
  bytes: Uint8Array;
  feeds: Record<string, Tensor>;
  fetches: string[];
}

/** A graph and what it needs to be encoded. */
export interface Built {
  graph: Graph;
  info: ModelInfo;
}

/**
 * The graph a choice is timed on: the training graph when the run times forward-backward or a training step (which
 * holds the same backward; the forward choices run in its forward part too), else the forward graph.
 */
export function tuningGraph(o: BenchOptions, f: Formulation): Built {
  const { model, training } = withFormulation(o.model, o.training, f);
  const built = o.modes.some(hasBackward) ? buildTrainingModel(model, training) : buildForwardModel(model);
  return { graph: built.graph, info: built.info };
}

/** Initializers up to this size are compared by content: the builders number their constants as they make them. */
const CONTENT_BYTES = 1 << 16;

/**
 * Each node written out in full, by name, so that two graphs' nodes compare as strings. A small initializer is
 * written as its content, since the same constant gets another name when the graph around it changes; larger ones
 * (the weights) keep their names.
 */
function nodeTexts(graph: Graph): Map<string, string> {
  const constants = new Map<string, string>();
  for (const i of graph.initializers) {
    if (i.data.byteLength > CONTENT_BYTES) continue;
    const bytes = new Uint8Array(i.data.buffer, i.data.byteOffset, i.data.byteLength);
    constants.set(i.name, `${i.dtype}[${i.dims}]:${createHash('sha1').update(bytes).digest('hex')}`);
  }
  const texts = new Map<string, string>();
  for (const n of graph.nodes) {
    const inputs = n.inputs.map((v) => constants.get(v) ?? v);
    texts.set(n.name, `${texts.get(n.name) ?? ''}${JSON.stringify([n.opType, inputs, n.outputs, n.attributes])}`);
  }
  return texts;
}

/**
 * The names of the nodes that are not written the same in every one of `graphs`: what the candidates of one choice
 * change (empty: they are one graph here). The nodes they share cost the same in each, so they are left out.
 */
export function differingNodes(graphs: Graph[]): Set<string> {
  const texts = graphs.map(nodeTexts);
  const names = new Set(texts.flatMap((t) => [...t.keys()]));
  return new Set([...names].filter((name) => new Set(texts.map((t) => t.get(name))).size > 1));
}

/**
 * The nodes named in `names` as a graph of their own: every value they read from outside (not an initializer) becomes
 * a graph input, and the float values they produce that none of them reads are summed into `probe`.
 */
export function sliceGraph(graph: Graph, names: Set<string>): Graph {
  const nodes = graph.nodes.filter((n) => names.has(n.name));
  const produced = new Set(nodes.flatMap((n) => n.outputs));
  const constant = new Set(graph.initializers.map((i) => i.name));
  const read = new Set(nodes.flatMap((n) => n.inputs).filter((v) => v !== '' && !produced.has(v) && !constant.has(v)));
  const inputs: ValueInfo[] = [...read].map((name) => ({ name, type: graph.types.get(name)! }));
  return prefixGraph({ ...graph, nodes, inputs }, [{ layer: 'slice', backward: false, nodes }], 1);
}

/** Deterministic values in [-1, 1) (xorshift32): inputs need no distribution, only no ties and no denormals. */
function randomFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/** An input's data: random floats; zeros of any other type (valid indices and labels). */
function inputData(dtype: DType, count: number, seed: number): TensorData {
  switch (dtype) {
    case 'float32':
      return randomFloats(count, seed);
    case 'float64':
      return Float64Array.from(randomFloats(count, seed));
    case 'int64':
      return new BigInt64Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'bool':
      return new Uint8Array(count);
  }
}

/**
 * Whether a slice's inputs go inside the model as the run's images do (`--input device`): as initializers that are
 * also graph inputs, so that they stay on the device and are not folded away. Not on onnxruntime-node's CPU EP,
 * which uses a fed tensor where it lies, so that the model stays small; nor past ONNX's 2 GiB limit.
 */
function inputsInside(o: BenchOptions, bytes: number): boolean {
  return o.input === 'device' && !(o.runtime === 'node' && o.ep === 'cpu') && bytes <= MAX_ONNX_DATA_BYTES;
}

/**
 * A slice ready to time, its inputs placed by `inputsInside`. `pool` keeps each input's data by name and shape, so
 * that the candidates of one choice, which read mostly the same values, share it.
 */
export function sliceModel(o: BenchOptions, b: Built, names: Set<string>, pool = new Map<string, TensorData>()): Slice {
  const graph = sliceGraph(b.graph, names);
  const data: Initializer[] = graph.inputs.map((v) => {
    const dims = v.type.shape as number[];
    const id = `${v.name} ${v.type.dtype}[${dims}]`;
    if (!pool.has(id)) pool.set(id, inputData(v.type.dtype, numElements(dims), pool.size + 1));
    return { name: v.name, dtype: v.type.dtype, dims, data: pool.get(id)! };
  });
  const size = (list: Initializer[]) => list.reduce((s, x) => s + x.data.byteLength, 0);
  const inside = inputsInside(o, size(data) + size(graph.initializers));
  if (inside) {
    const bytes = encodeModel({ ...graph, initializers: [...graph.initializers, ...data] }, b.info);
    return { bytes, feeds: {}, fetches: [PROBE] };
  }
  const feeds = Object.fromEntries(data.map((d) => [d.name, new Tensor(d.dtype, d.data as Float32Array, d.dims)]));
  return { bytes: encodeModel(graph, b.info), feeds, fetches: [PROBE] };
}
