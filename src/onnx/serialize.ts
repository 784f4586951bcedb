import onnxProto from 'onnx-proto';
import { DTYPES } from './dtypes.js';
import { tensorProto } from './proto.js';
import type { Attribute, Graph, TensorType } from './types.js';

// onnx-proto is CommonJS: from an ES module only its default export is reliable at run time.
const { onnx } = onnxProto;

/** ONNX IR version written into every model (ONNX 1.10+; ONNX Runtime 1.29 reads it). */
export const IR_VERSION = 8;
/** Default-domain opset every model imports. */
export const OPSET = 17;

/** Model-level fields. `metadata` keys are written sorted so equal inputs give equal bytes. */
export interface ModelInfo {
  producerName: string;
  producerVersion: string;
  doc: string;
  metadata: Record<string, string>;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

function attributeProto(name: string, a: Attribute): onnxProto.onnx.IAttributeProto {
  const base = { name, type: ATTR_TYPE[a.kind] };
  switch (a.kind) {
    case 'float':
      return { ...base, f: a.value };
    case 'int':
      return { ...base, i: a.value };
    case 'string':
      return { ...base, s: new TextEncoder().encode(a.value) };
    case 'floats':
      return { ...base, floats: a.value };
    case 'ints':
      return { ...base, ints: a.value };
  }
}

function valueInfoProto(name: string, type: TensorType): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DTYPES[type.dtype].onnx,
        shape: { dim: type.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Converts a graph to an `onnx.ModelProto` message, like onnx.helper.make_model. */
function toModelProto(graph: Graph, info: ModelInfo): onnxProto.onnx.ModelProto {
  const declared = new Set([...graph.inputs, ...graph.outputs].map((v) => v.name));
  for (const i of graph.initializers) declared.add(i.name);
  const valueInfo = graph.nodes
    .flatMap((n) => n.outputs)
    .filter((name) => name !== '' && !declared.has(name))
    .map((name) => valueInfoProto(name, graph.types.get(name)!));
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: info.producerName,
    producerVersion: info.producerVersion,
    docString: info.doc,
    metadataProps: Object.keys(info.metadata)
      .sort()
      .map((key) => ({ key, value: info.metadata[key]! })),
    graph: {
      name: graph.name,
      docString: graph.doc,
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.keys(n.attributes)
          .sort()
          .map((k) => attributeProto(k, n.attributes[k]!)),
      })),
      initializer: graph.initializers.map(tensorProto),
      input: graph.inputs.map((v) => valueInfoProto(v.name, v.type)),
      output: graph.outputs.map((v) => valueInfoProto(v.name, v.type)),
      valueInfo,
    },
  });
}

/**
 * Serializes a graph to ONNX bytes; the same graph and info always give the same bytes. The protobuf messages stay
 * inside this module and proto.ts, so the public declarations never name onnx-proto's types.
 */
export function encodeModel(graph: Graph, info: ModelInfo): Uint8Array {
  return onnx.ModelProto.encode(toModelProto(graph, info)).finish();
}
