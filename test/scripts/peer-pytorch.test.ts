import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BENCH_LR } from '../../src/bench/types.js';
import type { AlexNetOptions } from '../../src/model/alexnet.js';
import { tempDir } from '../helpers/cli.js';
import { PYTHON } from '../helpers/python.js';
import { expectSeedsLoop, type PeerEntry, pythonHas, runPeer, smallModel } from './peers.js';

// Debian's torch 1.13 (the tests' reference Python), and a PyTorch 2.x venv where one was made for measuring
// (docs/benchmarks.md, "Peers"): the peer must run under both.
const TORCH_2 = process.env.ALEXNET_TORCH_PYTHON ?? '/opt/venv-torch/bin/python';
const pythons = [PYTHON, ...(pythonHas(TORCH_2, 'torch') ? [TORCH_2] : [])];

/** The report's optimizer object of a train-step entry. */
type Optimizer = { kind: string; lr: number } & Record<string, number | boolean | string>;

/** What test/scripts/peer-pytorch-reference.py prints: per parameter, the error against the steps' whole change. */
interface Reference {
  losses: number[];
  params: Record<string, { error: number; change: number }>;
}

/** The same steps worked out by hand in float64 (test/scripts/peer-pytorch-reference.py), against `saved`. */
function reference(
  model: string,
  saved: string,
  settings: { steps: number; batch: number; loss: string; wrt: string; optimizer: Optimizer },
) {
  const script = fileURLToPath(new URL('./peer-pytorch-reference.py', import.meta.url));
  const out = execFileSync(PYTHON, [script, model, saved, JSON.stringify(settings)], { encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Reference;
}

/** A train-step case: its name, the model's options, the peer's flags, the optimizer it reports, [loss, wrt, parameters]. */
type StepCase = readonly [string, Partial<AlexNetOptions>, readonly string[], Optimizer, readonly [string, string, number]];

// 1 first step + 1 burn-in + 2 timed: 4 steps, each from the parameters the one before left
const STEP_CASES: readonly StepCase[] = [
  [
    'sgd (Nesterov, weight decay), l2 loss, conv layers',
    { head: 'none' as const },
    ['--nesterov', '--weight-decay', '0.0005', '--lr', '1e-5'],
    { kind: 'sgd', lr: 1e-5, momentum: 0.9, nesterov: true, weight_decay: 0.0005 },
    ['l2', 'conv', 10],
  ],
  [
    'adamw, l2 loss, conv layers',
    { head: 'none' as const },
    ['--optimizer', 'adamw', '--beta2', '0.99', '--lr', '0.001'],
    { kind: 'adamw', lr: 0.001, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.01 },
    ['l2', 'conv', 10],
  ],
  [
    'adamw, softmax cross-entropy, every parameter',
    { head: 'fc' as const, classes: 5 },
    ['--optimizer', 'adamw', '--beta2', '0.99', '--lr', '0.001', '--wrt', 'all'],
    { kind: 'adamw', lr: 0.001, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.01 },
    ['softmax-cross-entropy', 'all', 16],
  ],
];

/** Runs the peer's train-step for a case under `python` and checks its parameters against the hand-worked reference. */
function expectTrainStep(python: string, [, options, flags, optimizer, [loss, wrt, count]]: StepCase): void {
  const dir = tempDir('alexnet-peer-');
  const model = smallModel({ imageSize: 67, ...options });
  const [json, saved] = [join(dir, 'step.json'), join(dir, 'params.npz')];
  const args = ['--mode', 'train-step', '--steps', '2', '--burn-in', '1', '--log-every', '1', '--threads', '1'];
  const run = runPeer(python, 'peer_pytorch.py', ['--model', model, ...args, ...flags, '--json', json, '--save-params', saved]);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`, train-step: ${loss} loss, ${count} parameters, ${optimizer.kind} \\(lr `));
  expect(run.stdout).toMatch(/: Train-step across 2 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch\n/);
  expect(run.stdout).toMatch(/^train-step: loss \S+ at the first step, \S+ at step 4$/m);
  const [entry] = JSON.parse(readFileSync(json, 'utf8')) as (PeerEntry & { optimizer: Optimizer; fetch: string })[];
  expect([entry!.mode, entry!.fetch, entry!.durations_s.length]).toEqual(['train-step', 'loss', 2]);
  expect(entry!.optimizer).toEqual(optimizer);
  const ref = reference(model, saved, { steps: 4, batch: 2, loss, wrt, optimizer: entry!.optimizer });
  expect(Object.keys(ref.params)).toHaveLength(count);
  for (const [name, p] of Object.entries(ref.params)) {
    // every parameter moved, and the peer's float32 steps moved it where the float64 reference did
    expect(p.change, name).toBeGreaterThan(1e-3);
    expect(p.error, name).toBeLessThan(1e-4);
  }
}

