import { describe, expect, it } from 'vitest';
import { type AlexNetOptions, buildAlexNet, DEFAULT_OPTIONS, validateOptions } from '../../src/model/alexnet.js';
import { convOutputSizes, MAX_ONNX_DATA_BYTES, minImageSize, parameterShapes, pool5Size, weightBytes } from '../../src/model/layers.js';
import { estimateMemory, type MemoryPlan } from '../../src/model/memory.js';
import { type OptimizerKind, optimizerSettings } from '../../src/model/optimizer.js';
import { DEFAULT_TRAINING, type TrainingOptions } from '../../src/model/training.js';

const opts = (o: Partial<AlexNetOptions> = {}): AlexNetOptions => ({ ...DEFAULT_OPTIONS, lrnImpl: 'decomposed', ...o });
/** bench's automatic CPU formulation, as the estimate was calibrated with. */
const CPU_TRAINING: TrainingOptions = { ...DEFAULT_TRAINING, convWeightGrad: 'matmul', convDataGrad: 'conv' };
const plan = (p: Partial<MemoryPlan> = {}): MemoryPlan => ({ modes: ['forward-backward'], input: 'device', fetch: 'grads', ...p });

describe('the network shapes, without building', () => {
  it.each([
    { head: 'none' as const },
    { head: 'fc' as const, imageSize: 99, classes: 10 },
    { head: 'fc' as const, imageSize: minImageSize(), classes: 3 },
  ])('parameterShapes(%o) lists exactly the parameters buildAlexNet creates', (o) => {
    const net = buildAlexNet(opts(o));
    const params = [...net.convParams, ...net.fcParams];
    const built = params.map((name) => ({ name, dims: net.builder.initializers.find((i) => i.name === name)!.dims }));
    expect(parameterShapes(opts(o))).toEqual(built);
    expect(weightBytes(opts(o))).toBe(4 * built.reduce((sum, p) => sum + p.dims.reduce((a, b) => a * b, 1), 0));
  });

  it.each([67, 99, 224, 301])('convOutputSizes(%i) are the built activations', (imageSize) => {
    const net = buildAlexNet(opts({ imageSize, batch: 1 }));
    const shapeOf = (layer: string) => net.builder.typeOf(net.activations.find((a) => a.layer === layer)!.value).shape;
    for (const c of convOutputSizes(imageSize)) {
      expect(shapeOf(c.layer.name)).toEqual([1, c.layer.out, c.side, c.side]);
      if (c.layer.pool) expect(shapeOf(`pool${c.layer.name.slice(4)}`)).toEqual([1, c.layer.out, c.pooled, c.pooled]);
    }
    expect(convOutputSizes(imageSize).at(-1)!.pooled).toBe(pool5Size(imageSize));
  });
});

describe('validateOptions: the 2 GiB an ONNX file can hold', () => {
  it('refuses --head fc --image-size 1000 from the shapes alone, fast, naming the size, the limit and what fits', () => {
    const started = performance.now();
    const problems = validateOptions(opts({ head: 'fc', imageSize: 1000 }));
    // nothing is allocated: well under a second even on a loaded machine
    expect(performance.now() - started).toBeLessThan(500);
    expect(problems).toEqual([
      '--head fc --image-size 1000 --classes 1000 makes a model with about 3.9 GB of weights, over the 2 GiB an ONNX file can hold: use --image-size 760 or less with --head fc, or --head none',
    ]);
  });

  it('suggests the largest image size that fits, and fewer classes when no image size would', () => {
    expect(validateOptions(opts({ head: 'fc', imageSize: 760 }))).toEqual([]);
    expect(weightBytes(opts({ head: 'fc', imageSize: 761 }))).toBeGreaterThan(MAX_ONNX_DATA_BYTES);
    expect(validateOptions(opts({ head: 'fc', imageSize: 761 }))[0]).toMatch(/use --image-size 760 or less/);
    expect(validateOptions(opts({ head: 'fc', classes: 1_000_000 }))[0]).toMatch(/about 16\.6 GB of weights.*: use fewer --classes$/);
    expect(validateOptions(opts({ head: 'none', imageSize: 100_000 }))).toEqual([]);
  });
});

