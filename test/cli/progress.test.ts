import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERASE_LINE } from '../../src/cli/progress.js';
import { STEP_LINE, SUMMARY_LINE } from '../helpers/bench.js';
import { BIN, cli, tempDir } from '../helpers/cli.js';

const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '20', '--burn-in', '2', '--log-every', '10', '--threads', '1'];
const PROGRESS = /building the graph|creating the session|: first run|burn-in \d+\/\d|timed steps \d+\/\d|ETA \d/;
const ENV = { ...process.env, TERM: 'xterm' };

/** util-linux's `script`, which runs a command on a pseudo-terminal of its own and copies what it shows to stdout. */
const noScript = spawnSync('script', ['--version']).status === 0 ? undefined : "no 'script' (util-linux) to make a terminal";

/** A shell command line running the built CLI with `args` (each quoted for the shell). */
const cliLine = (args: string[]): string => [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

/** Runs a shell command line on a terminal: its exit status and everything the terminal was sent. */
function onTerminal(line: string): { status: number | null; tty: string } {
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', env: ENV, maxBuffer: 64 << 20 });
  return { status: r.status, tty: r.stdout };
}

/** What stays on the screen of each line the terminal got: the text after the last erase before its newline. */
function visibleLines(tty: string): string[] {
  return tty.split('\n').map((l) => l.replace(/\r$/, '').split(ERASE_LINE).at(-1)!);
}

describe.skipIf(noScript)('bench progress line on a terminal', () => {
  it('shows phases, steps and an ETA on stderr, erased before every other line and at the end; stdout keeps the seeds lines', () => {
    const dir = tempDir();
    const out = join(dir, 'out.txt');
    const { status, tty } = onTerminal(`${cliLine(['bench', ...SMALL])} > '${out}'`);
    expect(status, tty).toBe(0);
    for (const phase of ['building the graph', 'creating the session', 'first run', 'burn-in 0/2', 'timed steps 0/20'])
      for (const mode of ['forward (1/2)', 'forward-backward (2/2)']) expect(tty).toContain(`${ERASE_LINE}${mode}: ${phase}`);
    expect(tty).toMatch(/timed steps \d+\/20, \d+(\.\d+)? ms\/step, ETA \d+ s/);
    // no line printed after a progress line was drawn keeps any of it, and the last one is erased too
    for (const line of visibleLines(tty)) expect(line).not.toMatch(PROGRESS);
    // stdout (a file here) has exactly what it has without a terminal: the seeds' lines, no control characters
    const text = readFileSync(out, 'utf8');
    expect(text.includes('\r') || text.includes('\x1b')).toBe(false);
    expect(text).not.toMatch(PROGRESS);
    const seeds = (s: string) => s.split('\n').filter((l) => STEP_LINE.test(l) || SUMMARY_LINE.test(l)).length;
    expect(seeds(text)).toBe(6);
    const piped = cli(['bench', ...SMALL]);
    expect(seeds(piped.stdout)).toBe(6);
    expect(text.split('\n')[0]).toBe(piped.stdout.split('\n')[0]);
  });

  it('draws nothing where stderr is no terminal, or with --no-progress', () => {
    const piped = cli(['bench', ...SMALL, '--mode', 'forward']);
    expect(piped.status, piped.stderr).toBe(0);
    for (const s of [piped.stdout, piped.stderr]) {
      expect(s).not.toContain('\x1b');
      expect(s).not.toMatch(PROGRESS);
    }
    const dir = tempDir();
    const err = join(dir, 'err.txt');
    const redirected = onTerminal(`${cliLine(['bench', ...SMALL, '--mode', 'forward'])} 2> '${err}'`);
    expect(redirected.status, redirected.tty).toBe(0);
    expect(redirected.tty + readFileSync(err, 'utf8')).not.toContain(ERASE_LINE);
    const off = onTerminal(cliLine(['bench', ...SMALL, '--mode', 'forward', '--no-progress']));
    expect(off.status, off.tty).toBe(0);
    expect(off.tty).not.toContain(ERASE_LINE);
    expect(off.tty).toMatch(/Forward across 20 steps/);
  });

  it('is erased before the error line of a failed run', () => {
    // no CUDA EP here: it fails while the session is made
    const { status, tty } = onTerminal(cliLine(['bench', ...SMALL, '--ep', 'cuda']));
    expect(status).toBe(1);
    const lines = visibleLines(tty).filter(Boolean);
    expect(lines.at(-1)).toMatch(/^alexnet-onnx: .*CUDA/);
    for (const line of lines) expect(line).not.toMatch(PROGRESS);
  });

  it('is erased on Ctrl-C before the interrupted run says where it stopped', async () => {
    const p = spawn('script', ['-qec', cliLine(['bench', ...SMALL, '--steps', '100000']), '/dev/null'], {
      env: ENV,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let tty = '';
    const status = await new Promise<number | null>((resolve) => {
      p.stdout.on('data', (d: Buffer) => {
        const before = tty;
        tty += d.toString();
        // Ctrl-C typed on the terminal: its line discipline sends SIGINT to the bench
        if (!before.includes('timed steps') && tty.includes('timed steps')) p.stdin.write('\x03');
      });
      p.on('close', resolve);
    });
    expect(status, tty).toBe(130);
    const lines = visibleLines(tty).filter((l) => l && l !== '^C');
    expect(lines.at(-1)).toMatch(/^alexnet-onnx: interrupted by SIGINT before any mode finished/);
    for (const line of lines) expect(line).not.toMatch(PROGRESS);
  });
});
