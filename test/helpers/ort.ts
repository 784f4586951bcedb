import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { BuiltModel } from '../../src/model/built.js';
import { modelBytes } from '../../src/model/export.js';

/** Runs a built model once on onnxruntime-node's CPU EP and returns every graph output. */
export async function runOnCpu(model: BuiltModel, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(modelBytes(model));
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

/** Writes a float32 tensor as raw little-endian bytes (what numpy.fromfile reads). */
export function writeRaw(dir: string, name: string, data: Float32Array): void {
  writeFileSync(join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
