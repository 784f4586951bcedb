import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { normalTensor } from '../../src/model/random.js';
import { buildTrainingModel } from '../../src/model/training.js';
import { runOnCpu } from '../helpers/ort.js';

describe.each(['op', 'decomposed'] as const)('Dropout gradient (%s)', (dropoutImpl) => {
  it('reuses the forward mask: the gradient is zero exactly where the forward pass dropped an activation', async () => {
    const options = { ...DEFAULT_OPTIONS, batch: 2, imageSize: 67, head: 'fc' as const, classes: 10, dropout: 0.5, dropoutImpl };
    const model = buildTrainingModel(options, {
      loss: 'l2',
      wrt: 'all',
      maxpoolGrad: 'scatter',
      convWeightGrad: 'conv',
      convDataGrad: 'convtranspose',
    });
    // Expose fc6 (before dropout), its dropout output, and the gradient flowing into fc6.
    for (const name of ['fc6', 'fc6.dropout', 'fc6_grad']) model.graph.outputs.push({ name, type: model.graph.types.get(name)! });
    const images = new ort.Tensor('float32', normalTensor(3, 'img', 2 * 3 * 67 * 67, 0.1), [2, 3, 67, 67]);
    const out = await runOnCpu(model, { images });
    const before = out.fc6!.data as Float32Array;
    const after = out['fc6.dropout']!.data as Float32Array;
    const grad = out.fc6_grad!.data as Float32Array;
    let active = 0;
    let dropped = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i]! <= 0) continue;
      active++;
      const wasDropped = after[i] === 0;
      if (wasDropped) dropped++;
      else expect(after[i]).toBeCloseTo(before[i]! * 2, 5);
      expect(grad[i] === 0, `element ${i}: dropped=${wasDropped}, grad=${grad[i]}`).toBe(wasDropped);
    }
    expect(active).toBeGreaterThan(1000);
    expect(dropped / active).toBeGreaterThan(0.4);
    expect(dropped / active).toBeLessThan(0.6);
  });
});
