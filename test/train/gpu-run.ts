import { expect, inject } from 'vitest';
import type { TrainOptions } from '../../src/train/options.js';
import { train } from '../../src/train/trainer.js';
import { relativeL2 } from '../helpers/compare.js';
import { tinyRun } from './tiny-run.js';

/**
 * The WebGPU trainer tests' run, shared by the onnxruntime-node and onnxruntime-web files (each build of
 * onnxruntime-web fixes V8 flags for its process, so each runtime has a file of its own). On a CPU-only machine the
 * adapter is Mesa's lavapipe, set up by the test set-up, which is slow: a tiny run of 2 steps.
 */

/** The tiny run with the formulation WebGPU runs (decomposed LRN, mask MaxPool gradient), 2 steps at a constant rate. */
export function tinyGpuRun(runtime: TrainOptions['runtime'], ep: TrainOptions['ep']): TrainOptions {
  const overrides = { runtime, ep, schedule: { kind: 'constant', lr: 1e-4, warmup: 0 }, steps: 2, evalEvery: 1 } as const;
  return tinyRun(overrides, 'webgpu', 4);
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
