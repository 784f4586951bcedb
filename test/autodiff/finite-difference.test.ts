import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { addBackward, type CompositeGrad } from '../../src/autodiff/backward.js';
import type { GradRule } from '../../src/autodiff/context.js';
import { convGradRule } from '../../src/autodiff/conv-grad.js';
import { MAXPOOL_MASK_RULE, MAXPOOL_MATCH_RULE } from '../../src/autodiff/pool-grad.js';
import { type LrnParams, lrn, lrnGradients } from '../../src/model/lrn.js';
import { Random } from '../../src/model/random.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { channelWindowSum } from '../../src/onnx/compose.js';
import { encodeModel } from '../../src/onnx/serialize.js';
import { attr, numElements } from '../../src/onnx/types.js';

/**
 * Central finite differences, one small graph per gradient rule: loss = 0.5 * sum((f(inputs) * R)^2) with a fixed
 * random R (so every output element matters differently), gradients from our backward pass on onnxruntime-node CPU,
 * compared at sampled coordinates with (L(x + eps) - L(x - eps)) / (2 eps), all in float32.
 */
interface Input {
  name: string;
  shape: number[];
  /** How to fill it: normals, or distinct values (no ties, for MaxPool), or values kept away from 0 (Relu's kink). */
  fill?: 'normal' | 'distinct' | 'away-from-zero';
}

interface Case {
  inputs: Input[];
  build: (b: GraphBuilder, inputs: string[]) => string;
  /** The graph computes the loss itself (e.g. SoftmaxCrossEntropyLoss) instead of the R-weighted l2. */
  isLoss?: boolean;
  rules?: Record<string, GradRule>;
  /** Groups of nodes differentiated as one, found in the built forward graph. */
  composites?: (b: GraphBuilder) => CompositeGrad[];
  extraFeeds?: Record<string, ort.Tensor>;
  eps?: number;
}

function fill(input: Input, rng: Random): Float32Array {
  const n = numElements(input.shape);
  const data = new Float32Array(n);
  if (input.fill === 'distinct') {
    const order = [...Array(n).keys()].sort(() => rng.uniform() - 0.5);
    order.forEach((rank, i) => (data[i] = (rank - n / 2) * 0.05));
  } else {
    for (let i = 0; i < n; i++) {
      let v = rng.normal();
      if (input.fill === 'away-from-zero') v = Math.sign(v) * (0.2 + Math.abs(v));
      data[i] = v;
    }
  }
  return data;
}

/** The banded LRN's closed-form gradient, checked to be found (one per LRN) so that the case cannot pass without it. */
function expectOneLrn(b: GraphBuilder): CompositeGrad[] {
  const found = lrnGradients(b);
  expect(found.map((c) => c.name)).toEqual(['lrn']);
  return found;
}

async function check(c: Case): Promise<void> {
  const rng = new Random(11, 'fd');
  const b = new GraphBuilder('fd');
  const names = c.inputs.map((i) => b.input(i.name, { dtype: 'float32', shape: i.shape }));
  if (c.extraFeeds) for (const [name, t] of Object.entries(c.extraFeeds)) b.input(name, { dtype: 'int64', shape: [...t.dims] });
  const y = c.build(b, names);
  let loss = y;
  if (!c.isLoss) {
    const shape = b.staticShape(y);
    const r = b.initializer('R', 'float32', shape, fill({ name: 'R', shape }, rng));
    const weighted = b.op1('Mul', [y, r], {}, { name: 'weighted' });
    loss = b.op1(
      'Mul',
      [b.op1('ReduceSumSquare', [weighted], { keepdims: attr.int(0) }, { name: 'sumsq' }), b.scalar(0.5)],
      {},
      { name: 'loss_value' },
    );
  }
  const grads = addBackward(b, { loss, wrt: names, rules: c.rules, composites: c.composites?.(b) });
  b.output(loss);
  grads.forEach((g) => b.output(g));
  const session = await ort.InferenceSession.create(
    encodeModel(b.build(), { producerName: 't', producerVersion: '0', doc: '', metadata: {} }),
  );
  const values = c.inputs.map((i) => fill(i, rng));
  const feeds = (): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = { ...c.extraFeeds };
    c.inputs.forEach((i, k) => (f[i.name] = new ort.Tensor('float32', values[k]!.slice(), i.shape)));
    return f;
  };
  const lossAt = async (): Promise<number> => ((await session.run(feeds(), [loss]))[loss]!.data as Float32Array)[0]!;
  const analytic = await session.run(feeds());
  const eps = c.eps ?? 1e-2;
  for (let k = 0; k < c.inputs.length; k++) {
    const g = analytic[grads[k]!]!.data as Float32Array;
    const scale = Math.max(...Array.from(g, Math.abs));
    expect(scale, `${c.inputs[k]!.name}: gradient is all zeros`).toBeGreaterThan(0);
    const n = values[k]!.length;
    for (let s = 0; s < 8; s++) {
      const idx = Math.floor(rng.uniform() * n) % n;
      const keep = values[k]![idx]!;
      values[k]![idx] = keep + eps;
      const plus = await lossAt();
      values[k]![idx] = keep - eps;
      const minus = await lossAt();
      values[k]![idx] = keep;
      const fd = (plus - minus) / (2 * eps);
      expect(Math.abs(fd - g[idx]!), `${c.inputs[k]!.name}[${idx}]: fd ${fd} vs analytic ${g[idx]}`).toBeLessThanOrEqual(
        2e-2 * Math.abs(g[idx]!) + 5e-3 * scale,
      );
    }
  }
  await session.release();
}