describe('estimateMemory', () => {
  const total = (o: Partial<AlexNetOptions>, p: Partial<MemoryPlan> = {}, t: Partial<TrainingOptions> = {}) =>
    estimateMemory(opts(o), { ...CPU_TRAINING, ...t }, plan(p)).total;

  it('adds up its parts, and the host part is what a GPU EP needs of host memory', () => {
    const e = estimateMemory(opts(), CPU_TRAINING, plan());
    expect(e.mode).toBe('forward-backward');
    expect(e.host).toBe(e.runtime + e.hostCopies);
    expect(e.session).toBe(e.weights + e.activations + e.gradients + e.state);
    expect(e.state).toBe(0);
    expect(e.total).toBe(e.host + e.session);
    expect(e.activations).toBeGreaterThan(e.weights);
  });

  it('grows with what a run holds', () => {
    expect(total({ batch: 64 })).toBeGreaterThan(total({ batch: 32 }));
    expect(total({ imageSize: 320 })).toBeGreaterThan(total({}));
    expect(total({}, { modes: ['forward'] })).toBeLessThan(total({}));
    expect(total({}, { input: 'host' })).toBeLessThan(total({}));
    expect(total({ head: 'fc' }, { fetch: 'sum' }, { wrt: 'all' })).toBeLessThan(total({ head: 'fc' }, {}, { wrt: 'all' }));
    expect(total({ head: 'fc' }, {}, { wrt: 'all' })).toBeGreaterThan(total({ head: 'fc' }));
    expect(total({ lrn: 'none' })).toBeLessThan(total({}));
    expect(total({}, {}, { convDataGrad: 'convtranspose' })).toBeLessThan(total({}));
  });

  it("counts, for two modes in a row, the larger one plus the first one's host copies of the weights", () => {
    const o = opts({ head: 'fc', batch: 16, imageSize: 256 });
    const forward = estimateMemory(o, CPU_TRAINING, plan({ modes: ['forward'] }));
    const backward = estimateMemory(o, CPU_TRAINING, plan());
    const both = estimateMemory(o, CPU_TRAINING, plan({ modes: ['forward', 'forward-backward'] }));
    expect(both.mode).toBe('forward-backward');
    expect(both.total).toBeGreaterThan(Math.max(forward.total, backward.total));
    // V8 may still hold the forward's built weights and model bytes: a few copies of the weights
    const extra = (both.total - backward.total) / weightBytes(o);
    expect(extra).toBeGreaterThanOrEqual(1);
    expect(extra).toBeLessThanOrEqual(5);
    expect(forward.total).toBeLessThan(backward.total);
  });

  describe('a training step', () => {
    const step = (o: Partial<AlexNetOptions>, optimizer: OptimizerKind, t: Partial<TrainingOptions> = { wrt: 'all' }) =>
      estimateMemory(
        opts({ head: 'fc', ...o }),
        { ...CPU_TRAINING, ...t },
        {
          ...plan({ modes: ['train-step'], input: 'host', fetch: 'sum' }),
          optimizer: optimizerSettings(optimizer).settings,
        },
      );

    it('holds forward-backward plus, per trained parameter, itself and its state fed, output as .next, and first on the host', () => {
      const o = opts({ head: 'fc', batch: 16, imageSize: 64, classes: 10 });
      const sgd = step(o, 'sgd');
      const adamw = step(o, 'adamw');
      const trained = weightBytes(o);
      expect(adamw.mode).toBe('train-step');
      expect(adamw.session).toBe(adamw.weights + adamw.activations + adamw.gradients + adamw.state);
      expect(adamw.total).toBe(adamw.host + adamw.session);
      // SGD with momentum: the parameter and its momentum, each as input and .next output, and first on the host
      expect(sgd.state).toBeCloseTo(2 * 2 * trained, -3);
      expect(adamw.hostCopies - sgd.hostCopies).toBeCloseTo(trained, -3);
      // AdamW: the parameter, exp_avg and exp_avg_sq, and the full-size intermediates of its update on top
      expect(adamw.state).toBeGreaterThan(2 * 3 * trained);
      expect(adamw.total - sgd.total).toBeCloseTo(adamw.state - sgd.state + trained, -3);
      // plain SGD has no state: the parameters alone
      const plain = estimateMemory(
        o,
        { ...CPU_TRAINING, wrt: 'all' },
        {
          ...plan({ modes: ['train-step'], input: 'host', fetch: 'sum' }),
          optimizer: optimizerSettings('sgd', { momentum: 0 }).settings,
        },
      );
      expect(plain.state).toBeCloseTo(2 * trained, -3);
    });

    it('counts only the trained parameters (--wrt conv) and needs more than forward-backward', () => {
      const all = step({}, 'adamw', { wrt: 'all' });
      const conv = step({}, 'adamw', { wrt: 'conv' });
      const convBytes = weightBytes(opts({ head: 'none' }));
      const allBytes = weightBytes(opts({ head: 'fc' }));
      // the state and the update's intermediates are in proportion to the trained bytes
      expect(conv.state / convBytes).toBeCloseTo(all.state / allBytes, 6);
      expect(conv.hostCopies - step({}, 'sgd', { wrt: 'conv' }).hostCopies).toBeCloseTo(convBytes, -3);
      expect(all.state).toBeGreaterThan(conv.state);
      const fb = estimateMemory(opts({ head: 'fc' }), CPU_TRAINING, plan({ input: 'host', fetch: 'sum' }));
      expect(all.total).toBeGreaterThan(fb.total);
    });

    it('refuses a train-step plan without its optimizer', () => {
      expect(() => estimateMemory(opts(), CPU_TRAINING, plan({ modes: ['train-step'] }))).toThrow(/optimizer/);
    });
  });

  // peak RSS measured with onnxruntime-node's CPU EP (memory pattern off): docs/benchmarks.md, "Memory estimate vs measured peak RSS"
  const banded = { lrnImpl: 'banded' as const };
  const measured: [Partial<AlexNetOptions>, Partial<MemoryPlan>, number][] = [
    [{ ...banded, batch: 2 }, { modes: ['forward'] }, 0.271],
    [{ ...banded, batch: 128 }, { modes: ['forward'] }, 0.936],
    [{ ...banded, batch: 32, head: 'fc' }, { modes: ['forward'] }, 1.398],
    [{ batch: 32 }, { modes: ['forward'] }, 0.847],
    [{ batch: 1, head: 'fc', imageSize: 760, ...banded }, { modes: ['forward'] }, 10.727],
    [{ ...banded, batch: 2 }, {}, 0.329],
    [{ ...banded, batch: 96 }, {}, 1.77],
    [{ ...banded, batch: 32, imageSize: 320 }, {}, 1.261],
    [{ ...banded, batch: 32 }, { input: 'host', fetch: 'sum' }, 0.71],
    [{ batch: 32 }, {}, 1.581],
    [{ batch: 32, lrnImpl: 'op' }, {}, 1.118],
    [{ ...banded, batch: 16, head: 'fc', imageSize: 256 }, { modes: ['forward', 'forward-backward'] }, 2.961],
  ];
  it.each(measured)('%o %o: at or above the measured %f GB, within 1.5x', (o, p, measuredGb) => {
    const ratio = total(o, p) / (measuredGb * 1e9);
    expect(ratio).toBeGreaterThanOrEqual(1);
    expect(ratio).toBeLessThanOrEqual(1.5);
  });

  // train's peak RSS (its defaults: --head fc, linear fc8, every parameter trained), same section of the docs
  const trained: [Partial<AlexNetOptions>, OptimizerKind, number][] = [
    [{ batch: 16, imageSize: 64 }, 'adamw', 1.532],
    [{ batch: 16, imageSize: 64 }, 'sgd', 1.055],
    [{ batch: 8, imageSize: 224 }, 'adamw', 4.017],
    [{ batch: 8, imageSize: 224 }, 'sgd', 2.602],
  ];
  it.each(trained)('train-step %o %s: at or above the measured %f GB, within 1.5x', (o, optimizer, measuredGb) => {
    const model = opts({ ...banded, head: 'fc', classes: 10, fc8Relu: false, ...o });
    const e = estimateMemory(
      model,
      { ...CPU_TRAINING, wrt: 'all' },
      {
        modes: ['train-step'],
        input: 'host',
        fetch: 'sum',
        optimizer: optimizerSettings(optimizer).settings,
      },
    );
    const ratio = e.total / (measuredGb * 1e9);
    expect(ratio).toBeGreaterThanOrEqual(1);
    expect(ratio).toBeLessThanOrEqual(1.5);
  });

  it('is arithmetic only: instant and finite for options far beyond any machine', () => {
    const started = performance.now();
    const e = estimateMemory(opts({ batch: 1_000_000, imageSize: 100_000, head: 'fc' }), { ...CPU_TRAINING, wrt: 'all' }, plan());
    expect(performance.now() - started).toBeLessThan(500);
    expect(Number.isFinite(e.total)).toBe(true);
    expect(e.total).toBeGreaterThan(1e15);
  });
});