describe.each(pythons)('the PyTorch peer under %s', (python) => {
  it('times both modes with the seeds loop and writes the report entries compare.mjs reads', () => {
    const json = join(tempDir('alexnet-peer-'), 'torch.json');
    const args = ['--model', smallModel(), '--steps', '3', '--burn-in', '1', '--log-every', '2', '--threads', '1', '--json', json];
    const run = runPeer(python, 'peer_pytorch.py', args);
    expect(run.stdout).toMatch(/^pytorch peer: torch \S+, device cpu \(.+, \d+ cores\), batch 2, /m);
    const entries = expectSeedsLoop(run, json, ['forward', 'forward-backward'], 3, 2);
    for (const e of entries) expect([e.runtime, e.ep, e.batch, e.steps, e.burn_in]).toEqual(['pytorch', 'cpu', 2, 3, 1]);
  });

  it.each(STEP_CASES.slice(0, 2))('train-step with %s: torch.optim ends where the update rules worked out by hand do', (...c) =>
    expectTrainStep(python, c),
  );

  it('refuses bad loop options in one line, exit code 2', () => {
    const run = runPeer(python, 'peer_pytorch.py', ['--model', 'x.onnx', '--log-every', '0']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('peer_pytorch.py: --steps and --log-every must be >= 1, --burn-in and --threads >= 0\n');
  });
});

// The FC head's 17M parameters make this case the slow one: Debian's torch only; the rest are the same under any torch.
it.each(STEP_CASES.slice(2))(
  'the PyTorch peer: train-step with %s: torch.optim ends where the update rules worked out by hand do',
  (...c) => expectTrainStep(PYTHON, c),
);

it('the PyTorch peer times all three modes with --mode all, the optimizer in the train-step entry only', () => {
  const json = join(tempDir('alexnet-peer-'), 'all.json');
  const args = ['--model', smallModel({ imageSize: 67 }), '--mode', 'all', '--steps', '1', '--burn-in', '0', '--threads', '1'];
  const run = runPeer(PYTHON, 'peer_pytorch.py', [...args, '--optimizer', 'adamw', '--json', json]);
  expect(run.status, run.stderr).toBe(0);
  const entries = JSON.parse(readFileSync(json, 'utf8')) as (PeerEntry & { optimizer: Optimizer | null })[];
  expect(entries.map((e) => [e.mode, e.optimizer?.kind ?? null])).toEqual([
    ['forward', null],
    ['forward-backward', null],
    ['train-step', 'adamw'],
  ]);
  // without --lr, the peer's step uses bench's default learning rate, as compare.mjs expects of both sides
  expect(entries[2]!.optimizer?.lr).toBe(DEFAULT_BENCH_LR);
});

it.each([
  [['--lr', '0.1'], '--lr: only --mode train-step or all has an optimizer step'],
  [
    ['--mode', 'both', '--optimizer', 'adamw', '--momentum', '0.5'],
    '--optimizer, --momentum: only --mode train-step or all has an optimizer step',
  ],
  [
    ['--mode', 'train-step', '--optimizer', 'adamw', '--momentum', '0.5', '--eps', '0', '--lr', '-1'],
    '--lr must be a number > 0, got -1; --momentum is not a hyperparameter of --optimizer adamw; --eps must be a number > 0, got 0',
  ],
  [['--mode', 'all', '--momentum', '0', '--nesterov'], '--nesterov needs a --momentum above 0'],
])('the PyTorch peer refuses optimizer options %j as bench does, in one line, exit code 2', (args, message) => {
  const run = runPeer(PYTHON, 'peer_pytorch.py', ['--model', 'x.onnx', ...args]);
  expect(run.status).toBe(2);
  expect(run.stderr).toBe(`peer_pytorch.py: ${message}\n`);
});