const pool = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) };

describe('finite differences agree with every gradient rule', () => {
  it('Conv (stride 4, asymmetric TF SAME pads; input, weight and bias)', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 2, 14, 14] },
        { name: 'w', shape: [3, 2, 5, 5] },
        { name: 'bias', shape: [3] },
      ],
      build: (b, [x, w, bias]) =>
        b.op1('Conv', [x!, w!, bias!], { kernel_shape: attr.ints([5, 5]), strides: attr.ints([4, 4]), pads: attr.ints([1, 1, 2, 2]) }),
    }));

  it('Conv (stride 1, SAME)', () =>
    check({
      inputs: [
        { name: 'x', shape: [1, 3, 6, 6] },
        { name: 'w', shape: [4, 3, 3, 3] },
      ],
      build: (b, [x, w]) => b.op1('Conv', [x!, w!], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }),
    }));

  it('Conv with the MatMul weight gradient (16 input channels, stride 2, asymmetric pads)', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 16, 7, 7] },
        { name: 'w', shape: [3, 16, 3, 3] },
        { name: 'bias', shape: [3] },
      ],
      build: (b, [x, w, bias]) =>
        b.op1('Conv', [x!, w!, bias!], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([0, 0, 1, 1]) }),
      rules: { Conv: convGradRule('matmul', 'convtranspose') },
    }));

  it('Conv with the data gradient as a Conv of the flipped weights (stride 1, asymmetric pads)', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 7, 6] },
        { name: 'w', shape: [4, 3, 5, 3] },
        { name: 'bias', shape: [4] },
      ],
      build: (b, [x, w, bias]) => b.op1('Conv', [x!, w!, bias!], { kernel_shape: attr.ints([5, 3]), pads: attr.ints([2, 0, 1, 2]) }),
      rules: { Conv: convGradRule('conv', 'conv') },
    }));

  it('Relu', () => check({ inputs: [{ name: 'x', shape: [2, 3, 4], fill: 'away-from-zero' }], build: (b, [x]) => b.op1('Relu', [x!]) }));

  it('LRN (ONNX op)', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 7, 3, 3] }],
      build: (b, [x]) => b.op1('LRN', [x!], { size: attr.int(5), alpha: attr.float(0.5), beta: attr.float(0.75), bias: attr.float(2) }),
    }));

  it('LRN decomposed (Mul, Reshape, channel-window Conv, Add, Pow)', () =>
    check({
      inputs: [{ name: 'x', shape: [1, 6, 3, 3] }],
      build: (b, [x]) => {
        const win = channelWindowSum(b, b.op1('Mul', [x!, x!]), 3, 'win');
        const norm = b.op1('Add', [b.op1('Mul', [win, b.scalar(0.3)]), b.scalar(1)]);
        return b.op1('Mul', [x!, b.op1('Pow', [norm, b.scalar(-0.75)])]);
      },
    }));

  // alpha far above the presets' (1e-4) so that the window's cross terms weigh in the comparison
  it.each<[string, LrnParams]>([
    ['radius 2, beta 0.75: Sqrt/Div', { depthRadius: 2, bias: 2, alpha: 0.1, beta: 0.75 }],
    ['radius 4, beta 0.75: Sqrt/Div', { depthRadius: 4, bias: 1, alpha: 0.05, beta: 0.75 }],
    ['radius 2, beta 0.6: Pow', { depthRadius: 2, bias: 1.5, alpha: 0.1, beta: 0.6 }],
  ])('LRN banded (banded 1x1 Conv with bias, %s), op by op and in closed form', async (_, params) => {
    const build = (b: GraphBuilder, [x]: string[]): string => lrn(b, x!, 'lrn', params, 'banded');
    await check({ inputs: [{ name: 'x', shape: [2, 12, 3, 3] }], build });
    await check({ inputs: [{ name: 'x', shape: [2, 12, 3, 3] }], build, composites: expectOneLrn });
  });

  it('Sqrt and Div (numerator and a broadcast denominator)', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 4] },
        { name: 'c', shape: [3, 1] },
      ],
      build: (b, [x, c]) => {
        const positive = (v: string) => b.op1('Add', [b.op1('Mul', [v, v]), b.scalar(0.5)]);
        return b.op1('Div', [b.op1('Sqrt', [positive(x!)]), positive(c!)]);
      },
    }));

  it('Pow with a negative exponent (its gradient is written with Div) and a positive one', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 5] }],
      build: (b, [x]) => {
        const positive = b.op1('Add', [b.op1('Mul', [x!, x!]), b.scalar(0.5)]);
        return b.op1('Add', [b.op1('Pow', [positive, b.scalar(-0.75)]), b.op1('Pow', [x!, b.scalar(3)])]);
      },
    }));

  it('MaxPool 3x3/2 with Indices + ScatterElements(add)', () =>
    check({ inputs: [{ name: 'x', shape: [2, 2, 9, 9], fill: 'distinct' }], build: (b, [x]) => b.op1('MaxPool', [x!], pool), eps: 5e-3 }));

  it('MaxPool 3x3/2 with equality masks + grouped ConvTranspose', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 2, 10, 10], fill: 'distinct' }],
      build: (b, [x]) => b.op1('MaxPool', [x!], pool),
      rules: { MaxPool: MAXPOOL_MASK_RULE },
      eps: 5e-3,
    }));

  it('MaxPool 3x3/2 with matched indices + ScatterElements(add) (a last row no window covers)', () =>
    check({
      inputs: [{ name: 'x', shape: [2, 2, 10, 10], fill: 'distinct' }],
      build: (b, [x]) => b.op1('MaxPool', [x!], pool),
      rules: { MaxPool: MAXPOOL_MATCH_RULE },
      eps: 5e-3,
    }));

  it('Flatten and Gemm (input, weight, bias)', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 2, 2, 2] },
        { name: 'w', shape: [8, 3] },
        { name: 'bias', shape: [3] },
      ],
      build: (b, [x, w, bias]) => b.op1('Gemm', [b.op1('Flatten', [x!], { axis: attr.int(1) }), w!, bias!]),
    }));

  it('Add, Sub, Mul with broadcasting, Reshape, Identity', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 2, 2] },
        { name: 'c', shape: [3, 1, 1] },
      ],
      build: (b, [x, c]) => {
        const s = b.op1('Sub', [b.op1('Add', [x!, c!]), b.op1('Mul', [x!, c!])]);
        return b.op1('Identity', [b.op1('Reshape', [s, b.int64s([2, 12])])]);
      },
    }));

  it('Where (condition from a comparison, which carries no gradient; both branches, one broadcast)', () =>
    check({
      inputs: [
        { name: 'x', shape: [2, 3, 4] },
        { name: 'c', shape: [1, 3, 1] },
      ],
      build: (b, [x, c]) => b.op1('Where', [b.op1('Less', [x!, b.scalar(0.3)]), b.op1('Mul', [x!, b.scalar(2)]), c!]),
    }));

  it('SoftmaxCrossEntropyLoss (mean)', () =>
    check({
      inputs: [{ name: 'logits', shape: [3, 5] }],
      build: (b, [x]) =>
        b.op('SoftmaxCrossEntropyLoss', [x!, 'labels'], { reduction: attr.string('mean') }, { name: 'sce', outputs: ['sce'] })[0]!,
      isLoss: true,
      extraFeeds: { labels: new ort.Tensor('int64', BigInt64Array.from([1n, 4n, 0n]), [3]) },
    }));
});

