/**
 * The in-memory graph that every part of alexnet-onnx builds, transforms and serializes.
 * It mirrors ONNX's GraphProto closely but uses plain TypeScript values, so the autodiff and the shape rules never
 * touch protobuf objects.
 */

/** A tensor dimension: a fixed size, or a symbolic name such as `N` (ONNX `dim_param`). */
export type Dim = number | string;

/** Element types used by our graphs, named as in ONNX Runtime's JavaScript API. */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

/** Element type and full shape of one value in the graph. */
export interface TensorType {
  dtype: DType;
  shape: Dim[];
}

/**
 * An ONNX attribute with its type spelled out. JavaScript has one number type, so `1.0` and `1` are the same
 * value; ONNX rejects an LRN whose `bias` is INT, so the kind is never guessed from the value.
 */
export type Attribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] };

/** Constructors for typed attributes; `int`/`ints` refuse non-integers instead of truncating them. */
export const attr = {
  float: (value: number): Attribute => ({ kind: 'float', value }),
  floats: (value: number[]): Attribute => ({ kind: 'floats', value: [...value] }),
  int: (value: number): Attribute => ({ kind: 'int', value: checkInt(value) }),
  ints: (value: number[]): Attribute => ({ kind: 'ints', value: value.map(checkInt) }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
};

/** The value type of each attribute kind. */
export type AttributeValue<K extends Attribute['kind']> = Extract<Attribute, { kind: K }>['value'];

/**
 * A node's attribute of the given kind, or `fallback` when it is absent: the one attribute reader of the shape rules
 * and the gradient rules. A wrong kind, or an absent attribute without a fallback, is an error naming the node.
 */
export function readAttribute<K extends Attribute['kind']>(
  node: Node,
  name: string,
  kind: K,
  fallback?: AttributeValue<K>,
): AttributeValue<K> {
  const a = node.attributes[name];
  if (a) {
    if (a.kind !== kind) throw new Error(`${node.opType} ${node.name}: attribute ${name} is ${a.kind}, expected ${kind}`);
    return a.value as AttributeValue<K>;
  }
  if (fallback !== undefined) return fallback;
  throw new Error(`${node.opType} ${node.name}: attribute ${name} is required`);
}

function checkInt(value: number): number {
  if (!Number.isSafeInteger(value)) throw new Error(`integer attribute expected, got ${value}`);
  return value;
}

/** One operator application. `outputs` may grow (see `GraphBuilder.ensureOutputs`). */
export interface Node {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

/** Typed element storage for an initializer. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A constant tensor stored in the model (weights, biases, shape constants). */
export interface Initializer {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorData;
}

/** A graph input or output. */
export interface ValueInfo {
  name: string;
  type: TensorType;
}

/** A complete graph: nodes in topological order, and the type of every value they produce. */
export interface Graph {
  name: string;
  doc: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Initializer[];
  nodes: Node[];
  /** Type of every value in the graph (inputs, initializers and node outputs). */
  types: Map<string, TensorType>;
}

/** Number of elements of a fully static shape; throws on symbolic dimensions. */
export function numElements(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') throw new Error(`shape [${shape.join(', ')}] is not static`);
    n *= d;
  }
  return n;
}

/** Formats a shape as the seeds' `print_activations` does: `[32, 64, 56, 56]`. */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}
