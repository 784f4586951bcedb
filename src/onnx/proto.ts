import onnxProto from 'onnx-proto';
import { DTYPES } from './dtypes.js';
import type { Initializer } from './types.js';

/**
 * onnx-proto's protobuf messages, for code that edits a decoded model in place (the benchmark puts the images into
 * a model as an initializer). Internal: onnx-proto's declarations need protobufjs 6's global `Long` type, so the
 * public API (`src/index.ts`) never names these types.
 */

// onnx-proto is CommonJS: from an ES module only its default export is reliable at run time.
const { onnx } = onnxProto;

/** A decoded ONNX model. */
export type ModelProto = onnxProto.onnx.ModelProto;

/** An initializer as a TensorProto with little-endian raw_data. */
export function tensorProto(init: Initializer): onnxProto.onnx.ITensorProto {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian hosts are not supported');
  const bytes = new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
  return { name: init.name, dims: init.dims, dataType: DTYPES[init.dtype].onnx, rawData: bytes };
}

/** Parses ONNX bytes; throws a clear error if they are not a model. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`not an ONNX model: ${(err as Error).message}`);
  }
  if (!model.graph?.node?.length) throw new Error('not an ONNX model: no graph');
  return model;
}

/** Re-encodes a decoded model (after edits such as an added initializer). */
export function encodeProto(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