describe('backward pass', () => {
  it('fails loudly for an operator without a rule, naming it and the rules that exist', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: [2] });
    const y = b.op1('Exp', [x]);
    expect(() => addBackward(b, { loss: b.op1('ReduceSumSquare', [y], { keepdims: attr.int(0) }), wrt: [x] })).toThrow(
      /no gradient rule for operator Exp .*rules exist for: .*Conv.*MaxPool/,
    );
  });

  it('refuses a loss that does not depend on the requested values', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: [2] });
    const z = b.input('z', { dtype: 'float32', shape: [2] });
    expect(() => addBackward(b, { loss: b.op1('ReduceSumSquare', [z], { keepdims: attr.int(0) }), wrt: [x] })).toThrow(/does not depend/);
  });

  it('skips what no requested gradient needs (no input gradient for the images)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('images', { dtype: 'float32', shape: [1, 1, 4, 4] });
    const w = b.initializer('w', 'float32', [1, 1, 3, 3], new Float32Array(9));
    const y = b.op1('Conv', [x, w], { kernel_shape: attr.ints([3, 3]) });
    addBackward(b, { loss: b.op1('ReduceSumSquare', [y], { keepdims: attr.int(0) }), wrt: [w] });
    expect(b.nodes.some((n) => n.opType === 'ConvTranspose')).toBe(false);
    expect(b.types.has('images_grad')).toBe(false);
    expect(b.types.has('w_grad')).toBe(true);
  });

  it('sums the gradients of a value used twice (x * x)', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'float32', shape: [3] });
    const loss = b.op1('ReduceSumSquare', [b.op1('Mul', [x, x])], { keepdims: attr.int(0) });
    const [gx] = addBackward(b, { loss, wrt: [x] });
    b.output(gx!);
    const s = await ort.InferenceSession.create(encodeModel(b.build(), { producerName: 't', producerVersion: '0', doc: '', metadata: {} }));
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, -2, 0.5]), [3]) });
    // d/dx sum(x^4) = 4 x^3
    expect([...(out[gx!]!.data as Float32Array)]).toEqual([4, -32, 0.5]);
  });
});
