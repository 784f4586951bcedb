import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel, buildTrainedModel, modelBytes } from '../../src/model/export.js';
import { finalLayer, LABELS, LR, layerOf, nextName, OUTPUT, STEP } from '../../src/model/names.js';
import { type OptimizerSettings, optimizerFromMetadata, optimizerSettings } from '../../src/model/optimizer.js';
import { normalTensor } from '../../src/model/random.js';
import {
  buildTrainStep,
  buildTrainStepModel,
  defaultTrainStep,
  feedbackFromMetadata,
  type TrainStep,
  type TrainStepOptions,
} from '../../src/model/train-step.js';
import { readModel } from '../../src/onnx/read.js';
import { cli, tempDir } from '../helpers/cli.js';
import { runOnCpu, writeRaw } from '../helpers/ort.js';
import { runPython } from '../helpers/python.js';

/** A small network, so that three steps and their PyTorch replay take seconds: pool5 is 1x1, fc8 has 5 classes. */
const SMALL: AlexNetOptions = { ...DEFAULT_OPTIONS, batch: 2, imageSize: 67, head: 'fc', classes: 5 };

const sgd = (given: Parameters<typeof optimizerSettings>[1]) => optimizerSettings('sgd', given).settings;
const adamw = (given: Parameters<typeof optimizerSettings>[1]) => optimizerSettings('adamw', given).settings;

/** One step's data: its images, labels and learning rate. */
interface StepData {
  images: Float32Array;
  labels: number[];
  lr: number;
}

/** `k` steps of data: fresh images and labels each step, and a learning rate that changes (a schedule is an input). */
function stepData(o: AlexNetOptions, lrs: number[]): StepData[] {
  const count = (o.batch as number) * 3 * o.imageSize ** 2;
  return lrs.map((lr, k) => ({
    images: normalTensor(7, `train-step-images-${k}`, count, 0.1),
    labels: Array.from({ length: o.batch as number }, (_, i) => (3 * k + 2 * i + 1) % o.classes),
    lr,
  }));
}

/**
 * Runs the training step once per entry of `data` on onnxruntime-node's CPU EP: the first step on the initial values,
 * each later one on the previous step's `.next` outputs. Returns every output of every step.
 */
async function runSteps(step: TrainStep, o: AlexNetOptions, data: StepData[]): Promise<Record<string, ort.Tensor>[]> {
  const session = await ort.InferenceSession.create(step.bytes);
  const shape = [o.batch as number, 3, o.imageSize, o.imageSize];
  const carried: Record<string, ort.Tensor> = {};
  for (const [name, data] of Object.entries(step.initial))
    carried[name] = new ort.Tensor('float32', data, step.model.graph.types.get(name)!.shape as number[]);
  const results: Record<string, ort.Tensor>[] = [];
  try {
    for (const [k, d] of data.entries()) {
      const feeds: Record<string, ort.Tensor> = {
        images: new ort.Tensor('float32', d.images, shape),
        [LR]: new ort.Tensor('float32', Float32Array.of(d.lr), []),
        [STEP]: new ort.Tensor('int64', BigInt64Array.of(BigInt(k + 1)), []),
        ...carried,
      };
      if (session.inputNames.includes(LABELS))
        feeds[LABELS] = new ort.Tensor('int64', BigInt64Array.from(d.labels.map(BigInt)), [d.labels.length]);
      const out = (await session.run(feeds)) as Record<string, ort.Tensor>;
      for (const { input, output } of step.feedback) carried[input] = out[output]!;
      results.push(out);
    }
  } finally {
    await session.release();
  }
  return results;
}

interface OptimComparison {
  steps: { loss: { ours: number; torch: number }; params: Record<string, { rel: number; update_rel: number; update_size: number }> }[];
  metadata: Record<string, string>;
}

const CASES: [string, Partial<TrainStepOptions>, OptimizerSettings, number[]][] = [
  ['SGD, momentum 0.9, --wrt conv', { wrt: 'conv' }, sgd({ momentum: 0.9 }), [1e-4, 5e-5, 2e-4]],
  [
    'SGD, Nesterov momentum 0.8, weight decay 0.05, --wrt conv',
    { wrt: 'conv' },
    sgd({ momentum: 0.8, nesterov: true, weightDecay: 0.05 }),
    [1e-4, 2e-4, 5e-5],
  ],
  ['AdamW, weight decay 0.1, every parameter', {}, adamw({ weightDecay: 0.1, beta1: 0.8, beta2: 0.99 }), [3e-4, 1e-4, 5e-4]],
];

