import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { parseModel } from '../../src/onnx/parse.js';
import { decodeModel } from '../../src/onnx/proto.js';
import { encodeModel, IR_VERSION, OPSET } from '../../src/onnx/serialize.js';
import { attr } from '../../src/onnx/types.js';

const info = { producerName: 'test', producerVersion: '0', doc: 'd', metadata: { b: '2', a: '1' } };

function lrnGraph() {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'float32', shape: [1, 8, 4, 4] });
  const y = b.op1(
    'LRN',
    [x],
    { size: attr.int(5), alpha: attr.float(1e-4), beta: attr.float(0.75), bias: attr.float(1.0) },
    { name: 'lrn' },
  );
  b.output(y);
  return b.build();
}

describe('typed attributes', () => {
  it('writes a JavaScript 1.0 as FLOAT when declared float, and integers as INT', () => {
    const model = decodeModel(encodeModel(lrnGraph(), info));
    const attrs = Object.fromEntries(model.graph!.node![0]!.attribute!.map((a) => [a.name!, a]));
    expect(attrs.bias!.type).toBe(1); // FLOAT
    expect(attrs.bias!.f).toBe(1);
    expect(attrs.size!.type).toBe(2); // INT
    expect(Number(attrs.size!.i)).toBe(5);
    expect(attrs.alpha!.f).toBeCloseTo(1e-4, 10);
  });

  it('refuses a non-integer for an integer attribute instead of truncating it', () => {
    expect(() => attr.int(1.5)).toThrow(/integer attribute expected, got 1.5/);
    expect(() => attr.ints([1, 2.5])).toThrow(/2.5/);
  });
});

describe('serialization', () => {
  it('gives the same bytes for the same graph, with IR 8, opset 17 and sorted metadata', () => {
    const a = encodeModel(lrnGraph(), info);
    const b = encodeModel(lrnGraph(), info);
    expect(createHash('sha256').update(a).digest('hex')).toBe(createHash('sha256').update(b).digest('hex'));
    const model = decodeModel(a);
    expect(Number(model.irVersion)).toBe(IR_VERSION);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', OPSET]]);
    expect(model.metadataProps.map((p) => p.key)).toEqual(['a', 'b']);
  });

  it('parses back the graph it wrote, initializer values included, and writes the same bytes again', () => {
    const model = buildForwardModel({ ...DEFAULT_OPTIONS, batch: 1, imageSize: 67, lrnImpl: 'decomposed' });
    const bytes = modelBytes(model);
    const parsed = parseModel(bytes);
    const shape = parsed.graph.initializers.find((i) => i.dtype === 'int64')!;
    expect(Array.from(shape.data as BigInt64Array)).toEqual(
      Array.from(model.graph.initializers.find((i) => i.name === shape.name)!.data as BigInt64Array),
    );
    const again = encodeModel(parsed.graph, {
      producerName: parsed.proto.producerName,
      producerVersion: parsed.proto.producerVersion,
      doc: parsed.proto.docString,
      metadata: parsed.metadata,
    });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('rejects bytes that are not a model', () => {
    expect(() => decodeModel(new Uint8Array([1, 2, 3, 4, 5]))).toThrow();
  });
});

describe('shape rules', () => {
  it('computes Conv with TF SAME pads at stride 4, MaxPool, Flatten and Gemm', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: ['N', 3, 224, 224] });
    const w = b.initializer('w', 'float32', [64, 3, 11, 11], new Float32Array(64 * 3 * 121));
    const c = b.op1('Conv', [x, w], { kernel_shape: attr.ints([11, 11]), strides: attr.ints([4, 4]), pads: attr.ints([3, 3, 4, 4]) });
    expect(b.typeOf(c).shape).toEqual(['N', 64, 56, 56]);
    const [p, idx] = b.op('MaxPool', [c], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) }, { outputs: 2 });
    expect(b.typeOf(p!)).toEqual({ dtype: 'float32', shape: ['N', 64, 27, 27] });
    expect(b.typeOf(idx!)).toEqual({ dtype: 'int64', shape: ['N', 64, 27, 27] });
    const f = b.op1('Flatten', [p!], { axis: attr.int(1) });
    expect(b.typeOf(f).shape).toEqual(['N', 64 * 27 * 27]);
    const fw = b.initializer('fw', 'float32', [64 * 27 * 27, 10], new Float32Array(64 * 27 * 27 * 10));
    expect(b.typeOf(b.op1('Gemm', [f, fw])).shape).toEqual(['N', 10]);
  });

  it('inverts a strided Conv with ConvTranspose and output_padding', () => {
    const b = new GraphBuilder('g');
    const dy = b.input('dy', { dtype: 'float32', shape: [2, 64, 56, 56] });
    const w = b.initializer('w', 'float32', [64, 3, 11, 11], new Float32Array(64 * 3 * 121));
    const dx = b.op1('ConvTranspose', [dy, w], {
      strides: attr.ints([4, 4]),
      pads: attr.ints([3, 3, 4, 4]),
      output_padding: attr.ints([0, 0]),
    });
    expect(b.typeOf(dx).shape).toEqual([2, 3, 224, 224]);
  });

  it('follows Reshape 0 and -1, and Shape values into ConstantOfShape', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: ['N', 4, 3, 3] });
    const r = b.op1('Reshape', [x, b.int64s([0, 1, 4, 9])]);
    expect(b.typeOf(r).shape).toEqual(['N', 1, 4, 9]);
    const flat = b.op1('Reshape', [x, b.int64s([-1])]);
    expect(b.typeOf(flat).shape).toEqual(['N*36']);
    const zeros = b.op1('ConstantOfShape', [b.op1('Shape', [x])]);
    expect(b.typeOf(zeros).shape).toEqual(['N', 4, 3, 3]);
  });

  it('multiplies matrices and stacks of matrices with MatMul, the stack dims from the operand that has them', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: ['N', 5, 7] });
    const a = b.initializer('a', 'float32', [4, 5], new Float32Array(20));
    expect(b.typeOf(b.op1('MatMul', [a, x])).shape).toEqual(['N', 4, 7]);
    const w = b.initializer('w', 'float32', [7, 2], new Float32Array(14));
    expect(b.typeOf(b.op1('MatMul', [x, w])).shape).toEqual(['N', 5, 2]);
    expect(b.typeOf(b.op1('MatMul', [a, b.initializer('m', 'float32', [5, 3], new Float32Array(15))])).shape).toEqual([4, 3]);
    const y = b.input('y', { dtype: 'float32', shape: [2, 7, 3] });
    expect(() => b.op1('MatMul', [x, y])).toThrow(/batch dims must match/);
    expect(() => b.op1('MatMul', [b.input('v', { dtype: 'float32', shape: [5] }), w])).toThrow(/1-D/);
  });

  it('fails loudly on an operator without a shape rule and on unknown inputs', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: [1] });
    expect(() => b.op1('Softsign', [x])).toThrow(/no shape rule for operator Softsign/);
    expect(() => b.op1('Relu', ['nope'])).toThrow(/unknown input 'nope'/);
    expect(() => b.op1('Relu', [x], {}, { name: 'x' })).toThrow(/already used/);
  });

  it('shares one initializer per distinct constant', () => {
    const b = new GraphBuilder('g');
    expect(b.scalar(0)).toBe(b.scalar(0));
    expect(b.scalar(0)).not.toBe(b.scalar(1));
    expect(b.initializers).toHaveLength(2);
  });
});
