import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { PYTHON } from '../helpers/python.js';
import { expectSeedsLoop, pythonHas, runPeer, smallModel } from './peers.js';

// Debian's torch 1.13 (the tests' reference Python), and a PyTorch 2.x venv where one was made for measuring
// (docs/benchmarks.md, "Peers"): the peer must run under both.
const TORCH_2 = process.env.ALEXNET_TORCH_PYTHON ?? '/opt/venv-torch/bin/python';
const pythons = [PYTHON, ...(pythonHas(TORCH_2, 'torch') ? [TORCH_2] : [])];

describe.each(pythons)('the PyTorch peer under %s', (python) => {
  it('times both modes with the seeds loop and writes the report entries compare.mjs reads', () => {
    const json = join(tempDir('alexnet-peer-'), 'torch.json');
    const args = ['--model', smallModel(), '--steps', '3', '--burn-in', '1', '--log-every', '2', '--threads', '1', '--json', json];
    const run = runPeer(python, 'peer_pytorch.py', args);
    expect(run.stdout).toMatch(/^pytorch peer: torch \S+, device cpu \(.+, \d+ cores\), batch 2, /m);
    const entries = expectSeedsLoop(run, json, ['forward', 'forward-backward'], 3, 2);
    for (const e of entries) expect([e.runtime, e.ep, e.batch, e.steps, e.burn_in]).toEqual(['pytorch', 'cpu', 2, 3, 1]);
  });

  it('refuses bad loop options in one line, exit code 2', () => {
    const run = runPeer(python, 'peer_pytorch.py', ['--model', 'x.onnx', '--log-every', '0']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('peer_pytorch.py: --steps and --log-every must be >= 1, --burn-in and --threads >= 0\n');
  });
});