describe.each(CASES)('%s: k steps in onnxruntime match torch.optim (float64)', (_, t, optimizer, lrs) => {
  it("every trained parameter within 1e-4 relative L2 after each step, and each step's update", async () => {
    const training: TrainStepOptions = { ...defaultTrainStep(SMALL), ...t, optimizer };
    const step = buildTrainStep(SMALL, training);
    const dir = tempDir('alexnet-train-step-');
    const modelPath = join(dir, 'model.onnx');
    // the stand-alone file: torch reads the starting weights from its initializers
    writeFileSync(modelPath, modelBytes(buildTrainStepModel(SMALL, training)));
    const data = stepData(SMALL, lrs);
    const outputs = await runSteps(step, SMALL, data);
    const steps = data.map((d, k) => {
      writeRaw(dir, `images${k}.bin`, d.images);
      mkdirSync(join(dir, `step${k + 1}`));
      for (const p of step.parameters) writeRaw(join(dir, `step${k + 1}`), `${p}.bin`, outputs[k]![nextName(p)]!.data as Float32Array);
      return { images: `images${k}.bin`, labels: d.labels, lr: d.lr, loss: (outputs[k]!.loss!.data as Float32Array)[0]! };
    });
    const shape = [SMALL.batch, 3, SMALL.imageSize, SMALL.imageSize];
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ loss: training.loss, optimizer, parameters: step.parameters, images_shape: shape, steps }),
    );

    const r = runPython<OptimComparison>('torch_optim.py', [modelPath, dir]);
    expect(step.parameters).toHaveLength(training.wrt === 'all' ? 16 : 10);
    expect(r.steps).toHaveLength(lrs.length);
    for (const [k, s] of r.steps.entries()) {
      expect(Object.keys(s.params)).toEqual(step.parameters);
      expect(Math.abs(s.loss.ours / s.loss.torch - 1), `step ${k + 1} loss`).toBeLessThan(1e-5);
      let updates = 0;
      for (const [name, p] of Object.entries(s.params)) {
        expect(p.rel, `step ${k + 1}: ${name}`).toBeLessThan(1e-4);
        // The update is small beside the weights, so a wrong momentum or bias correction shows in it first. Where it is
        // below 3e-4 of the weights, rounding the weights to float32 alone (2^-24) comes near 1e-3 of it: skipped.
        if (p.update_size < 3e-4) continue;
        expect(p.update_rel, `step ${k + 1}: update of ${name}`).toBeLessThan(1e-3);
        updates++;
      }
      expect(updates, `step ${k + 1}: updates compared`).toBeGreaterThan(step.parameters.length / 2);
    }
    // what the file tells another tool, read by onnx
    expect(optimizerFromMetadata(r.metadata)).toEqual(optimizer);
    expect(feedbackFromMetadata(r.metadata)).toEqual(step.feedback);
  });
});

const VARIANTS: [string, AlexNetOptions, Partial<TrainStepOptions>, OptimizerSettings][] = [
  ['AdamW, every parameter', SMALL, {}, adamw({})],
  ['SGD with Nesterov momentum and weight decay, --wrt conv', SMALL, { wrt: 'conv' }, sgd({ nesterov: true, weightDecay: 1e-4 })],
  ['plain SGD (no state), --head none, l2', { ...SMALL, head: 'none' }, {}, sgd({ momentum: 0 })],
];

