import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { addBackward } from '../../src/autodiff/backward.js';
import { maxPoolGradRule } from '../../src/autodiff/pool-grad.js';
import { reluPoolFold } from '../../src/autodiff/relu-fold.js';
import { LRN_PRESETS } from '../../src/model/alexnet.js';
import { lrn, lrnGradients } from '../../src/model/lrn.js';
import { Random } from '../../src/model/random.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/serialize.js';
import { attr, numElements } from '../../src/onnx/types.js';

/**
 * The ReLU mask folded into the MaxPool gradient (`reluPoolFold`) must give the same gradient as the ReLU's own
 * `Where`, exactly where it matters: inputs mostly negative, so that many windows hold only zeros and tie.
 */
const SHAPE = [2, 12, 11, 11];
const POOLS = ['scatter', 'mask', 'match'] as const;
const LRNS = ['none', 'op', 'banded'] as const;

async function gradient(pool: (typeof POOLS)[number], lrnImpl: (typeof LRNS)[number], fold: boolean, x: Float32Array, r: Float32Array) {
  const b = new GraphBuilder('fold');
  const input = b.input('x', { dtype: 'float32', shape: SHAPE });
  let v = b.op1('Relu', [input], {}, { name: 'relu' });
  if (lrnImpl !== 'none') v = lrn(b, v, 'lrn', { ...LRN_PRESETS.paper, alpha: 0.05 }, lrnImpl);
  const y = b.op1('MaxPool', [v], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) }, { name: 'pool' });
  const weights = b.initializer('R', 'float32', b.staticShape(y), r.subarray(0, numElements(b.staticShape(y))));
  // the offset keeps the gradient of all-zero windows nonzero, so that dropping it would show
  const loss = b.op1('ReduceSumSquare', [b.op1('Add', [b.op1('Mul', [y, weights]), b.scalar(1)])], { keepdims: attr.int(0) });
  const poolRule = maxPoolGradRule(pool);
  const composites = lrnGradients(b);
  const nodeRules = fold ? reluPoolFold(b, composites, poolRule) : {};
  if (fold) expect(Object.keys(nodeRules).sort()).toEqual(['pool', 'relu']);
  const [grad] = addBackward(b, { loss, wrt: [input], rules: { MaxPool: poolRule }, composites, nodeRules });
  b.output(grad!);
  const graph = b.build();
  const session = await ort.InferenceSession.create(encodeModel(graph, { producerName: 't', producerVersion: '0', doc: '', metadata: {} }));
  try {
    const out = await session.run({ x: new ort.Tensor('float32', x, SHAPE) });
    return { grad: out[grad!]!.data as Float32Array, wheres: graph.nodes.filter((n) => n.opType === 'Where').length };
  } finally {
    await session.release();
  }
}

describe('reluPoolFold', () => {
  it.each(POOLS.flatMap((p) => LRNS.map((l) => [p, l] as const)))('MaxPool grad %s, LRN %s: the same gradient', async (pool, lrnImpl) => {
    const rng = new Random(5, 'relu-fold');
    const x = Float32Array.from({ length: numElements(SHAPE) }, () => rng.normal() - 0.8);
    const r = Float32Array.from({ length: numElements(SHAPE) }, () => rng.normal());
    const plain = await gradient(pool, lrnImpl, false, x, r);
    const folded = await gradient(pool, lrnImpl, true, x, r);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < x.length; i++) {
      worst = Math.max(worst, Math.abs(plain.grad[i]! - folded.grad[i]!));
      scale = Math.max(scale, Math.abs(plain.grad[i]!));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-6 * scale);
    // the ReLU's full-size Where is gone; one on the pooled tensor came instead
    expect(folded.wheres).toBe(plain.wheres);
  });

  it('folds nothing where the ReLU output has another reader, or no MaxPool follows', () => {
    const b = new GraphBuilder('nofold');
    const x = b.input('x', { dtype: 'float32', shape: SHAPE });
    const relu = b.op1('Relu', [x], {}, { name: 'relu' });
    b.op1('MaxPool', [relu], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) }, { name: 'pool' });
    b.op1('Mul', [relu, relu], {}, { name: 'other' });
    b.op1('Relu', [b.op1('Neg', [x])], {}, { name: 'relu2' });
    expect(reluPoolFold(b, [], maxPoolGradRule('scatter'))).toEqual({});
  });
});
