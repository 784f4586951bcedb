import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPORT_SCHEMA } from '../../src/bench/types.js';
import { DEFAULT_BROWSER } from '../../src/runners/browser.js';
import { cli, tempDir } from '../helpers/cli.js';

const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '2', '--burn-in', '0', '--log-every', '1'];
const FORWARD = [...SMALL, '--mode', 'forward'];

describe('alexnet-onnx bench: --json -, --append, --format', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });

  it('--json - puts the JSON alone on stdout (a pipe) and every human line on stderr', () => {
    const r = cli(['bench', ...SMALL, '--json', '-']);
    expect(r.status).toBe(0);
    const results = JSON.parse(r.stdout) as { mode: string; schema: number; argv: string[] }[];
    expect(results.map((x) => x.mode)).toEqual(['forward', 'forward-backward']);
    expect(results[0]!.schema).toBe(REPORT_SCHEMA);
    expect(results[0]!.argv).toEqual(['alexnet-onnx', 'bench', ...SMALL, '--json', '-']);
    expect(r.stderr).toMatch(/^alexnet-onnx bench: onnxruntime-node /);
    expect(r.stderr).toMatch(/: Forward across 2 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch\n/);
    expect(r.stderr).toMatch(/\nforward-backward: batch 1, /);
    expect(r.stderr).not.toMatch(/wrote/);
  });

  it('--append adds one JSON line per mode to what the file holds, run after run', () => {
    const series = join(dir, 'deep', 'series.jsonl');
    let r = cli(['bench', ...FORWARD, '--append', series]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`appended 1 line(s) to ${series}`);
    writeFileSync(series, `${readFileSync(series, 'utf8')}{"kept":true}\n`);
    r = cli(['bench', ...SMALL, '--append', series, '--seed', '5']);
    expect(r.status).toBe(0);
    const lines = readFileSync(series, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const entries = lines.slice(0, -1).map((l) => JSON.parse(l));
    expect(entries.map((e) => e.mode ?? e.kept)).toEqual(['forward', true, 'forward', 'forward-backward']);
    expect(entries.map((e) => e.seed)).toEqual([1, undefined, 5, 5]);
  });

  it('refuses an --append path that cannot be written, or the --model file, before running', () => {
    let r = cli(['bench', ...FORWARD, '--append', dir]);
    expect(r.stderr).toBe(`alexnet-onnx: --append ${dir}: it is a directory, not a file\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const model = join(dir, 'm.onnx');
    expect(cli(['export', '--batch', '1', '--image-size', '67', '-o', model]).status).toBe(0);
    const before = readFileSync(model);
    r = cli(['bench', '--model', model, ...FORWARD, '--append', model]);
    expect(r.stderr).toBe(`alexnet-onnx: --append ${model} is the --model file: the results would be appended to the model\n`);
    expect(r.status).toBe(2);
    expect(readFileSync(model).equals(before)).toBe(true);
    r = cli(['bench', ...FORWARD, '--append=']);
    expect(r.stderr).toBe('alexnet-onnx: --append needs a file name\n');
    expect(r.status).toBe(2);
  });

  it('--format auto gives the lines in milliseconds; the default keeps the seeds lines', () => {
    let r = cli(['bench', ...FORWARD, '--format', 'auto']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/: step 0, duration = \d+(\.\d+)? ms\n/);
    expect(r.stdout).toMatch(/: Forward across 2 steps, \d+(\.\d+)? \+\/- \d+(\.\d+)? ms \/ batch\n/);
    r = cli(['bench', ...FORWARD]);
    expect(r.stdout).toMatch(/: step 0, duration = \d+\.\d{3}\n/);
    expect(r.stdout).toMatch(/: Forward across 2 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch\n/);
    r = cli(['bench', ...FORWARD, '--format', 'ms']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/format/);
  });

  it.skipIf(!existsSync(DEFAULT_BROWSER))('--format auto reaches the page, which runs the same loop (needs Chromium)', () => {
    const r = cli(['bench', ...FORWARD, '--runtime', 'browser', '--format', 'auto']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/: step 0, duration = \d+(\.\d+)? ms\n/);
    expect(r.stdout).toMatch(/: Forward across 2 steps, \d+(\.\d+)? \+\/- \d+(\.\d+)? ms \/ batch\n/);
  });
});