describe.each(VARIANTS)('training-step graph: %s', (_, o, t, optimizer) => {
  const training: TrainStepOptions = { ...defaultTrainStep(o), ...t, optimizer };
  const file = buildTrainStepModel(o, training);
  const g = file.graph;
  const step = buildTrainStep(o, training);
  const trained = training.wrt === 'all' ? file.parameters : file.parameters.filter((p) => p.startsWith('conv'));
  const slots = { sgd: optimizer.optimizer === 'sgd' && optimizer.momentum > 0 ? ['momentum'] : [], adamw: ['exp_avg', 'exp_avg_sq'] }[
    optimizer.optimizer
  ];
  const state = trained.flatMap((p) => slots.map((s) => `${p}.${s}`));

  it('has images, labels (cross-entropy), lr, step, then every trained parameter and state tensor as inputs', () => {
    const labels = training.loss === 'softmax-cross-entropy' ? [LABELS] : [];
    expect(g.inputs.map((i) => i.name)).toEqual(['images', ...labels, LR, STEP, ...trained, ...state]);
    expect(g.types.get(LR)).toEqual({ dtype: 'float32', shape: [] });
    expect(g.types.get(STEP)).toEqual({ dtype: 'int64', shape: [] });
    expect(step.parameters).toEqual(trained);
    expect(step.state).toEqual(state);
  });

  it('outputs output, loss and <input>.next of the same type for each parameter and state input, in input order', () => {
    expect(g.outputs.map((v) => v.name)).toEqual([OUTPUT, 'loss', ...[...trained, ...state].map(nextName)]);
    expect(step.feedback).toEqual([...trained, ...state].map((input) => ({ input, output: `${input}.next` })));
    for (const { input, output } of step.feedback) expect(g.types.get(output), output).toEqual(g.types.get(input));
  });

  it("stores the parameters (the forward export's values) and zero state as initializers, so the file runs as it is", () => {
    const forward = buildForwardModel(o).graph;
    for (const p of trained) {
      const a = forward.initializers.find((i) => i.name === p)!.data;
      const b = g.initializers.find((i) => i.name === p)!.data;
      // Buffer.equals: vitest's toEqual walks a typed array's keys, millions of them for fc7
      expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), p).toBe(true);
    }
    for (const s of state)
      expect(
        (g.initializers.find((i) => i.name === s)!.data as Float32Array).every((v) => v === 0),
        s,
      ).toBe(true);
  });

  it("runs as it is: the file fed only images, labels, lr and step gives the fed form's first step", async () => {
    const [fromFile] = await runSteps({ ...step, bytes: modelBytes(file), initial: {} }, o, stepData(o, [1e-3]));
    const [fed] = await runSteps(step, o, stepData(o, [1e-3]));
    expect(fromFile!.loss!.data).toEqual(fed!.loss!.data);
    const last = step.feedback.at(-1)!.output;
    const a = fromFile![last]!.data as Float32Array;
    const b = fed![last]!.data as Float32Array;
    expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), last).toBe(true);
  });

  it('gives the JavaScript bindings plain inputs and the initial values to feed', () => {
    const fed = new Set([...trained, ...state]);
    expect(step.model.graph.initializers.filter((i) => fed.has(i.name))).toEqual([]);
    expect(Object.keys(step.initial)).toEqual(g.initializers.filter((i) => fed.has(i.name)).map((i) => i.name));
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const name of fed) {
      const init = g.initializers.find((i) => i.name === name)!.data as Float32Array;
      expect(bytes(step.initial[name]!).equals(bytes(init)), name).toBe(true);
    }
    expect(step.model.graph.inputs).toEqual(g.inputs);
  });

  it('records the kind, the optimizer, its hyperparameters and the naming convention in metadata_props', () => {
    const meta = file.info.metadata;
    expect(meta['alexnet.kind']).toBe('train-step');
    expect(optimizerFromMetadata(meta)).toEqual(optimizer);
    expect(meta['alexnet.trainStep.parameters']).toBe(trained.join(','));
    expect(meta['alexnet.trainStep.state']).toBe(state.join(','));
    expect(meta['alexnet.trainStep.slots']).toBe(slots.join(','));
    expect(meta['alexnet.trainStep.nextSuffix']).toBe('.next');
    expect([meta['alexnet.trainStep.lr'], meta['alexnet.trainStep.step']]).toEqual(['lr', 'step']);
    expect(meta['alexnet.loss']).toBe(training.loss);
    // read back from the bytes, as another tool would
    expect(feedbackFromMetadata(readModel(modelBytes(file)).metadata)).toEqual(step.feedback);
  });

  it('uses standard ONNX operators only, has no dead nodes, and puts every node in a profile layer', () => {
    for (const n of g.nodes) expect(n.opType).not.toMatch(/Grad$/);
    const used = new Set([...g.nodes.flatMap((n) => n.inputs), ...g.outputs.map((x) => x.name)]);
    expect(g.nodes.filter((n) => !n.outputs.some((x) => used.has(x))).map((n) => n.name)).toEqual([]);
    const unplaced = g.nodes.map((n) => n.name).filter((n) => layerOf(n, finalLayer(o.head)).layer === '(runtime)');
    expect(unplaced).toEqual([]);
    if (trained.length) expect(g.nodes.filter((n) => layerOf(n.name, finalLayer(o.head)).layer === 'optimizer').length).toBeGreaterThan(0);
  });

  it('passes onnx.checker (full_check) with shapes that onnx inference agrees with', () => {
    const path = join(tempDir(), 'step.onnx');
    writeFileSync(path, modelBytes(file));
    const r = runPython<{ mismatches: unknown[]; missing: string[]; unknown: string[] }>('check_model.py', [path]);
    expect(r.mismatches).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.unknown).toEqual([]);
  });
});

