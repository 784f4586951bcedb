import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModeResult } from '../../src/bench/types.js';
import { cli, tempDir } from '../helpers/cli.js';

const TINY = ['--batch', '2', '--image-size', '67', '--steps', '2', '--burn-in', '0', '--threads', '1', '--autotune', 'off'];

describe('bench --mode train-step', () => {
  let forwardModel = '';
  let stepModel = '';

  beforeAll(() => {
    const dir = tempDir();
    forwardModel = join(dir, 'f.onnx');
    stepModel = join(dir, 's.onnx');
    expect(cli(['export', '--batch', '2', '--image-size', '67', '-o', forwardModel]).status).toBe(0);
    const step = ['export', '--batch', '2', '--image-size', '67', '--train-step', '--optimizer', 'adamw', '--wrt', 'conv', '-o', stepModel];
    expect(cli(step).status).toBe(0);
  });

  it("times the training step with the seeds' lines, says what it fetches, and reports the optimizer in the JSON", () => {
    const r = cli([
      'bench',
      ...TINY,
      '--mode',
      'train-step',
      '--optimizer',
      'adamw',
      '--weight-decay',
      '0',
      '--lr',
      '0.002',
      '--json',
      '-',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^mode train-step; input on device; train-step adamw \(beta1 0\.9, beta2 0\.999, eps 1e-8, weight decay 0\), lr 0\.002, fetches loss and every \.next output \(parameters and optimizer state, fed back as the next step's inputs\); graph: .*, loss l2, wrt conv$/m,
    );
    expect(r.stderr).toMatch(/: Train-step across 2 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/m);
    const [result] = JSON.parse(r.stdout) as ModeResult[];
    expect(result).toMatchObject({ schema: 4, mode: 'train-step', loss: 'l2', wrt: 'conv' });
    expect(result!.optimizer).toEqual({ kind: 'adamw', lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
  });

  it('--mode all runs the three modes in order; --mode both stays the seeds` two', () => {
    const r = cli(['bench', ...TINY, '--steps', '1', '--mode', 'all', '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as ModeResult[];
    expect(results.map((m) => [m.mode, m.optimizer?.kind ?? null])).toEqual([
      ['forward', null],
      ['forward-backward', null],
      ['train-step', 'sgd'],
    ]);
    expect(results[2]!.flops_per_batch).toBeGreaterThan(results[1]!.flops_per_batch!);
  });

  it('times a file of export --train-step (its default mode) with its own optimizer and the --lr given', () => {
    const r = cli(['bench', '--model', stepModel, '--steps', '1', '--burn-in', '0', '--lr', '0.01', '--json', '-']);
    expect(r.status, r.stderr).toBe(0);
    const [result] = JSON.parse(r.stdout) as ModeResult[];
    expect(result).toMatchObject({ mode: 'train-step', model: stepModel, loss: 'l2' });
    expect(result!.optimizer).toMatchObject({ kind: 'adamw', lr: 0.01, weight_decay: 0.01 });
  });

  it.each([
    [
      ['--optimizer', 'adamw'],
      /^alexnet-onnx: --optimizer shapes the training step, but this run times forward, forward-backward \(the default, --mode both\): add --mode train-step \(or all\)$/,
    ],
    [
      ['--mode', 'forward', '--lr', '0.1'],
      /^alexnet-onnx: --lr shapes the training step, but this run times forward only \(--mode forward\)/,
    ],
    [
      ['--mode', 'train-step', '--optimizer', 'adamw', '--momentum', '0.5'],
      /^alexnet-onnx: --momentum is not a hyperparameter of --optimizer adamw$/,
    ],
    [['--mode', 'train-step', '--lr', '0'], /^alexnet-onnx: --lr must be a number > 0, got 0$/],
    [
      ['--mode', 'train-step', '--fetch', 'sum'],
      /^alexnet-onnx: --fetch is what forward-backward fetches, but this run times train-step only \(--mode train-step\)$/,
    ],
    [['--mode', 'train-step', '--nesterov', '--momentum', '0'], /^alexnet-onnx: --nesterov needs a --momentum above 0$/],
  ])('bench %j: one line, exit 2', (args, message) => {
    const r = cli(['bench', ...TINY, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('refuses train-step on a file that is not a training step, and optimizer options on one that is', () => {
    const notStep = cli(['bench', '--model', forwardModel, '--mode', 'train-step']);
    expect(notStep.status).toBe(2);
    expect(notStep.stderr.trim()).toBe(
      `alexnet-onnx: --mode train-step needs a training step, but ${forwardModel} is not one: export it with --train-step`,
    );
    const fixed = cli(['bench', '--model', stepModel, '--optimizer', 'sgd']);
    expect(fixed.status).toBe(2);
    expect(fixed.stderr.trim()).toMatch(/--optimizer cannot change --model .*: a training step's optimizer is fixed in the file/);
    const grads = cli(['bench', '--model', stepModel, '--mode', 'all']);
    expect(grads.status).toBe(2);
    expect(grads.stderr.trim()).toMatch(/--mode all needs gradients, but .* has none: export it with --grad$/);
  });
});
