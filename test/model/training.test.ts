import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { buildTrainingModel, DEFAULT_TRAINING, type TrainingOptions, validateTraining } from '../../src/model/training.js';
import { tempDir } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';

const VARIANTS: [string, Partial<AlexNetOptions>, Partial<TrainingOptions>][] = [
  ['default', {}, {}],
  ['webgpu formulation', { lrnImpl: 'decomposed' }, { maxpoolGrad: 'mask' }],
  [
    'cpu formulation (decomposed LRN, matmul weight grad, conv data grad)',
    { lrnImpl: 'decomposed' },
    { convWeightGrad: 'matmul', convDataGrad: 'conv' },
  ],
  ['fc, all, dropout', { head: 'fc', classes: 10, dropout: 0.5 }, { wrt: 'all' }],
  [
    'fc, all, decomposed dropout (web WebGPU formulation)',
    { head: 'fc', classes: 10, dropout: 0.5, dropoutImpl: 'decomposed', lrnImpl: 'decomposed' },
    { wrt: 'all', maxpoolGrad: 'mask' },
  ],
  [
    'fc, softmax-cross-entropy, dynamic batch, matmul weight grad',
    { head: 'fc', classes: 10, batch: 'dynamic' },
    { loss: 'softmax-cross-entropy', wrt: 'all', convWeightGrad: 'matmul' },
  ],
];

describe.each(VARIANTS)('training graph: %s', (_, o, t) => {
  const options: AlexNetOptions = { ...DEFAULT_OPTIONS, batch: 2, ...o };
  const training = { ...DEFAULT_TRAINING, ...t };
  const model = buildTrainingModel(options, training);
  const g = model.graph;

  it('passes onnx.checker (full_check) with shapes that onnx inference agrees with', () => {
    const path = join(tempDir(), 'g.onnx');
    writeFileSync(path, modelBytes(model));
    const r = runPython<{ mismatches: unknown[]; missing: string[]; unknown: string[] }>('check_model.py', [path]);
    expect(r.mismatches).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.unknown).toEqual([]);
  });

  it('uses standard ONNX operators only, never MaxUnpool, and has no dead nodes', () => {
    const ops = new Set(g.nodes.map((n) => n.opType));
    expect(ops.has('MaxUnpool')).toBe(false);
    for (const op of ops) expect(op).not.toMatch(/Grad$/);
    const used = new Set([...g.nodes.flatMap((n) => n.inputs), ...g.outputs.map((x) => x.name)]);
    const dead = g.nodes.filter((n) => !n.outputs.some((x) => used.has(x)));
    expect(dead.map((n) => n.name)).toEqual([]);
  });

  it('outputs output, loss, <param>_grad for each requested parameter, and grad_sq_sum', () => {
    const names = g.outputs.map((x) => x.name);
    const params = training.wrt === 'all' ? model.parameters : model.parameters.filter((p) => p.startsWith('conv'));
    expect(names).toEqual(['output', 'loss', ...params.map((p) => `${p}_grad`), 'grad_sq_sum']);
    for (const p of params) expect(g.types.get(`${p}_grad`)).toEqual(g.types.get(p));
    expect(g.types.get('loss')!.shape).toEqual([]);
  });

  it('has the same parameter values as the forward export with the same options', () => {
    const fwd = buildForwardModel(options).graph;
    for (const p of model.parameters) {
      const a = fwd.initializers.find((i) => i.name === p)!.data;
      const b = g.initializers.find((i) => i.name === p)!.data;
      expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), p).toBe(true);
    }
  });
});

describe('training options', () => {
  it('refuses softmax-cross-entropy without class scores', () => {
    expect(validateTraining(DEFAULT_OPTIONS, { ...DEFAULT_TRAINING, loss: 'softmax-cross-entropy' })).toEqual([
      '--loss softmax-cross-entropy needs class scores: add --head fc',
    ]);
  });
});
