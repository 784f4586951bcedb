import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LayerTime } from '../../src/bench/types.js';
import { tempDir } from '../helpers/cli.js';
import { PYTHON } from '../helpers/python.js';
import { expectSeedsLoop, pythonHas, runPeer, smallModel } from './peers.js';

// TensorFlow is not part of the project's set-up or of CI: these runs need a Python that has it (docs/benchmarks.md,
// "Peers", makes /opt/venv-tf).
const TF_PYTHON = process.env.ALEXNET_TF_PYTHON ?? '/opt/venv-tf/bin/python';
const tfReady = pythonHas(TF_PYTHON, 'tensorflow');
const why = existsSync(TF_PYTHON) ? `${TF_PYTHON} has no tensorflow` : `no ${TF_PYTHON} (set ALEXNET_TF_PYTHON)`;
const CHECK =
  /^check: output \[([\d, ]+)\] vs (.+) on the same images: max \|TF - reference\| \/ max \|reference\| = (\S+) \(tolerance (\S+)\): (ok|FAILED)$/m;

describe.skipIf(!tfReady)(`the TensorFlow peer (the seeds' program)${tfReady ? '' : ` skipped: ${why}`}`, () => {
  it('builds the seeds graph in NHWC, matches ONNX Runtime on our weights, times both modes with the seeds loop', () => {
    const json = join(tempDir('alexnet-peer-'), 'tf.json');
    const args = ['--model', smallModel(), '--steps', '3', '--burn-in', '1', '--log-every', '2', '--threads', '1', '--json', json];
    const run = runPeer(TF_PYTHON, 'peer_tensorflow.py', args);
    // print_activations, as the seeds print it: op name, then the NHWC shape.
    expect(run.stdout).toContain('conv1   [2, 25, 25, 64]\n');
    expect(run.stdout).toContain('pool5   [2, 2, 2, 256]\n');
    const check = run.stdout.match(CHECK);
    expect(check, run.stdout).not.toBeNull();
    expect(check![1]).toBe('2, 256, 2, 2');
    expect(check![5]).toBe('ok');
    const rel = Number(check![3]);
    expect(rel).toBeLessThan(1e-4);
    const entries = expectSeedsLoop(run, json, ['forward', 'forward-backward'], 3, 2);
    for (const e of entries) {
      expect([e.runtime, e.ep, e.batch, e.steps, e.burn_in]).toEqual(['tensorflow', 'cpu', 2, 3, 1]);
      expect(e.check!.max_rel_diff).toBeCloseTo(rel, 9);
      expect(e.device).toMatch(/, \d+ cores$/);
    }
  });

  it.skipIf(!pythonHas(PYTHON, 'torch'))(
    'with the FC head (fc6 rows reordered for NHWC), --wrt all, --fetch sum, and the weights and reference from PyTorch',
    () => {
      const json = join(tempDir('alexnet-peer-'), 'tf.json');
      const model = smallModel({ head: 'fc', classes: 10, lrn: 'paper' });
      const args = ['--model', model, '--mode', 'forward-backward', '--steps', '2', '--burn-in', '0', '--log-every', '10'];
      const run = runPeer(TF_PYTHON, 'peer_tensorflow.py', [
        ...args,
        '--wrt',
        'all',
        '--fetch',
        'sum',
        '--helper-python',
        PYTHON,
        '--json',
        json,
      ]);
      const check = run.stdout.match(CHECK);
      expect(check, `${run.stdout}\n${run.stderr}`).not.toBeNull();
      expect(check![1]).toBe('2, 10');
      expect(check![2]).toMatch(/^PyTorch .* \(scripts\/torch_alexnet\.py\)$/);
      expect(Number(check![3])).toBeLessThan(1e-4);
      expect(run.stdout).toContain(`weights from ${model} (read by ${PYTHON})`);
      expectSeedsLoop(run, json, ['forward-backward'], 2, 10);
    },
  );

  it("--profile: each layer's op time from TensorFlow's step stats, the table bench prints and the JSON profile", () => {
    const json = join(tempDir('alexnet-peer-'), 'tf.json');
    const args = ['--model', smallModel(), '--steps', '1', '--burn-in', '0', '--profile', '2', '--json', json];
    const run = runPeer(TF_PYTHON, 'peer_tensorflow.py', [...args, '--threads', '2', '--inter-op-threads', '1']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(', threads 2 intra-op, 1 inter-op\n');
    expect(run.stdout).toContain('Forward per layer (TensorFlow step stats, mean of 2 steps, op time;');
    expect(run.stdout).toMatch(/\nlayer {8}forward ms {2}backward ms {2}share\nconv1 +\d+\.\d\d +\d+\.\d\d +\d+\.\d%\n/);
    expect(run.stderr).not.toContain('GPU trace was not collected');
    const entries = JSON.parse(readFileSync(json, 'utf8')) as { mode: string; inter_op_threads: number; profile: LayerTime[] }[];
    expect(entries.map((e) => e.inter_op_threads)).toEqual([1, 1]);
    const layers = ['conv1', 'lrn1', 'pool1', 'conv2', 'lrn2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5'];
    for (const e of entries) {
      const byLayer = new Map(e.profile.map((r) => [r.layer, r]));
      for (const layer of layers) expect(byLayer.get(layer)?.forward_ms, `${e.mode} ${layer}`).toBeGreaterThan(0);
      const backward = layers.map((l) => byLayer.get(l)!.backward_ms);
      // forward-backward: every conv has its gradient ops, named under gradients/ after the layer
      if (e.mode === 'forward') expect(backward.every((ms) => ms === 0)).toBe(true);
      else for (const i of [0, 3, 6, 7, 8]) expect(backward[i], layers[i]).toBeGreaterThan(0);
    }
    expect(entries.map((e) => e.mode)).toEqual(['forward', 'forward-backward']);
  });

  it('fails, exit code 1, when the output differs from the reference by more than --tolerance', () => {
    const run = runPeer(TF_PYTHON, 'peer_tensorflow.py', ['--model', smallModel({ lrn: 'none' }), '--steps', '1', '--tolerance', '1e-12']);
    expect(run.status).toBe(1);
    const check = run.stdout.match(CHECK);
    expect(check![5]).toBe('FAILED');
    // float32 convolutions in another order never agree to the last bit: the check measures a real difference.
    expect(Number(check![3])).toBeGreaterThan(1e-12);
    expect(run.stdout).not.toMatch(/across \d+ steps/);
  });
});

describe('the TensorFlow peer without TensorFlow, and its usage errors', () => {
  it.skipIf(pythonHas(PYTHON, 'tensorflow'))(`says TensorFlow is missing, exit code 3 (${PYTHON} has none)`, () => {
    const run = runPeer(PYTHON, 'peer_tensorflow.py', ['--model', smallModel()]);
    expect(run.status).toBe(3);
    expect(run.stderr.trim()).toBe(`peer_tensorflow.py: TensorFlow is not installed for ${PYTHON}: No module named 'tensorflow'`);
  });

  it('refuses bad loop options and a missing model in one line, exit code 2, before importing TensorFlow', () => {
    for (const [args, message] of [
      [['--model', smallModel(), '--steps', '0'], '--steps and --log-every must be >= 1, --burn-in and --threads >= 0'],
      [['--model', '/nonexistent.onnx'], '--model /nonexistent.onnx: no such file (write one with `alexnet-onnx export`)'],
      [['--model', 'x.onnx', '--device', 'cuda'], "argument --device: invalid choice: 'cuda'"],
      [['--model', 'x.onnx', '--profile', '-1'], '--profile must be >= 0'],
      [['--model', 'x.onnx', '--inter-op-threads', '-1'], '--inter-op-threads must be >= 0'],
    ] as const) {
      const run = runPeer(PYTHON, 'peer_tensorflow.py', [...args]);
      expect(run.status).toBe(2);
      expect(run.stderr.startsWith(`peer_tensorflow.py: ${message}`), run.stderr).toBe(true);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
