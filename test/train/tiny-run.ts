import { formulationFor } from '../../src/model/formulation.js';
import { optimizerSettings } from '../../src/model/optimizer.js';
import { defaultTrainStep } from '../../src/model/train-step.js';
import { withFormulation } from '../../src/model/training.js';
import { syntheticDataset } from '../../src/train/data-synthetic.js';
import { TRAIN_MODEL_DEFAULTS, type TrainOptions } from '../../src/train/options.js';

/**
 * The trainer tests' tiny run: batch 2 of 3 synthetic classes, AdamW (two state tensors per parameter), a warm-up then
 * cosine, 3 steps on the CPU, with the graph formulation `formulationOf` picks (`formulationFor`'s EPs). `overrides`
 * replace whole fields; `heldOutSize` sizes the synthetic held-out set.
 */
export function tinyRun(
  overrides: Partial<TrainOptions> = {},
  formulationOf: Parameters<typeof formulationFor>[0] = 'cpu',
  heldOutSize = 5,
): TrainOptions {
  const base = { ...TRAIN_MODEL_DEFAULTS, batch: 2, classes: 3 };
  const { model, training } = withFormulation(base, defaultTrainStep(base), formulationFor(formulationOf));
  return {
    runtime: 'node',
    ep: 'cpu',
    threads: 0,
    graphOpt: 'all',
    tf32: false,
    model,
    step: { ...training, optimizer: optimizerSettings('adamw').settings },
    schedule: { kind: 'cosine', lr: 1e-3, warmup: 1 },
    steps: 3,
    dataset: syntheticDataset({ classes: 3, imageSize: model.imageSize, seed: 7, trainSize: 20, heldOutSize }),
    seed: 3,
    evalEvery: 2,
    logEvery: 1,
    burnIn: 1,
    ...overrides,
  };
}
