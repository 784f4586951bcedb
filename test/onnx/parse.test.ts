import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { parseModel, UnsupportedModelError } from '../../src/onnx/parse.js';
import { decodeModel, encodeProto } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/serialize.js';

const info = { producerName: 'test', producerVersion: '0', doc: '', metadata: {} };

/** `y = x + w` with a float32 [2, 3] initializer `w`. */
function addModel(): Uint8Array {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'float32', shape: [2, 3] });
  const w = b.initializer('w', 'float32', [2, 3], new Float32Array(6).fill(1));
  b.output(b.op1('Add', [x, w], {}, { name: 'y' }));
  return encodeModel(b.build(), info);
}

/** The same model with `w`'s bytes moved out, as onnx.save_model(..., save_as_external_data=True) writes it. */
function withExternalData(entries: { key: string; value: string }[], dataLocation?: number): Uint8Array {
  const proto = decodeModel(addModel());
  const w = proto.graph!.initializer![0]!;
  w.rawData = new Uint8Array();
  w.externalData = entries;
  if (dataLocation !== undefined) w.dataLocation = dataLocation;
  return encodeProto(proto);
}

describe('parseModel', () => {
  it('reads initializers stored in the file', () => {
    expect(parseModel(addModel()).graph.initializers[0]!.data).toEqual(new Float32Array(6).fill(1));
  });

  it('refuses initializers whose data is in an external file, naming it, without reading it', () => {
    const entries = [
      { key: 'location', value: '../../etc/w.bin' },
      { key: 'offset', value: '0' },
      { key: 'length', value: '24' },
    ];
    for (const bytes of [withExternalData(entries, 1), withExternalData(entries), withExternalData([], 1)]) {
      expect(() => parseModel(bytes)).toThrow(UnsupportedModelError);
      expect(() => parseModel(bytes)).toThrow(/initializer w keeps its data in an external file.*: ONNX external data is not supported/);
    }
    expect(() => parseModel(withExternalData(entries, 1))).toThrow(/external file \(\.\.\/\.\.\/etc\/w\.bin\)/);
  });
});
