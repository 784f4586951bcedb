import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers/cli.js';

/** Refusals come before anything is built: each case takes about Node's start-up, far under this bound. */
const FAST_MS = 5000;

/**
 * Runs the CLI, killed after a minute: without the checks these commands hang or climb toward the OOM killer, and a
 * synchronous child would block the test's own timeout.
 */
function cli(args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

describe('alexnet-onnx refuses what this machine cannot run, before building anything', () => {
  it('bench --threads 100000: one line naming the limit, exit 2', () => {
    const r = cli(['bench', '--threads', '100000']);
    expect(r.status).toBe(2);
    const max = 4 * availableParallelism();
    expect(r.stderr).toBe(
      `alexnet-onnx: --threads 100000 is more than this machine can use: at most ${max} (4 per logical core, ${availableParallelism()} cores)\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('bench with a batch no machine has memory for: the estimate and the available memory, fast, exit 2', () => {
    const r = cli(['bench', '--batch', '1000000', '--input', 'host', '--mode', 'forward-backward']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^alexnet-onnx: --batch 1000000 --mode forward-backward needs about \d+\.\d GB of memory \(estimate\), but this machine has \d+\.\d GB available: use a smaller --batch \(at most \d+ fits\)\n$/,
    );
    expect(r.stdout).toBe('');
    expect(r.ms).toBeLessThan(FAST_MS);
  });

  it('bench --input device with images past 2 GiB: says to use --input host, exit 2', () => {
    const r = cli(['bench', '--batch', '5000', '--mode', 'forward']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^alexnet-onnx: --input device stores the images in the model, .* use --input host or a smaller --batch\n$/);
  });

  it('export --head fc --image-size 1000: the model size and the 2 GiB limit, fast, nothing written, exit 2', () => {
    const out = join(tempDir(), 'big.onnx');
    const r = cli(['export', '--head', 'fc', '--image-size', '1000', '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'alexnet-onnx: --head fc --image-size 1000 --classes 1000 makes a model with about 3.9 GB of weights, over the 2 GiB an ONNX file can hold: use --image-size 760 or less with --head fc, or --head none\n',
    );
    expect(r.ms).toBeLessThan(FAST_MS);
    expect(existsSync(out)).toBe(false);
  });

  it('bench gets the same size check as export', () => {
    const r = cli(['bench', '--head', 'fc', '--image-size', '1000']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/over the 2 GiB an ONNX file can hold/);
    expect(r.ms).toBeLessThan(FAST_MS);
  });
});
