import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/bench/autotune.js';
import { tuningGraph } from '../../src/bench/autotune-slice.js';
import { plannedFormulation } from '../../src/bench/options.js';
import { prefixRows } from '../../src/bench/prefix-profile.js';
import { imagesDims, prepareMode } from '../../src/bench/prepare.js';
import { perLayer } from '../../src/bench/profile.js';
import { openRunner } from '../../src/bench/session.js';
import { defaultTrainStepBench, optimizerReport, trainStepOptions } from '../../src/bench/train-step.js';
import { type BenchOptions, DEFAULT_BENCH_LR, REPORT_SCHEMA } from '../../src/bench/types.js';
import { parameterShapes } from '../../src/model/layers.js';
import { optimizerSettings } from '../../src/model/optimizer.js';
import { buildTrainStepModel } from '../../src/model/train-step.js';
import { formulationOfOptions } from '../../src/model/training.js';
import { parseModel } from '../../src/onnx/parse.js';
import { encodeModel } from '../../src/onnx/serialize.js';
import { numElements } from '../../src/onnx/types.js';
import { benchWithLines, smallBench } from '../helpers/bench.js';
import { tempDir } from '../helpers/cli.js';

const TINY = { batch: 2, imageSize: 67 };
const adamw = (lr: number) => ({
  ...defaultTrainStepBench({ ...smallBench('node', 'cpu').model }),
  optimizer: optimizerSettings('adamw').settings,
  lr,
});

/** The losses of `runs` steps of a train-step runner (each fed the previous step's outputs). */
async function losses(o: BenchOptions, runs: number): Promise<number[]> {
  const p = prepareMode(o, 'train-step');
  const runner = await openRunner(o, p, tempDir());
  try {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) out.push((await runner.run()).loss!.data[0] as number);
    return out;
  } finally {
    await runner.release();
  }
}

