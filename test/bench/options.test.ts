import { describe, expect, it } from 'vitest';
import { benchOptions, plannedFormulation, profileMethodFor, unsupported } from '../../src/bench/options.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { formulationFor } from '../../src/model/formulation.js';

describe('benchOptions', () => {
  it("fills in the CLI's defaults and the EP's formulation", () => {
    const o = benchOptions({ runtime: 'web', model: { batch: 8 } });
    expect(o).toMatchObject({
      runtime: 'web',
      ep: 'wasm',
      modes: ['forward', 'forward-backward'],
      steps: 100,
      burnIn: 10,
      logEvery: 10,
      input: 'device',
      fetch: 'grads',
    });
    expect(o.model).toMatchObject({ ...DEFAULT_OPTIONS, batch: 8, lrnImpl: 'decomposed', dropoutImpl: 'op' });
    expect(o.training).toMatchObject({ loss: 'l2', maxpoolGrad: 'scatter', convWeightGrad: 'matmul', convDataGrad: 'conv' });
  });

  it('takes explicit formulation choices over the EP default', () => {
    const o = benchOptions({ ep: 'webgpu', formulation: { maxpoolGrad: 'scatter' } });
    expect({ ...formulationFor('webgpu'), maxpoolGrad: 'scatter' }).toMatchObject({
      lrnImpl: o.model.lrnImpl,
      maxpoolGrad: o.training.maxpoolGrad,
    });
    expect(plannedFormulation(o)).toMatchObject({ lrn_impl: 'decomposed', maxpool_grad: 'scatter', dropout_impl: '-' });
  });

  it('refuses what cannot run before anything is built, and picks the profile method per EP', () => {
    expect(unsupported(benchOptions({ tf32: true }))).toMatch(/--tf32 is a CUDA EP setting/);
    expect(
      unsupported(benchOptions({ runtime: 'web', ep: 'webgpu', model: { head: 'fc', dropout: 0.5 }, formulation: { dropoutImpl: 'op' } })),
    ).toMatch(/no kernel for the training graph's Dropout op/);
    expect(unsupported(benchOptions({ ep: 'cuda', profileSteps: 1, profileMethod: 'profiler' }))).toMatch(/does not work on the CUDA EP/);
    expect(unsupported(benchOptions())).toBeUndefined();
    expect(profileMethodFor(benchOptions({ ep: 'cpu' }))).toBe('profiler');
    expect(profileMethodFor(benchOptions({ ep: 'cuda' }))).toBe('prefix');
    expect(profileMethodFor(benchOptions({ runtime: 'browser' }))).toBe('prefix');
  });
});
