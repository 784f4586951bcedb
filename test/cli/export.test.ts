import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BIN, cli, readOnlyFolder, tempDir } from '../helpers/cli.js';

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
    // refused before the model is built, as a usage mistake
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--output ${join(blocker, 'm.onnx')}: ${blocker} is not a directory`);
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

describe('alexnet-onnx export: where the file goes', () => {
  const SMALL = ['--batch', '1', '--image-size', '67'];

  it('writes the training graph to graphs/alexnet-training.onnx by default, never over the forward model', () => {
    const dir = tempDir();
    expect(cli(['export', ...SMALL], dir).status).toBe(0);
    const forward = readFileSync(join(dir, 'graphs', 'alexnet.onnx'));
    const r = cli(['export', '--grad', ...SMALL], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote graphs\/alexnet-training\.onnx \(/m);
    expect(readFileSync(join(dir, 'graphs', 'alexnet.onnx')).equals(forward)).toBe(true);
    expect(readdirSync(join(dir, 'graphs')).sort()).toEqual(['alexnet-training.onnx', 'alexnet.onnx']);
    expect(cli(['export', '--help']).stdout).toMatch(/default graphs\/alexnet\.onnx, with --grad\s+graphs\/alexnet-training\.onnx/);
  });

  it('streams to /dev/null, and fails on /dev/full with one ENOSPC line and exit 1, both staying devices', () => {
    expect(cli(['export', ...SMALL, '-o', '/dev/null']).status).toBe(0);
    const r = cli(['export', ...SMALL, '-o', '/dev/full']);
    expect(r.stderr).toBe('alexnet-onnx: cannot write /dev/full: ENOSPC: no space left on device\n');
    expect(r.status).toBe(1);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes through a symbolic link, which stays a link', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.onnx'), 'old');
    symlinkSync('real.onnx', join(dir, 'link.onnx'));
    expect(cli(['export', ...SMALL, '-o', join(dir, 'link.onnx')]).status).toBe(0);
    expect(lstatSync(join(dir, 'link.onnx')).isSymbolicLink()).toBe(true);
    expect(statSync(join(dir, 'real.onnx')).size).toBeGreaterThan(1_000_000);
    expect(readdirSync(dir).sort()).toEqual(['link.onnx', 'real.onnx']);
  });

  it.each([[['-o', '']], [['--output=']], [['-o']]])('refuses an empty output (%j) with one line and exit 2', (args) => {
    const dir = tempDir();
    const r = cli(['export', ...SMALL, ...args], dir);
    expect(r.stderr).toBe('alexnet-onnx: --output needs a file name\n');
    expect(r.status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a directory with one line and exit 2', () => {
    const dir = tempDir();
    const r = cli(['export', ...SMALL, '-o', dir]);
    expect(r.stderr).toBe(`alexnet-onnx: --output ${dir}: it is a directory, not a file\n`);
    expect(r.status).toBe(2);
  });

  it('refuses a folder it cannot write in before building, naming the target (as root, runs as nobody)', (ctx) => {
    const { ro, as, skip } = readOnlyFolder();
    if (skip) return ctx.skip(skip);
    const out = join(ro, 'sub', 'm.onnx');
    const r = spawnSync(process.execPath, [BIN, 'export', '--head', 'fc', '-o', out], { encoding: 'utf8', ...as });
    expect(r.stderr).toBe(`alexnet-onnx: --output ${out}: cannot create files in ${ro} (EACCES: permission denied)\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('on %s while writing, removes the temporary file and exits with %i', async (signal, status) => {
    const dir = tempDir();
    const child = spawn(process.execPath, [BIN, 'export', '--head', 'fc', ...SMALL, '-o', join(dir, 'm.onnx')]);
    let code: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (c) => {
        code = c;
        resolve();
      }),
    );
    // The temporary file appears as the 98 MB model starts going out. Stopping the process there holds the write
    // still, so the signal arrives while it is under way, however late this loop noticed the file.
    while (code === undefined && !readdirSync(dir).some((f) => f.endsWith('.tmp'))) await sleep(2);
    child.kill('SIGSTOP');
    child.kill(signal as NodeJS.Signals);
    child.kill('SIGCONT');
    await exited;
    expect(code).toBe(status);
    expect(readdirSync(dir)).toEqual([]);
  });
});
