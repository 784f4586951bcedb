import type { DType, TensorData } from './types.js';

/** ONNX `TensorProto.DataType` codes and storage for each element type we use. */
export const DTYPES: Record<
  DType,
  { onnx: number; bytes: number; make: (n: number) => TensorData; view: (b: ArrayBuffer, n: number) => TensorData }
> = {
  float32: { onnx: 1, bytes: 4, make: (n) => new Float32Array(n), view: (b, n) => new Float32Array(b, 0, n) },
  int32: { onnx: 6, bytes: 4, make: (n) => new Int32Array(n), view: (b, n) => new Int32Array(b, 0, n) },
  int64: { onnx: 7, bytes: 8, make: (n) => new BigInt64Array(n), view: (b, n) => new BigInt64Array(b, 0, n) },
  bool: { onnx: 9, bytes: 1, make: (n) => new Uint8Array(n), view: (b, n) => new Uint8Array(b, 0, n) },
  float64: { onnx: 11, bytes: 8, make: (n) => new Float64Array(n), view: (b, n) => new Float64Array(b, 0, n) },
};

/** The element type for an ONNX data type code; throws for codes we never emit. */
export function dtypeFromOnnx(code: number): DType {
  for (const [name, info] of Object.entries(DTYPES)) if (info.onnx === code) return name as DType;
  throw new Error(`unsupported ONNX data type ${code}`);
}