describe('train-step mode', () => {
  it('prepares the step with plain parameter inputs, their first values, lr and step, and fetches what it feeds back', () => {
    const o = smallBench('node', 'cpu', { model: TINY, modes: ['train-step'] });
    const p = prepareMode(o, 'train-step');
    const params = parameterShapes(o.model).filter((s) => s.name.startsWith('conv'));
    expect(p.feedback).toHaveLength(2 * params.length); // sgd momentum: one state tensor per parameter
    expect(p.feedback[0]).toEqual({ input: 'conv1.weight', output: 'conv1.weight.next' });
    expect(p.fetches).toEqual(['loss', ...p.feedback.map((f) => f.output)]);
    expect(p.counter).toBe('step');
    expect(p.feeds.lr!.data).toEqual(Float32Array.of(DEFAULT_BENCH_LR));
    expect(p.feeds.step!.data).toEqual(BigInt64Array.of(1n));
    expect(p.feeds['conv1.weight.momentum']!.data).toEqual(new Float32Array(numElements(params[0]!.dims)));
    // the parameters are inputs only: a feed for an initializer would be ignored by onnxruntime-node
    expect(p.parsed.graph.initializers.map((i) => i.name)).not.toContain('conv1.weight');
  });

  it("counts forward-backward's FLOPs plus the update's elementwise ops, a whole number of passes over the parameters", () => {
    const o = smallBench('node', 'cpu', { model: TINY, modes: ['forward-backward', 'train-step'] });
    const update = prepareMode(o, 'train-step').flops! - prepareMode(o, 'forward-backward').flops!;
    const params = parameterShapes(o.model)
      .filter((s) => s.name.startsWith('conv'))
      .reduce((n, s) => n + numElements(s.dims), 0);
    // sgd with momentum, no weight decay: at least the momentum's scale-and-add and the step's scale-and-subtract
    expect(update % params).toBe(0);
    expect(update / params).toBeGreaterThanOrEqual(2);
    expect(update / params).toBeLessThanOrEqual(6);
  });

  it('feeds each step the previous step: the loss moves from step to step on the same images', async () => {
    const o = smallBench('node', 'cpu', { model: TINY, modes: ['train-step'], trainStep: adamw(0.01) });
    const l = await losses(o, 3);
    expect(new Set(l).size).toBe(3);
    // a step fed its first values again would repeat its loss: the same images, the same weights
    const p = prepareMode(o, 'train-step');
    const runner = await openRunner(o, { ...p, feedback: [], counter: undefined }, tempDir());
    const again = [(await runner.run()).loss!.data[0], (await runner.run()).loss!.data[0]];
    await runner.release();
    expect(again[1]).toBe(again[0]);
    expect(again[0]).toBeCloseTo(l[0]!, 3);
  });

  it('times a training step on node cpu with the JSON fields of the step', async () => {
    const o = smallBench('node', 'cpu', { model: TINY, modes: ['forward', 'train-step'], trainStep: adamw(0.002) });
    const { results, lines } = await benchWithLines(o);
    expect(lines.some((l) => /: Train-step across 2 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/.test(l))).toBe(true);
    const [forward, step] = results;
    expect(forward!.optimizer).toBeNull();
    expect(step).toMatchObject({ schema: REPORT_SCHEMA, mode: 'train-step', loss: 'l2', wrt: 'conv', fallback_nodes: [] });
    expect(step!.optimizer).toEqual({ kind: 'adamw', lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 });
    expect(step!.fetch[0]).toBe('loss');
    expect(step!.fetch).toHaveLength(1 + 3 * 10);
    expect(step!.flops_per_batch).toBeGreaterThan(0);
  });

  it('times it on onnxruntime-web (wasm) with softmax cross-entropy and fed labels under the FC head', async () => {
    const model = { ...TINY, head: 'fc' as const, classes: 10 };
    const o = smallBench('web', 'wasm', {
      model,
      modes: ['train-step'],
      trainStep: { ...defaultTrainStepBench({ ...smallBench('web', 'wasm', { model }).model }), lr: 0.1 },
    });
    const [r] = (await benchWithLines(o)).results;
    expect(r).toMatchObject({ runtime: 'web', ep: 'wasm', mode: 'train-step', loss: 'softmax-cross-entropy', head: 'fc' });
    expect(r!.optimizer).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: false, weight_decay: 0 });
    expect(prepareMode(o, 'train-step').feeds.labels!.dims).toEqual([2]);
  });

  it('is tuned and reported like forward-backward: it holds the same backward pass', () => {
    const o = smallBench('node', 'cpu', { model: TINY, modes: ['train-step'] });
    expect(plannedFormulation(o).maxpool_grad).not.toBeNull();
    expect(cacheKey(o, {}).training).not.toBeNull();
    const graph = tuningGraph(o, formulationOfOptions(o.model, o.training)).graph;
    expect(graph.outputs.map((v) => v.name)).toContain('conv1.weight_grad');
  });

  it("puts the optimizer's nodes in an update row of the per-layer tables, in the backward column", () => {
    const event = (node: string, dur: number) => ({
      node,
      op: 'Mul',
      provider: 'CPUExecutionProvider',
      dur,
      run: 1,
      clock: 'host' as const,
    });
    const rows = perLayer([event('optimizer.conv1.weight.update', 2000), event('conv1.conv', 1000)], 1, 'pool5');
    expect(rows).toEqual([
      { layer: 'conv1', forward_ms: 1, backward_ms: 0 },
      { layer: 'update', forward_ms: 0, backward_ms: 2 },
    ]);
    const groups = [{ layer: 'optimizer', backward: false, nodes: [] }];
    expect(prefixRows(groups, [1, 4], 5)).toContainEqual({ layer: 'update', forward_ms: 0, backward_ms: 3 });
  });

  it('reads a file of export --train-step: its initializers become the first feeds, its optimizer the report', async () => {
    const o = smallBench('node', 'cpu', { model: TINY, modes: ['train-step'] });
    const built = buildTrainStepModel(o.model, trainStepOptions(o.training, adamw(0.001)));
    const bytes = encodeModel(built.graph, built.info);
    const parsed = parseModel(bytes);
    const file = { ...o, modelFile: { path: 'step.onnx', bytes, metadata: parsed.metadata, images: imagesDims(parsed) } };
    const p = prepareMode(file, 'train-step');
    expect(p.feedback).toHaveLength(30);
    expect(p.parsed.graph.initializers.map((i) => i.name)).not.toContain('conv1.weight.exp_avg');
    expect(p.feeds['conv1.weight']!.data).toEqual(built.graph.initializers.find((i) => i.name === 'conv1.weight')!.data);
    const [r] = (await benchWithLines({ ...file, steps: 1 })).results;
    expect(r!.optimizer).toEqual(optimizerReport(optimizerSettings('adamw').settings, DEFAULT_BENCH_LR));
  });
});
