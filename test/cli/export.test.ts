import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';

describe('alexnet-onnx export', () => {
  it("prints the seeds' activation table, the parameter count and the file written", () => {
    const dir = tempDir();
    const out = join(dir, 'sub', 'm.onnx');
    const r = cli(['export', '-o', out, '--batch', '8']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('conv1   [8, 64, 56, 56]');
    expect(r.stdout).toContain('pool5   [8, 256, 6, 6]');
    expect(r.stdout).toContain('parameters: 2,469,696 in 10 tensors');
    expect(r.stdout).toMatch(new RegExp(`wrote ${out} \\(9\\.9 MB`));
    expect(existsSync(out)).toBe(true);
  });

  it.each([
    [['--lrn', 'foo'], /--lrn must be one of tf-benchmark, paper, none, got 'foo'/],
    [['--batch', '0'], /--batch must be a positive integer or 'dynamic', got '?0'?/],
    [['--batch', 'many'], /--batch must be a positive integer or 'dynamic', got 'many'/],
    [['--image-size', '40'], /--image-size 40 gives an empty pool5; the smallest allowed is 57/],
    [['--head', 'big'], /head.*Given: "big".*Choices: "none", "fc"/],
    [['--dropout', '0.5'], /--dropout applies to the FC layers: add --head fc/],
    [['--frobnicate'], /Unknown argument: frobnicate/],
  ])('refuses %j with one line and exit code 2', (args, message) => {
    const dir = tempDir();
    const r = cli(['export', '-o', join(dir, 'x.onnx'), ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^alexnet-onnx: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('shows a stack trace with --verbose', () => {
    const r = cli(['export', '--batch', '0', '--verbose', '-o', join(tempDir(), 'x.onnx')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/UsageError: --batch/);
    expect(r.stderr).toMatch(/\bat .*/);
  });

  it('leaves an existing file untouched and no temporary file when the write fails', () => {
    const dir = tempDir();
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const r = cli(['export', '-o', join(blocker, 'm.onnx')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(blocker, 'utf8')).toBe('x');
    expect(readdirSync(dir)).toEqual(['not-a-dir']);
  });

  it('replaces an existing model only with a complete one', () => {
    const dir = tempDir();
    const out = join(dir, 'm.onnx');
    writeFileSync(out, 'stale');
    expect(cli(['export', '-o', out, '--no-lrn']).status).toBe(0);
    expect(readFileSync(out).length).toBeGreaterThan(9_000_000);
    expect(readdirSync(dir)).toEqual(['m.onnx']);
  });

  it('has help text naming every model option', () => {
    const r = cli(['export', '--help']);
    expect(r.status).toBe(0);
    for (const o of ['--batch', '--image-size', '--lrn', '--head', '--classes', '--dropout', '--seed', '--output'])
      expect(r.stdout).toContain(o);
  });
});
