import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { BenchOptions } from '../../src/bench/types.js';
import { main } from '../../src/cli/main.js';
import { DEFAULT_BROWSER } from '../../src/runners/browser.js';
import { BIN, cli, readOnlyFolder, tempDir } from '../helpers/cli.js';

// In this process (the other cases spawn the built CLI), forward-backward fails once forward has finished, as when
// its session runs out of memory.
vi.mock('../../src/bench/run.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/bench/run.js')>();
  return {
    ...real,
    runBench: async (o: BenchOptions, log: (line: string) => void, onResult?: Parameters<typeof real.runBench>[2]) => {
      await real.runBench({ ...o, modes: ['forward'] }, log, onResult);
      throw new Error('forward-backward: out of memory');
    },
  };
});

const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '2', '--burn-in', '0'];

/** The built CLI with its own empty temporary folder, and ONNX Runtime's telemetry left as a user's would be. */
function benchIn(tmp: string, args: string[], options: { uid?: number; gid?: number } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.ORT_DISABLE_TELEMETRY;
  const r = spawnSync(process.execPath, [BIN, 'bench', ...args], { encoding: 'utf8', env, ...options });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('alexnet-onnx bench: --json and --model files', () => {
  let dir: string;
  let model: string;
  beforeAll(() => {
    dir = tempDir();
    model = join(dir, 'm.onnx');
    expect(cli(['export', '--batch', '1', '--image-size', '67', '-o', model]).status).toBe(0);
  });

  it.each([
    ['the same path', (m: string) => m],
    [
      'a link to it',
      (m: string) => {
        symlinkSync(m, `${m}.link`);
        return `${m}.link`;
      },
    ],
    ['another spelling', (m: string) => join(m, '..', '.', 'm.onnx')],
  ])('refuses --json naming the --model file (%s) before running, leaving the model whole', (_how, spell) => {
    const before = readFileSync(model);
    const json = spell(model);
    const r = cli(['bench', '--model', model, '--json', json, ...SMALL]);
    expect(r.stderr).toBe(`alexnet-onnx: --json ${json} is the --model file: the results would replace the model\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(readFileSync(model).equals(before)).toBe(true);
  });

  it.each([
    [['--json'], '--json'],
    [['--json='], '--json'],
    [['--model'], '--model'],
    [['--model='], '--model'],
    [['--json', '', '--mode', 'forward'], '--json'],
  ])('refuses %j with one line and exit 2 instead of ignoring it', (args, option) => {
    const r = cli(['bench', ...SMALL, ...args]);
    expect(r.stderr).toBe(`alexnet-onnx: ${option} needs a file name\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('refuses a --json directory, or a path under a file, before running', () => {
    let r = cli(['bench', ...SMALL, '--json', dir]);
    expect(r.stderr).toBe(`alexnet-onnx: --json ${dir}: it is a directory, not a file\n`);
    expect(r.status).toBe(2);
    r = cli(['bench', ...SMALL, '--json', join(model, 'r.json')]);
    expect(r.stderr).toBe(`alexnet-onnx: --json ${join(model, 'r.json')}: ${model} is not a directory\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('refuses a --json folder it cannot write in before running (as root, runs as nobody)', (ctx) => {
    const { base, ro, as, skip } = readOnlyFolder();
    if (skip) return ctx.skip(skip);
    const r = benchIn(base, [...SMALL, '--json', join(ro, 'r.json')], as);
    expect(r.stderr).toBe(`alexnet-onnx: --json ${join(ro, 'r.json')}: cannot create files in ${ro} (EACCES: permission denied)\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('prints the JSON to stderr when the file cannot be written at the end (/dev/full), then exits 1', () => {
    const r = cli(['bench', ...SMALL, '--mode', 'forward', '--json', '/dev/full']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^forward +\d/m);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('alexnet-onnx: cannot write /dev/full: ENOSPC: no space left on device; the JSON report is on stderr above');
    const report = JSON.parse(lines.slice(0, -1).join('\n')) as { mode: string }[];
    expect(report.map((m) => m.mode)).toEqual(['forward']);
  });

  it('writes the JSON to /dev/stdout in order with the other lines', () => {
    const r = cli(['bench', ...SMALL, '--mode', 'forward', '--json', '/dev/stdout']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('wrote /dev/stdout');
    const start = lines.indexOf('[');
    expect(lines[start - 1]).toMatch(/^forward: batch 1, /);
    const report = JSON.parse(lines.slice(start, -1).join('\n')) as { mode: string }[];
    expect(report.map((m) => m.mode)).toEqual(['forward']);
  });

  it('writes --json through a symbolic link, which stays a link', () => {
    const d = tempDir();
    writeFileSync(join(d, 'real.json'), 'old');
    symlinkSync('real.json', join(d, 'r.json'));
    expect(cli(['bench', ...SMALL, '--mode', 'forward', '--json', join(d, 'r.json')]).status).toBe(0);
    expect(lstatSync(join(d, 'r.json')).isSymbolicLink()).toBe(true);
    expect((JSON.parse(readFileSync(join(d, 'real.json'), 'utf8')) as unknown[]).length).toBe(1);
  });

  it("leaves nothing in the temporary folder, not even ONNX Runtime's telemetry log", () => {
    const tmp = tempDir();
    const r = benchIn(tmp, SMALL);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

const FORWARD_BACKWARD_STARTED = /Forward across.*: step 0, /s;

/**
 * Runs the built CLI's bench in its own temporary folder and sends `signal` at forward-backward's first step line,
 * when the forward result is complete (in the browser, the page prints forward's summary before its result is back).
 */
async function interruptAfterForward(tmp: string, args: string[], signal: NodeJS.Signals) {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.ORT_DISABLE_TELEMETRY;
  const child = spawn(process.execPath, [BIN, 'bench', ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const status = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdout.on('data', (d: Buffer) => {
    const sent = FORWARD_BACKWARD_STARTED.test(stdout);
    stdout += d.toString();
    if (!sent && FORWARD_BACKWARD_STARTED.test(stdout)) child.kill(signal);
  });
  return { status: await status, stdout, stderr };
}

describe('alexnet-onnx bench: interrupted', () => {
  // enough steps that forward-backward is still running when the signal, sent at its first step, lands
  const LONG = ['--batch', '1', '--image-size', '67', '--steps', '200', '--burn-in', '0', '--log-every', '100'];

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('on %s after forward, prints and saves the forward results, removes its temporary files and exits with %i', async (signal, status) => {
    const tmp = tempDir();
    const json = join(tempDir(), 'r.json');
    const r = await interruptAfterForward(tmp, [...LONG, '--json', json], signal as NodeJS.Signals);
    expect(r.status).toBe(status);
    expect(r.stdout).toMatch(/^forward +\d/m);
    expect(r.stdout).not.toMatch(/^forward-backward +\d/m);
    expect(r.stdout).toContain(`wrote ${json}\n`);
    expect(r.stderr).toBe(`alexnet-onnx: interrupted by ${signal} after forward (forward-backward did not finish)\n`);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { mode: string }[];
    expect(report.map((m) => m.mode)).toEqual(['forward']);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.skipIf(!existsSync(DEFAULT_BROWSER))(
    "in the browser, also leaves nothing of Chromium's in the temporary folder (needs Chromium)",
    async () => {
      const tmp = tempDir();
      const r = await interruptAfterForward(tmp, [...LONG, '--runtime', 'browser', '--steps', '50'], 'SIGINT');
      expect(r.status).toBe(130);
      expect(r.stderr).toBe('alexnet-onnx: interrupted by SIGINT after forward (forward-backward did not finish)\n');
      expect(readdirSync(tmp)).toEqual([]);
    },
  );
});

describe('alexnet-onnx bench: a mode fails', () => {
  it('prints and saves the modes that finished before it, then the error, exit 1', async () => {
    const json = join(tempDir(), 'r.json');
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
    const error = vi.spyOn(console, 'error').mockImplementation((s: unknown) => void err.push(String(s)));
    try {
      expect(await main(['bench', ...SMALL, '--json', json])).toBe(1);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(out.join('\n')).toMatch(/^forward +\d/m);
    expect(out.at(-1)).toBe(`wrote ${json}`);
    expect(err).toEqual(['alexnet-onnx: forward-backward: out of memory']);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { mode: string }[];
    expect(report.map((m) => m.mode)).toEqual(['forward']);
  });
});