describe('trained weights as an ordinary inference model', () => {
  it('computes what the training step computes with the same weights, and bench --model times it', async () => {
    const step = buildTrainStep(SMALL, { ...defaultTrainStep(SMALL), optimizer: adamw({}) });
    const data = stepData(SMALL, [1e-3, 1e-3]);
    const outputs = await runSteps(step, SMALL, data);
    const trained = Object.fromEntries(step.parameters.map((p) => [p, outputs[0]![nextName(p)]!.data as Float32Array]));
    const model = buildTrainedModel(SMALL, trained);
    expect(model.info.metadata['alexnet.kind']).toBe('forward');
    expect(model.info.metadata['alexnet.trained']).toBe(step.parameters.join(','));
    expect(model.graph.inputs.map((i) => i.name)).toEqual(['images']);
    const images = new ort.Tensor('float32', data[1]!.images, [2, 3, 67, 67]);
    const ours = (await runOnCpu(model, { images })).output!.data as Float32Array;
    // the second step's forward pass ran on the first step's weights
    const reference = outputs[1]!.output!.data as Float32Array;
    const before = outputs[0]!.output!.data as Float32Array;
    const maxAbs = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    const scale = Math.max(...reference.map(Math.abs));
    expect(maxAbs(ours, reference) / scale).toBeLessThan(1e-5);
    expect(maxAbs(before, reference) / scale, 'the step changed the output').toBeGreaterThan(1e-3);

    const path = join(tempDir(), 'trained.onnx');
    writeFileSync(path, modelBytes(model));
    const r = cli(['bench', '--model', path, '--steps', '1', '--burn-in', '0', '--log-every', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Forward across 1 steps/);
  });

  it('leaves dropout out, and refuses a name that is not a parameter or a value of the wrong size', () => {
    const withDropout = { ...SMALL, dropout: 0.5 };
    const model = buildTrainedModel(withDropout, {});
    expect(model.graph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
    expect(model.info.metadata['alexnet.dropout']).toBe('0');
    expect(() => buildTrainedModel(SMALL, { 'conv1.weight.exp_avg': new Float32Array(1) })).toThrow(/is not a parameter/);
    expect(() => buildTrainedModel(SMALL, { 'conv1.bias': new Float32Array(3) })).toThrow("conv1.bias has 3 values, the network's has 64");
  });
});

describe('alexnet-onnx export --train-step', () => {
  it.each([
    [['--optimizer', 'adamw'], '--optimizer shapes the training step: add --train-step'],
    [['--momentum', '0.5', '--nesterov'], '--momentum, --nesterov shape the training step: add --train-step'],
    [['--train-step', '--grad'], '--grad and --train-step write different graphs: give one of them'],
    [['--train-step', '--beta1', '0.8'], '--beta1 is not a hyperparameter of --optimizer sgd'],
    [['--train-step', '--optimizer', 'adamw', '--eps', '0'], '--eps must be a number > 0, got 0'],
  ])('refuses %j with one line and exit code 2', (args, message) => {
    const dir = tempDir();
    const r = cli(['export', '-o', join(dir, 'x.onnx'), ...args]);
    expect(r.stderr.trim()).toBe(`alexnet-onnx: ${message}`);
    expect(r.status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes graphs/alexnet-train-step.onnx by default, with cross-entropy for --head fc, and says what it wrote', () => {
    const dir = tempDir();
    const r = cli(
      ['export', '--train-step', '--optimizer', 'adamw', '--head', 'fc', '--classes', '5', '--image-size', '67', '--batch', '2'],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'train step: adamw (beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0.01), loss softmax-cross-entropy, 16 parameters and 32 state tensors in and <name>.next out',
    );
    const written = readModel(readFileSync(join(dir, 'graphs', 'alexnet-train-step.onnx')));
    expect(written.metadata['alexnet.kind']).toBe('train-step');
    expect(written.metadata['alexnet.loss']).toBe('softmax-cross-entropy');
    expect(written.metadata['alexnet.wrt']).toBe('all');
  });
});
