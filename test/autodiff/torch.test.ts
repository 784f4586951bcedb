import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { modelBytes } from '../../src/model/export.js';
import { normalTensor } from '../../src/model/random.js';
import { buildTrainingModel, DEFAULT_TRAINING, type TrainingOptions } from '../../src/model/training.js';
import { tempDir } from '../helpers/cli.js';
import { runOnCpu, writeRaw } from '../helpers/ort.js';
import { runPython } from '../helpers/python.js';

interface Comparison {
  loss: { ours: number; torch: number; rel: number };
  grads: Record<string, { max_abs_err: number; max_abs_ref: number; rel: number }>;
}

const CASES: [string, Partial<AlexNetOptions>, Partial<TrainingOptions>][] = [
  ['default (LRN, pool5, l2)', {}, {}],
  ['--no-lrn --conv-weight-grad matmul', { lrn: 'none' }, { convWeightGrad: 'matmul' }],
  [
    'CPU formulation: --lrn-impl banded --maxpool-grad match --conv-weight-grad matmul --conv-data-grad conv',
    { lrnImpl: 'banded' },
    { maxpoolGrad: 'match', convWeightGrad: 'matmul', convDataGrad: 'conv' },
  ],
  ['--head fc --wrt all', { head: 'fc' }, { wrt: 'all' }],
  ['--lrn paper --lrn-impl decomposed --maxpool-grad mask', { lrn: 'paper', lrnImpl: 'decomposed' }, { maxpoolGrad: 'mask' }],
  [
    '--head fc --no-fc8-relu --loss softmax-cross-entropy --batch dynamic --lrn paper --lrn-impl banded --maxpool-grad match --conv-weight-grad matmul',
    { head: 'fc', classes: 10, fc8Relu: false, batch: 'dynamic', lrn: 'paper', lrnImpl: 'banded' },
    { loss: 'softmax-cross-entropy', wrt: 'all', maxpoolGrad: 'match', convWeightGrad: 'matmul' },
  ],
];

describe.each(CASES)('gradients of %s match PyTorch autograd (float64)', (_, o, t) => {
  it('every <param>_grad within 1e-4 max relative error, and the loss', async () => {
    const options: AlexNetOptions = { ...DEFAULT_OPTIONS, batch: 2, ...o };
    const training: TrainingOptions = { ...DEFAULT_TRAINING, ...t };
    const model = buildTrainingModel(options, training);
    // only the scatter gradient reads the forward MaxPool's Indices
    const pools = model.graph.nodes.filter((n) => n.opType === 'MaxPool');
    expect(pools.map((n) => n.outputs.length)).toEqual(pools.map(() => (training.maxpoolGrad === 'scatter' ? 2 : 1)));
    const dir = tempDir('alexnet-grad-');
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, modelBytes(model));
    const shape = [2, 3, options.imageSize, options.imageSize];
    const images = normalTensor(7, 'test-images', 2 * 3 * options.imageSize ** 2, 0.1);
    const feeds: Record<string, ort.Tensor> = { images: new ort.Tensor('float32', images, shape) };
    const labels = [3, 8];
    if (training.loss === 'softmax-cross-entropy') feeds.labels = new ort.Tensor('int64', BigInt64Array.from(labels.map(BigInt)), [2]);
    const out = await runOnCpu(model, feeds);
    const wrt = model.graph.outputs.filter((g) => g.name.endsWith('_grad')).map((g) => g.name.slice(0, -5));
    writeRaw(dir, 'images.bin', images);
    for (const w of wrt) writeRaw(dir, `${w}_grad.bin`, out[`${w}_grad`]!.data as Float32Array);
    const lossValue = (out.loss!.data as Float32Array)[0]!;
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ loss: training.loss, loss_value: lossValue, wrt, images_shape: shape, labels }),
    );

    const r = runPython<Comparison>('torch_grads.py', [modelPath, dir]);
    expect(Object.keys(r.grads)).toEqual(wrt);
    expect(wrt.length).toBe(training.wrt === 'all' && options.head === 'fc' ? 16 : 10);
    for (const [name, g] of Object.entries(r.grads)) {
      expect(g.max_abs_ref, `${name} is all zeros in the reference`).toBeGreaterThan(0);
      expect(g.rel, `${name}: max |ours - torch| / max |torch| = ${g.rel}`).toBeLessThan(1e-4);
    }
    expect(r.loss.rel).toBeLessThan(1e-5);
    // grad_sq_sum is the sum of squares of exactly these gradients (ORT sums 37M float32 squares for fc6: 1e-3)
    let sq = 0;
    for (const w of wrt) for (const v of out[`${w}_grad`]!.data as Float32Array) sq += v * v;
    expect(Math.abs((out.grad_sq_sum!.data as Float32Array)[0]! / sq - 1)).toBeLessThan(1e-3);
  });
});
