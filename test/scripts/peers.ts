import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { tempDir } from '../helpers/cli.js';

/** A run of a peer script. */
export interface PeerRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/<script>` under `python` with arguments. */
export function runPeer(python: string, script: string, args: string[]): PeerRun {
  const path = fileURLToPath(new URL(`../../scripts/${script}`, import.meta.url));
  const r = spawnSync(python, [path, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Writes a small exported forward model (batch 2, 99x99 images: pool5 is 2x2, so layouts that differ only in the
 * order of pool5's positions give different numbers) and returns its path.
 */
export function smallModel(options: Partial<AlexNetOptions> = {}): string {
  const path = join(tempDir('alexnet-peer-'), 'model.onnx');
  writeFileSync(path, modelBytes(buildForwardModel({ ...DEFAULT_OPTIONS, batch: 2, imageSize: 99, ...options })));
  return path;
}

/** Whether `python` exists and can import `module` (found, not imported: importing TensorFlow takes seconds). */
export function pythonHas(python: string, module: string): boolean {
  if (!existsSync(python)) return false;
  const probe = `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(module)}) else 1)`;
  return spawnSync(python, ['-c', probe]).status === 0;
}

/** A report entry as the peers write it with --json (the fields the tests read). */
export interface PeerEntry {
  runtime: string;
  ep: string;
  mode: string;
  batch: number;
  steps: number;
  burn_in: number;
  mean_s: number;
  sd_s: number;
  min_s: number;
  max_s: number;
  device: string;
  peak_rss_bytes: number;
  durations_s: number[];
  check?: { reference: string; max_rel_diff: number };
}

/**
 * Checks the seeds' loop lines for each mode (`step k, duration = ...` every `logEvery` of `steps`, then
 * `<Mode> across <steps> steps, mean +/- sd sec / batch`) and the --json file, and returns its entries.
 */
export function expectSeedsLoop(run: PeerRun, json: string, modes: string[], steps: number, logEvery: number): PeerEntry[] {
  expect(run.status, run.stderr).toBe(0);
  const stepLines = run.stdout.split('\n').filter((l) => /: step \d+, duration = \d+\.\d{3}$/.test(l));
  const perMode = Array.from({ length: Math.ceil(steps / logEvery) }, (_, i) => `step ${i * logEvery},`);
  expect(stepLines.map((l) => l.match(/step \d+,/)![0])).toEqual(modes.flatMap(() => perMode));
  for (const mode of modes) {
    const label = mode === 'forward' ? 'Forward' : 'Forward-backward';
    expect(run.stdout).toMatch(new RegExp(`: ${label} across ${steps} steps, \\d+\\.\\d{3} \\+/- \\d+\\.\\d{3} sec / batch\\n`));
  }
  const entries = JSON.parse(readFileSync(json, 'utf8')) as PeerEntry[];
  expect(entries.map((e) => e.mode)).toEqual(modes);
  for (const e of entries) {
    expect(e.durations_s).toHaveLength(steps);
    expect(e.mean_s).toBeCloseTo(e.durations_s.reduce((a, b) => a + b, 0) / steps, 12);
    expect(e.min_s).toBe(Math.min(...e.durations_s));
    expect(e.max_s).toBe(Math.max(...e.durations_s));
    expect(e.peak_rss_bytes).toBeGreaterThan(50e6);
  }
  return entries;
}
