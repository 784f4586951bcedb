import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  availableMemory,
  benchOptions,
  countProblem,
  maxThreads,
  plannedFormulation,
  profileMethodFor,
  resourceProblem,
  thisMachine,
  unsupported,
} from '../../src/bench/options.js';
import { runBench } from '../../src/bench/run.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { formulationFor } from '../../src/model/formulation.js';

describe('countProblem', () => {
  it('accepts safe integers from the minimum on, and names the option otherwise', () => {
    expect(countProblem('steps', 1, 1)).toBeUndefined();
    expect(countProblem('burn-in', 0, 0)).toBeUndefined();
    expect(countProblem('steps', 0, 1)).toBe('--steps must be an integer >= 1, got 0');
    expect(countProblem('log-every', 2.5, 1)).toBe('--log-every must be an integer >= 1, got 2.5');
    expect(countProblem('threads', Number.NaN, 0)).toBe('--threads must be an integer >= 0, got NaN');
    expect(countProblem('profile', 2 ** 53, 0)).toMatch(/^--profile must be an integer >= 0, got /);
  });
});

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
    expect(plannedFormulation(o)).toMatchObject({ lrn_impl: 'decomposed', maxpool_grad: 'scatter', dropout_impl: null });
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
    expect(profileMethodFor(benchOptions({ runtime: 'web', ep: 'wasm' }))).toBe('profiler');
    expect(profileMethodFor(benchOptions({ runtime: 'web', ep: 'webgpu' }))).toBe('profiler');
    expect(profileMethodFor(benchOptions({ runtime: 'web', profileMethod: 'prefix' }))).toBe('prefix');
    expect(unsupported(benchOptions({ runtime: 'web', ep: 'webgpu', profileSteps: 1, profileMethod: 'profiler' }))).toBeUndefined();
    expect(unsupported(benchOptions({ runtime: 'browser', profileSteps: 1, profileMethod: 'profiler' }))).toMatch(
      /--profile-method profiler needs --runtime node or web: in the browser .* page's console.*; use prefix/,
    );
  });
});

describe('resourceProblem', () => {
  const machine = { cores: 2, availableBytes: 22.8e9 };

  it('caps --threads at 4 per logical core, naming the limit', () => {
    expect(maxThreads(2)).toBe(8);
    expect(maxThreads()).toBe(4 * availableParallelism());
    expect(resourceProblem(benchOptions({ threads: 8, model: { batch: 1 } }), machine)).toBeUndefined();
    expect(resourceProblem(benchOptions({ threads: 9 }), machine)).toBe(
      '--threads 9 is more than this machine can use: at most 8 (4 per logical core, 2 cores)',
    );
    expect(resourceProblem(benchOptions({ runtime: 'web', threads: 100_000 }), machine)).toMatch(/at most 8/);
  });

  it('refuses a run whose memory estimate exceeds the available memory, with the estimate and the batch that fits', () => {
    const o = benchOptions({ model: { batch: 2048 }, modes: ['forward-backward'], input: 'host' });
    const problem = resourceProblem(o, machine);
    expect(problem).toMatch(
      /^--batch 2048 --mode forward-backward needs about \d+\.\d GB of memory \(estimate\), but this machine has 22\.8 GB available: use a smaller --batch \(at most (\d+) fits\)$/,
    );
    const fits = Number(/at most (\d+) fits/.exec(problem!)![1]);
    const at = (batch: number) => resourceProblem(benchOptions({ ...o, model: { batch } }), machine);
    expect(at(fits)).toBeUndefined();
    expect(at(fits + 1)).toMatch(/needs about/);
    expect(resourceProblem(benchOptions({ model: { batch: 32 } }), machine)).toBeUndefined();
  });

  it('names the image size when nothing fits, and a non-default image size in the message', () => {
    const problem = resourceProblem(benchOptions({ model: { batch: 8, imageSize: 12000 }, input: 'host' }), machine);
    expect(problem).toMatch(
      /^--batch 8 --image-size 12000 --mode forward-backward needs about .*: even --batch 1 does not fit: use a smaller --image-size$/,
    );
  });

  it('on cuda and webgpu checks only the host part: the session lives on the GPU', () => {
    const cpu = benchOptions({ model: { batch: 2048 }, input: 'host' });
    expect(resourceProblem(cpu, machine)).toMatch(/GB of memory/);
    expect(resourceProblem({ ...cpu, ep: 'cuda' }, machine)).toBeUndefined();
    expect(resourceProblem({ ...cpu, model: { ...cpu.model, batch: 100_000 }, ep: 'cuda' }, machine)).toMatch(/GB of host memory/);
  });

  it('refuses --input device when the images would take the model past 2 GiB', () => {
    const huge = { cores: 2, availableBytes: 1e15 };
    const device = benchOptions({ model: { batch: 5000 }, modes: ['forward'] });
    expect(resourceProblem(device, huge)).toBe(
      '--input device stores the images in the model, which at --batch 5000 would be about 3.0 GB, over the 2 GiB an ONNX file can hold: use --input host or a smaller --batch',
    );
    expect(resourceProblem({ ...device, input: 'host' }, huge)).toBeUndefined();
  });

  it('checks only the threads of a --model file: its shapes are not known before it is read', () => {
    const o = benchOptions({
      model: { batch: 100_000 },
      modelFile: { path: 'm.onnx', bytes: new Uint8Array(), metadata: {}, images: [1, 3, 67, 67] },
    });
    expect(resourceProblem(o, machine)).toBeUndefined();
    expect(resourceProblem({ ...o, threads: 9 }, machine)).toMatch(/--threads 9/);
  });

  it("reads this machine's available memory (MemAvailable on Linux)", () => {
    const bytes = availableMemory();
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(totalmem());
    const meminfo = (() => {
      try {
        return readFileSync('/proc/meminfo', 'utf8');
      } catch {
        return undefined;
      }
    })();
    // MemAvailable moves as other processes run: compare within 1 GB
    if (meminfo) expect(Math.abs(bytes - Number(/^MemAvailable:\s+(\d+) kB$/m.exec(meminfo)![1]) * 1024)).toBeLessThan(1e9);
    expect(thisMachine().cores).toBe(availableParallelism());
  });

  it('is applied by runBench before anything is built', async () => {
    await expect(runBench(benchOptions({ threads: 100_000 }), () => {})).rejects.toThrow(
      /--threads 100000 is more than this machine can use/,
    );
    await expect(runBench(benchOptions({ model: { batch: 10_000_000 }, input: 'host' }), () => {})).rejects.toThrow(
      /needs about \d+\.\d GB of memory \(estimate\)/,
    );
  });
});
