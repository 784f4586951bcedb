import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { EXPORT_FORMULATION, FORMULATION_KEYS, FORMULATIONS } from '../../src/model/formulation.js';
import { isGradient } from '../../src/model/names.js';
import { normalTensor } from '../../src/model/random.js';
import { buildTrainingModel, DEFAULT_TRAINING, type TrainingOptions, withFormulation } from '../../src/model/training.js';
import { runOnCpu } from '../helpers/ort.js';

/**
 * Autotune may pick any choice of the formulation table, so each must compute what the export formulation computes,
 * which test/autodiff/torch.test.ts checks against PyTorch autograd. Dropout is left out: its two forms draw their
 * masks from different random streams; test/autodiff/dropout.test.ts checks each.
 */
const options: AlexNetOptions = { ...DEFAULT_OPTIONS, batch: 2, imageSize: 67 };
const images = new ort.Tensor('float32', normalTensor(5, 'autotune-candidates', 2 * 3 * 67 * 67, 0.1), [2, 3, 67, 67]);

async function lossAndGradients(model: AlexNetOptions, training: TrainingOptions): Promise<Record<string, Float32Array>> {
  const out = await runOnCpu(buildTrainingModel(model, training), { images });
  return Object.fromEntries(
    Object.entries(out).flatMap(([name, t]) => (name === 'loss' || isGradient(name) ? [[name, t.data as Float32Array]] : [])),
  );
}

/** max |a - b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return err / ref;
}

const reference = lossAndGradients(options, DEFAULT_TRAINING);

describe.each(FORMULATION_KEYS.filter((k) => k !== 'dropoutImpl'))('every %s choice autotune may make', (key) => {
  it.each([...FORMULATIONS[key].choices])('%s: the loss and every gradient of the export formulation', async (choice) => {
    const { model, training } = withFormulation(options, DEFAULT_TRAINING, { ...EXPORT_FORMULATION, [key]: choice });
    const ours = await lossAndGradients(model, training);
    const want = await reference;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(want)).toHaveLength(11);
    for (const [name, values] of Object.entries(want)) expect(relativeError(ours[name]!, values), name).toBeLessThan(1e-4);
  });
});
