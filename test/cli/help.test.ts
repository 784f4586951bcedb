import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest } from '../../src/cli/main.js';
import { cli, tempDir } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const helps = new Map<string, string>();

/** A command's `--help`, run once per test file. */
function help(command: string): string {
  if (!helps.has(command)) helps.set(command, cli([command, '--help']).stdout);
  return helps.get(command)!;
}

/** The examples of a command's help: each line under "Examples:" split into the command's arguments. */
function examples(command: string): string[][] {
  const lines = help(command)
    .split(/^Examples:$/m)[1]!
    .split(/\n\n/)[0]!
    .split('\n')
    .filter(Boolean);
  // a line of its own for each, or the split below would lose the wrapped part
  for (const l of lines) expect(l).toMatch(/^ {2}alexnet-onnx /);
  return lines.map((l) => l.trim().split(/ {2,}/)[0]!.split(' ').slice(1));
}

/** `args` with these option values, replacing the ones given (a repeated option would do too: its last value counts). */
function withValues(args: string[], values: [string, string][]): string[] {
  const out = [...args];
  for (const [option, value] of values) {
    const at = out.indexOf(option);
    if (at >= 0) out[at + 1] = value;
    else out.push(option, value);
  }
  return out;
}

describe('alexnet-onnx help and version', () => {
  it.each([['-h'], ['--help']])('%s lists the commands and exits 0', (flag) => {
    const r = cli([flag]);
    expect(r.status, r.stderr).toBe(0);
    for (const c of ['export', 'bench', 'train', 'compare', 'serve', 'setup', 'completion'])
      expect(r.stdout).toContain(`alexnet-onnx ${c}`);
  });

  it.each([['-V'], ['--version']])('%s prints the version and exits 0', (flag) => {
    const r = cli([flag]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('names the commands and --help when run without arguments, as a usage mistake', () => {
    const r = cli([]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^alexnet-onnx: name a command: export, bench, train, compare, serve, setup \(alexnet-onnx --help .*\)$/m);
  });

  it.each([
    [['benc'], /^alexnet-onnx: unknown command 'benc': did you mean bench\?$/],
    [['bench', '--step', '3'], /^alexnet-onnx: Unknown argument: step: did you mean --steps\?$/],
    [
      ['bench', '--burnin', '1', '--log-evry', '2'],
      /Unknown arguments: burnin, log-evry: did you mean --burn-in\?; did you mean --log-every\?$/,
    ],
    [['export', '--lrnn', 'paper'], /Unknown argument: lrnn: did you mean --lrn\?$/],
    [['serve', '--prot', '80'], /Unknown argument: prot: did you mean --port\?$/],
  ])('suggests the nearest command or option for %j in one line, exit 2', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });

  it("suggests only the command's own options, and nothing for a word unlike any", () => {
    expect(cli(['export', '--burn-in', '3']).stderr.trim()).toBe('alexnet-onnx: Unknown argument: burn-in');
    expect(cli(['bench', '--zzzzzzzz', '1']).stderr.trim()).toBe('alexnet-onnx: Unknown argument: zzzzzzzz');
    expect(closest('step', ['steps', 'seed'])).toBe('steps');
    expect(closest('xyz', ['steps', 'seed'])).toBeUndefined();
  });
});

describe('command help', () => {
  it('groups bench options into sections, with examples and what the seeds are', () => {
    const r = cli(['bench', '--help']);
    expect(r.status).toBe(0);
    const sections = r.stdout.split('\n').filter((l) => /^[A-Z][\w ]*:$/.test(l));
    expect(sections).toEqual(['Model:', 'Graph formulation:', 'Run:', 'Output:', 'Profile:', 'Options:', 'Examples:']);
    const run = r.stdout.split('Run:\n')[1]!.split('\n\n')[0]!;
    for (const o of ['--runtime', '--ep', '--steps', '--burn-in', '--fetch', '--threads']) expect(run).toContain(o);
    expect(r.stdout.split('Profile:\n')[1]!.split('\n\n')[0]).toContain('--profile-method');
    expect(r.stdout).toMatch(/^Seeds: the five TensorFlow AlexNet benchmark documents this project reproduces, numbered 000-004/m);
    expect(r.stdout).not.toContain('dynamic');
  });

  it('offers --batch dynamic in export, and explains the seeds there too', () => {
    const r = cli(['export', '--help']);
    expect(r.stdout).toMatch(/--batch\s+batch size, or 'dynamic'/);
    expect(r.stdout).toMatch(/^Seeds: the five TensorFlow AlexNet benchmark documents/m);
    expect(r.stdout).toMatch(/^Output:\n\s+-o, --output/m);
  });

  it.each([['export'], ['bench'], ['train'], ['compare'], ['serve'], ['setup']])(
    '%s has 2-4 examples, each naming only its own options',
    (command) => {
      const list = examples(command);
      expect(list.length).toBeGreaterThanOrEqual(2);
      expect(list.length).toBeLessThanOrEqual(4);
      for (const args of list) {
        expect(args[0]).toBe(command);
        for (const a of args.filter((x) => x.startsWith('-')))
          expect(help(command), `${args.join(' ')}: ${a}`).toMatch(new RegExp(`\\s${a}\\s`));
      }
    },
  );

  it('runs the export and bench examples as written (at a small image size and a step)', () => {
    const dir = tempDir();
    for (const args of examples('export')) {
      const r = cli(withValues(args, [['--image-size', '67']]), dir);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const small = { '--batch': '1', '--image-size': '67', '--steps': '1', '--burn-in': '0', '--threads': '1' };
    for (const args of examples('bench')) {
      // the --model example reads the training graph the export examples wrote: its sizes are the file's
      const cut = Object.entries(small).filter(([o]) => !(args.includes('--model') && /batch|size/.test(o)));
      const r = cli(withValues(args, cut), dir);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/across 1 steps/);
    }
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).toContain('forward');
  });

  it('prints a bash/zsh completion script that completes commands and options', () => {
    const script = cli(['completion']);
    expect(script.status).toBe(0);
    expect(script.stdout).toContain('###-begin-alexnet-onnx-completions-###');
    expect(cli(['--get-yargs-completions', 'alexnet-onnx', 'be']).stdout.split('\n')).toContain('bench');
    expect(cli(['--get-yargs-completions', 'alexnet-onnx', 'bench', '--st']).stdout.split('\n')).toContain('--steps');
  });
});
