import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildTrainStep } from '../../src/model/train-step.js';
import { batches } from '../../src/train/data.js';
import type { TrainOptions } from '../../src/train/options.js';
import { learningRate } from '../../src/train/schedule.js';
import { argmaxRows, train } from '../../src/train/trainer.js';
import { relativeError, relativeL2 } from '../helpers/compare.js';
import { tinyRun } from './tiny-run.js';

/** How many values differ: 0 for the same tensor (toEqual on millions of values exhausts vitest's heap). */
function differing(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** k runs of the step graph in onnxruntime-node, each fed host copies of the previous run's `.next` outputs. */
async function manualSteps(o: TrainOptions): Promise<{ weights: Record<string, Float32Array>; losses: number[] }> {
  const step = buildTrainStep(o.model, o.step);
  const session = await ort.InferenceSession.create(step.bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const dims = new Map(step.model.graph.inputs.map((i) => [i.name, i.type.shape as number[]]));
  let values: Record<string, Float32Array> = Object.fromEntries(
    step.feedback.map((f) => [f.input, Float32Array.from(step.initial[f.input]!)]),
  );
  const stream = batches(o.dataset, o.model.batch as number, o.seed);
  const losses: number[] = [];
  for (let s = 1; s <= o.steps; s++) {
    const b = stream.next().value;
    const feeds: Record<string, ort.Tensor> = {
      images: new ort.Tensor('float32', b.images, [2, 3, o.model.imageSize, o.model.imageSize]),
      labels: new ort.Tensor('int64', b.labels, [2]),
      lr: new ort.Tensor('float32', Float32Array.of(learningRate(o.schedule, s, o.steps)), []),
      step: new ort.Tensor('int64', BigInt64Array.of(BigInt(s)), []),
    };
    for (const [name, data] of Object.entries(values)) feeds[name] = new ort.Tensor('float32', data, dims.get(name)!);
    const out = await session.run(feeds);
    losses.push((out.loss!.data as Float32Array)[0]!);
    values = Object.fromEntries(step.feedback.map((f) => [f.input, Float32Array.from(out[f.output]!.data as Float32Array)]));
  }
  await session.release();
  return { weights: Object.fromEntries(step.parameters.map((p) => [p, values[p]!])), losses };
}

describe('train', () => {
  it('feeds each step the previous step’s outputs: after k steps the weights equal k manual runs of the step graph', async () => {
    const o = tinyRun();
    const lines: string[] = [];
    const r = await train(o, (l) => lines.push(l));
    const manual = await manualSteps(o);
    expect(r.steps).toBe(3);
    expect(r.interrupted).toBe(false);
    expect(r.stateLocation).toBe('cpu');
    expect(r.history.map((h) => h.loss)).toEqual(manual.losses);
    expect(r.history.map((h) => h.lr)).toEqual([1e-3, 1e-3, 5e-4]);
    expect(Object.keys(r.weights)).toEqual(Object.keys(manual.weights));
    for (const [name, w] of Object.entries(manual.weights)) expect(differing(r.weights[name]!, w), name).toBe(0);
    // the update moved every weight tensor (a step that fed back the old values would leave them)
    const initial = buildTrainStep(o.model, o.step).initial;
    for (const name of Object.keys(manual.weights).filter((n) => n.endsWith('.weight')))
      expect(relativeError(r.weights[name]!, initial[name]!), name).toBeGreaterThan(1e-4);
    // an evaluation at step 2 and after the last; steps 2 and 3 timed (the first left out)
    expect(r.evals.map((e) => [e.step, e.images])).toEqual([
      [2, 5],
      [3, 5],
    ]);
    expect(r.timing?.n).toBe(2);
    expect(lines.filter((l) => / step \d+, duration = \d+\.\d{3}, loss = \d+\.\d{3}, accuracy = \d\.\d{3}$/.test(l))).toHaveLength(3);
    expect(lines.filter((l) => l.includes('held-out accuracy'))).toHaveLength(2);
    expect(
      lines.some((l) => /: Training step across 2 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch \(the first 1 steps left out\)$/.test(l)),
    ).toBe(true);
  });

  it('stops after the step under way when its signal aborts, with the weights trained so far and no final evaluation', async () => {
    const stop = new AbortController();
    const o = tinyRun({ steps: 10, evalEvery: 0 });
    const r = await train(
      o,
      () => {},
      (e) => {
        if (e.phase === 'timed' && e.done === 2) stop.abort();
      },
      stop.signal,
    );
    expect(r.steps).toBe(2);
    expect(r.interrupted).toBe(true);
    expect(r.evals).toEqual([]);
    const manual = await manualSteps({ ...o, steps: 2 });
    for (const [name, w] of Object.entries(manual.weights)) expect(differing(r.weights[name]!, w), name).toBe(0);
  });

  it('trains the same on onnxruntime-web (WebAssembly) as on onnxruntime-node', async () => {
    const o = tinyRun({ steps: 2, evalEvery: 0 });
    const web = await train({ ...o, runtime: 'web', ep: 'wasm' }, () => {});
    const manual = await manualSteps(o);
    expect(web.stateLocation).toBe('cpu');
    for (const [name, w] of Object.entries(manual.weights)) expect(relativeL2(web.weights[name]!, w), name).toBeLessThan(1e-4);
  });

  it('refuses options it cannot train with, each problem naming the option', async () => {
    const o = tinyRun();
    await expect(train({ ...o, burnIn: 3 }, () => {})).rejects.toThrow('--burn-in 3 leaves no step to time: use fewer than --steps 3');
    await expect(train({ ...o, model: { ...o.model, classes: 4 } }, () => {})).rejects.toThrow(
      '--data synthetic has 3 classes, but --classes is 4',
    );
    await expect(train({ ...o, schedule: { ...o.schedule, lr: -1 } }, () => {})).rejects.toThrow('--lr must be a number > 0, got -1');
  });
});

describe('argmaxRows', () => {
  it('takes the first of equal scores and only the rows asked for', () => {
    expect(argmaxRows(Float32Array.of(1, 3, 3, 0, -1, -2, 9, 9, 9), 3, 2)).toEqual([1, 0]);
  });
});
