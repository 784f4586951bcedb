import type onnxProto from 'onnx-proto';
import { DTYPES, dtypeFromOnnx } from './dtypes.js';
import { decodeModel, type ModelProto } from './proto.js';
import {
  type Attribute,
  type Dim,
  type Graph,
  type Initializer,
  type Node,
  numElements,
  type TensorData,
  type TensorType,
  type ValueInfo,
} from './types.js';

/**
 * A model that is valid ONNX but uses something alexnet-onnx does not read (another operator domain, graph or tensor
 * attributes, external data), as opposed to bytes that are not an ONNX model at all.
 */
export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

/** A decoded model: its graph in our terms and its metadata_props. */
export interface ParsedModel {
  graph: Graph;
  metadata: Record<string, string>;
  /** The decoded message, for edits that keep everything the graph form does not model. */
  proto: ModelProto;
}

/**
 * Reads ONNX bytes into our graph form (nodes, typed attributes, every typed value). Refuses what alexnet-onnx never
 * writes (other domains, graph or tensor attributes, external data) with an `UnsupportedModelError`, so a model from
 * elsewhere fails with a clear message.
 */
export function parseModel(bytes: Uint8Array): ParsedModel {
  const proto = decodeModel(bytes);
  const g = proto.graph!;
  const types = new Map<string, TensorType>();
  const valueInfo = (vi: onnxProto.onnx.IValueInfoProto): ValueInfo => {
    const t = vi.type?.tensorType;
    if (!t) throw new UnsupportedModelError(`value ${vi.name} is not a tensor`);
    // a dimension with neither a value nor a name is unknown, as onnx.helper writes `None`: symbolic, never 0
    const shape: Dim[] = (t.shape?.dim ?? []).map((d) => d.dimParam || (d.dimValue != null ? Number(d.dimValue) : '?'));
    const type: TensorType = { dtype: dtypeFromOnnx(t.elemType ?? 0), shape };
    types.set(vi.name!, type);
    return { name: vi.name!, type };
  };
  const initializers = (g.initializer ?? []).map(initializerFromProto);
  for (const i of initializers) types.set(i.name, { dtype: i.dtype, shape: i.dims });
  const inputs = (g.input ?? []).map(valueInfo);
  const outputs = (g.output ?? []).map(valueInfo);
  (g.valueInfo ?? []).forEach(valueInfo);
  const nodes: Node[] = (g.node ?? []).map((n) => {
    if (n.domain) throw new UnsupportedModelError(`operator domain '${n.domain}' (node ${n.name}) is not supported`);
    const attributes: Record<string, Attribute> = {};
    for (const a of n.attribute ?? []) attributes[a.name!] = attributeFromProto(a);
    return { name: n.name ?? '', opType: n.opType!, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attributes };
  });
  const metadata: Record<string, string> = {};
  for (const p of proto.metadataProps ?? []) metadata[p.key!] = p.value ?? '';
  return { graph: { name: g.name ?? '', doc: g.docString ?? '', inputs, outputs, initializers, nodes, types }, metadata, proto };
}

function attributeFromProto(a: onnxProto.onnx.IAttributeProto): Attribute {
  switch (a.type) {
    case 1:
      return { kind: 'float', value: a.f ?? 0 };
    case 2:
      return { kind: 'int', value: Number(a.i ?? 0) };
    case 3:
      return { kind: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case 6:
      return { kind: 'floats', value: [...(a.floats ?? [])] };
    case 7:
      return { kind: 'ints', value: (a.ints ?? []).map(Number) };
    default:
      throw new UnsupportedModelError(`attribute ${a.name} has unsupported type ${a.type}`);
  }
}

/** ONNX `TensorProto.DataLocation.EXTERNAL`: the tensor's bytes are in another file, named in `external_data`. */
const EXTERNAL = 1;

function initializerFromProto(t: onnxProto.onnx.ITensorProto): Initializer {
  // the bytes of such a tensor live in a file beside the model; reading it would mean opening a path the model names,
  // and alexnet-onnx reads nothing but the model file it was given
  if (t.dataLocation === EXTERNAL || t.externalData?.length) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    throw new UnsupportedModelError(
      `initializer ${t.name} keeps its data in an external file${location ? ` (${location})` : ''}: ONNX external data is not supported (alexnet-onnx reads only the model file itself; save the model without external data)`,
    );
  }
  const dtype = dtypeFromOnnx(t.dataType ?? 0);
  const dims = (t.dims ?? []).map(Number);
  const count = numElements(dims);
  let data: TensorData;
  if (t.rawData?.length) {
    if (t.rawData.length !== count * DTYPES[dtype].bytes)
      throw new Error(`initializer ${t.name}: ${t.rawData.length} bytes for dims [${dims}]`);
    // a copy: raw_data is a view into the whole file's buffer, at an offset that need not be aligned (and in Node it
    // is a Buffer, whose slice() is another view of that buffer, not a copy)
    data = DTYPES[dtype].view(Uint8Array.from(t.rawData).buffer, count);
  } else if (dtype === 'float32') data = Float32Array.from(t.floatData ?? []);
  else if (dtype === 'int64') data = BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))));
  else throw new UnsupportedModelError(`initializer ${t.name}: ${dtype} data outside raw_data is not supported`);
  if (data.length !== count) throw new Error(`initializer ${t.name}: ${data.length} values for dims [${dims}]`);
  return { name: t.name!, dtype, dims, data };
}
