import { expect, inject } from 'vitest';
import { formulationFor } from '../../src/model/formulation.js';
import { optimizerSettings } from '../../src/model/optimizer.js';
import { defaultTrainStep } from '../../src/model/train-step.js';
import { withFormulation } from '../../src/model/training.js';
import { syntheticDataset } from '../../src/train/data-synthetic.js';
import { TRAIN_MODEL_DEFAULTS, type TrainOptions } from '../../src/train/options.js';
import { train } from '../../src/train/trainer.js';

/**
 * The WebGPU trainer tests' run, shared by the onnxruntime-node and onnxruntime-web files (each build of
 * onnxruntime-web fixes V8 flags for its process, so each runtime has a file of its own). On a CPU-only machine the
 * adapter is Mesa's lavapipe, set up by the test set-up, which is slow: a tiny run of 2 steps.
 */

/** |a - b| / |b| in the L2 norm. */
function relativeL2(a: Float32Array, b: Float32Array): number {
  let [d, n] = [0, 0];
  for (let i = 0; i < b.length; i++) [d, n] = [d + (a[i]! - b[i]!) ** 2, n + b[i]! ** 2];
  return Math.sqrt(d / n);
}

/** A tiny AdamW run with the formulation `ep` runs (WebGPU: decomposed LRN, mask MaxPool gradient). */
export function tinyGpuRun(runtime: TrainOptions['runtime'], ep: TrainOptions['ep']): TrainOptions {
  const base = { ...TRAIN_MODEL_DEFAULTS, batch: 2, classes: 3 };
  const { model, training } = withFormulation(base, defaultTrainStep(base), formulationFor('webgpu'));
  return {
    runtime,
    ep,
    threads: 0,
    graphOpt: 'all',
    tf32: false,
    model,
    step: { ...training, optimizer: optimizerSettings('adamw').settings },
    schedule: { kind: 'constant', lr: 1e-4, warmup: 0 },
    steps: 2,
    dataset: syntheticDataset({ classes: 3, imageSize: model.imageSize, seed: 7, trainSize: 20, heldOutSize: 4 }),
    seed: 3,
    evalEvery: 1,
    logEvery: 1,
    burnIn: 1,
  };
}

/** Trains on `ep` and on the CPU from the same weights and batches; the weights must agree. */
export async function expectSameAsCpu(runtime: TrainOptions['runtime'], ep: TrainOptions['ep']): Promise<void> {
  process.env.VK_DRIVER_FILES = inject('vulkanIcd');
  const o = tinyGpuRun(runtime, ep);
  const gpu = await train(o, () => {});
  const cpu = await train({ ...o, runtime: 'node', ep: 'cpu' }, () => {});
  expect(gpu.stateLocation).toBe('gpu-buffer');
  expect(gpu.evals.map((e) => e.step)).toEqual([1, 2]);
  expect(gpu.evals.map((e) => e.accuracy)).toEqual(cpu.evals.map((e) => e.accuracy));
  for (const [name, w] of Object.entries(cpu.weights)) expect(relativeL2(gpu.weights[name]!, w), name).toBeLessThan(1e-4);
}
