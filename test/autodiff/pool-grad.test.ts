import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { addBackward } from '../../src/autodiff/backward.js';
import { maxPoolGradRule } from '../../src/autodiff/pool-grad.js';
import { Random } from '../../src/model/random.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/serialize.js';
import { attr, numElements } from '../../src/onnx/types.js';

/**
 * The three MaxPool gradients on ReLU outputs, where whole windows tie at zero: each must send a window's gradient to
 * its first maximum, as ONNX Runtime's Indices (and PyTorch) do, so all three agree. Finite differences
 * (finite-difference.test.ts) cannot check ties.
 */
const CHOICES = ['scatter', 'mask', 'match'] as const;

async function poolGradient(choice: (typeof CHOICES)[number], shape: number[], x: Float32Array, r: Float32Array, kernel = 3, stride = 2) {
  const b = new GraphBuilder('pool');
  const input = b.input('x', { dtype: 'float32', shape });
  const relu = b.op1('Relu', [input]);
  const y = b.op1('MaxPool', [relu], { kernel_shape: attr.ints([kernel, kernel]), strides: attr.ints([stride, stride]) });
  const weights = b.initializer('R', 'float32', b.staticShape(y), r.subarray(0, numElements(b.staticShape(y))));
  // the offset keeps the gradient of all-zero windows nonzero
  const loss = b.op1('ReduceSumSquare', [b.op1('Add', [b.op1('Mul', [y, weights]), b.scalar(1)])], { keepdims: attr.int(0) });
  const [grad] = addBackward(b, { loss, wrt: [relu], rules: { MaxPool: maxPoolGradRule(choice) } });
  b.output(grad!);
  const graph = b.build();
  const session = await ort.InferenceSession.create(encodeModel(graph, { producerName: 't', producerVersion: '0', doc: '', metadata: {} }));
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, shape) });
    return { grad: Array.from(out[grad!]!.data as Float32Array), graph };
  } finally {
    await session.release();
  }
}

describe('MaxPool gradients', () => {
  it.each([[[2, 3, 11, 11]], [[1, 2, 10, 9]]])('scatter, mask and match agree on %o, ties at zero included', async (shape) => {
    const rng = new Random(3, 'pool-ties');
    const n = numElements(shape);
    const x = Float32Array.from({ length: n }, () => rng.normal() - 0.8);
    const r = Float32Array.from({ length: n }, () => rng.normal());
    const [scatter, mask, match] = await Promise.all(CHOICES.map((c) => poolGradient(c, shape, x, r)));
    // the case must contain what it claims: windows of zeros (ties) whose gradient goes to one of their zeros
    expect(scatter!.grad.filter((v, i) => v !== 0 && x[i]! <= 0).length).toBeGreaterThan(0);
    for (const other of [mask!, match!]) {
      // the same positions receive gradient; the sums of overlapping windows may round differently
      expect(other.grad.map((v) => v !== 0)).toEqual(scatter!.grad.map((v) => v !== 0));
      const scale = Math.max(...scatter!.grad.map(Math.abs));
      expect(Math.max(...other.grad.map((v, i) => Math.abs(v - scatter!.grad[i]!)))).toBeLessThan(1e-6 * scale);
    }
  });

  // match reads its windows from the input's phase planes: one plane per offset (stride = kernel), the input itself
  // (stride 1), planes wider than the windows (kernel > stride)
  it.each([
    [2, 1],
    [3, 3],
    [4, 2],
  ])('scatter and match agree with kernel %i, stride %i', async (kernel, stride) => {
    const shape = [2, 3, 10, 11];
    const rng = new Random(4, 'pool-geometry');
    const x = Float32Array.from({ length: numElements(shape) }, () => rng.normal() - 0.5);
    const r = Float32Array.from({ length: numElements(shape) }, () => rng.normal());
    const scatter = await poolGradient('scatter', shape, x, r, kernel, stride);
    const match = await poolGradient('match', shape, x, r, kernel, stride);
    const scale = Math.max(...scatter.grad.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    expect(Math.max(...match.grad.map((v, i) => Math.abs(v - scatter.grad[i]!)))).toBeLessThan(1e-6 * scale);
  });

  it('match leaves the forward MaxPool without an Indices output (its CPU kernel is the slow one)', async () => {
    const shape = [1, 2, 9, 9];
    const x = new Float32Array(numElements(shape)).fill(1);
    const { graph } = await poolGradient('match', shape, x, x);
    const pools = graph.nodes.filter((node) => node.opType === 'MaxPool');
    expect(pools.map((p) => p.outputs.length)).toEqual([1]);
    const scatter = await poolGradient('scatter', shape, x, x);
    expect(scatter.graph.nodes.filter((node) => node.opType === 'MaxPool').map((p) => p.outputs.length)).toEqual([2]);
  });
});
