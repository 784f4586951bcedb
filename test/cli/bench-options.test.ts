import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchOptions } from '../../src/bench/options.js';
import { modesLine } from '../../src/cli/bench.js';
import { cli, tempDir } from '../helpers/cli.js';

const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '1', '--burn-in', '0', '--threads', '1'];

describe('options that a run would ignore are refused', () => {
  let forwardModel = '';
  let trainingModel = '';

  beforeAll(() => {
    const dir = tempDir();
    forwardModel = join(dir, 'f.onnx');
    trainingModel = join(dir, 't.onnx');
    for (const [file, grad] of [
      [forwardModel, []],
      [trainingModel, ['--grad']],
    ] as const)
      expect(cli(['export', '--batch', '1', '--image-size', '67', ...grad, '-o', file]).status).toBe(0);
  });

  it.each([
    [['--profile-method', 'prefix'], /--profile-method prefix needs --profile N \(N > 0\)/],
    [['--profile', '0', '--profile-method', 'profiler'], /--profile-method profiler needs --profile N/],
    [['--browser', '/usr/bin/chromium'], /--browser is for --runtime browser, but this run uses --runtime node/],
    [['--runtime', 'web', '--browser', '/usr/bin/chromium'], /--browser is for --runtime browser, but this run uses --runtime web/],
    [
      ['--mode', 'forward', '--fetch', 'sum'],
      /--fetch is what forward-backward fetches, but this run times forward only \(--mode forward\)/,
    ],
    [['--mode', 'forward', '--fetch', 'grads'], /--fetch .* \(--mode forward\)/],
    [['--mode', 'forward', '--wrt', 'all'], /--wrt shapes the forward-backward graph, but this run times forward only \(--mode forward\)/],
    [
      ['--mode', 'forward', '--loss', 'l2', '--maxpool-grad', 'mask'],
      /--loss, --maxpool-grad shape the forward-backward graph, but this run times forward only/,
    ],
    [['--no-lrn', '--lrn-impl', 'op'], /^alexnet-onnx: --lrn-impl op says how LRN is written, but --no-lrn leaves LRN out$/],
    [['--lrn', 'none', '--lrn-impl', 'decomposed'], /--lrn-impl decomposed says how LRN is written, but --lrn none leaves LRN out$/],
    [['--classes', '10'], /^alexnet-onnx: --classes 10 is fc8's width, but --head none \(the default\) has no fc8: add --head fc$/],
    [['--head', 'none', '--classes', '1000'], /--classes 1000 is fc8's width, but --head none has no fc8: add --head fc$/],
    [
      ['--dropout-impl', 'op'],
      /^alexnet-onnx: --dropout-impl op says how dropout is written, but dropout is off \(--dropout 0, the default\): add --head fc --dropout RATE$/,
    ],
    [['--head', 'fc', '--dropout', '0', '--dropout-impl', 'decomposed'], /but dropout is off \(--dropout 0\): add --dropout RATE$/],
  ])('bench %j: one line naming both options, exit 2', (args, message) => {
    const r = cli(['bench', ...SMALL, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('refuses network options with --model, whose network is fixed in the file', () => {
    for (const [args, message] of [
      [['--lrn', 'paper'], /^alexnet-onnx: --lrn cannot change --model .*t\.onnx: its network is fixed in the file/],
      [['--no-lrn', '--head', 'fc'], /--lrn, --head cannot change --model/],
      [['--conv-data-grad', 'conv'], /--conv-data-grad cannot change --model/],
    ] as const) {
      const r = cli(['bench', '--model', trainingModel, ...SMALL, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(message);
    }
  });

  it('refuses --fetch for a --model without gradients, which times forward only', () => {
    const r = cli(['bench', '--model', forwardModel, ...SMALL, '--fetch', 'sum']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /--fetch is what forward-backward fetches, but this run times forward only \(--model .*f\.onnx has no gradients\)/,
    );
  });

  it('refuses training-graph options in export without --grad', () => {
    const r = cli([
      'export',
      '--batch',
      '1',
      '--image-size',
      '67',
      '--loss',
      'l2',
      '--conv-weight-grad',
      'matmul',
      '-o',
      join(tempDir(), 'x.onnx'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('alexnet-onnx: --loss, --conv-weight-grad shape the training graph: add --grad');
  });

  it.each([
    [
      ['--no-lrn', '--lrn-impl', 'decomposed'],
      /^alexnet-onnx: --lrn-impl decomposed says how LRN is written, but --no-lrn leaves LRN out$/,
    ],
    [['--classes', '10'], /^alexnet-onnx: --classes 10 is fc8's width, but --head none has no fc8: add --head fc$/],
    [
      ['--head', 'fc', '--dropout-impl', 'op'],
      /^alexnet-onnx: --dropout-impl op says how dropout is written, but dropout is off \(--dropout 0\): add --dropout RATE$/,
    ],
  ])('export %j: one line naming both options, exit 2', (args, message) => {
    const r = cli(['export', '--batch', '1', '--image-size', '67', ...args, '-o', join(tempDir(), 'x.onnx')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it('refuses only what was typed: the defaults of --lrn-impl, --classes and --dropout-impl refuse nothing', () => {
    const dir = tempDir();
    for (const args of [
      ['--no-lrn'],
      ['--head', 'fc', '--classes', '10', '--dropout', '0.5', '--dropout-impl', 'op'],
      ['--lrn', 'paper', '--lrn-impl', 'op'],
    ]) {
      const r = cli(['export', '--batch', '1', '--image-size', '67', ...args, '-o', join(dir, 'x.onnx')]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const b = cli(['bench', ...SMALL, '--mode', 'forward', '--no-lrn', '--lrn-impl', 'auto', '--dropout-impl', 'auto']);
    expect(b.status, b.stderr).toBe(0);
  });

  it("still takes bench's auto, the seed and sizes where they apply", () => {
    // `auto` asks for nothing in particular, so it is no option given; a --model file takes --seed (its images)
    const r = cli(['bench', ...SMALL, '--mode', 'forward', '--maxpool-grad', 'auto', '--profile', '1', '--profile-method', 'prefix']);
    expect(r.status, r.stderr).toBe(0);
    const m = cli(['bench', '--model', trainingModel, ...SMALL, '--seed', '3', '--mode', 'forward', '--lrn-impl', 'auto']);
    expect(m.status, m.stderr).toBe(0);
  });
});

describe("bench's header says only what applies to the modes run", () => {
  it('names the fetch, loss and wrt only with forward-backward', () => {
    const both = modesLine(benchOptions());
    expect(both).toMatch(
      /^modes forward, forward-backward; input on device; forward-backward fetches every gradient; graph: .*, loss l2, wrt conv$/,
    );
    const forward = modesLine(benchOptions({ modes: ['forward'] }));
    expect(forward).toMatch(/^mode forward; input on device; graph: /);
    expect(forward).not.toMatch(/backward|grad|loss|wrt/);
    expect(modesLine(benchOptions({ modes: ['forward-backward'], fetch: 'sum' }))).toContain('forward-backward fetches grad_sq_sum only');
  });

  it('prints a forward-only header and profile with no backward in them', () => {
    const r = cli(['bench', ...SMALL, '--mode', 'forward', '--profile', '1', '--profile-method', 'profiler']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mode forward; input on device; graph: [^\n]*$/m);
    expect(r.stdout).toMatch(/^layer\s+forward ms\s+share$/m);
    expect(r.stdout).not.toMatch(/fetches every gradient|backward ms/);
  });
});
