import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import yargs, { type Argv } from 'yargs';
import * as bench from '../../src/cli/bench.js';
import * as compare from '../../src/cli/compare.js';
import * as exportCommand from '../../src/cli/export.js';
import { lastValueWins, optionsOf } from '../../src/cli/repeated.js';
import * as serve from '../../src/cli/serve.js';
import * as setup from '../../src/cli/setup.js';
import { cli, tempDir } from '../helpers/cli.js';

const COMMANDS: [string, (y: Argv) => Argv<unknown>][] = [
  ['export', exportCommand.builder],
  ['bench', bench.builder],
  ['compare', compare.builder],
  ['serve', serve.builder],
  ['setup', setup.builder],
];

/** A command's options as the CLI parses them, without running it. */
function parser(builder: (y: Argv) => Argv<unknown>): Argv<unknown> {
  return lastValueWins(builder(yargs([]).option('verbose', { type: 'boolean' })));
}

describe('a repeated option means its last value', () => {
  it.each(COMMANDS)('%s: every number, string and boolean option', (_name, builder) => {
    const o = optionsOf(parser(builder));
    const choices = (o as unknown as { choices: Record<string, string[]> }).choices;
    const skip = new Set(['help', 'version', ...o.array]);
    const keys = Object.keys(o.key).filter((k) => !skip.has(k));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const [first, last]: [string[], unknown] = o.boolean.includes(key)
        ? [[`--${key}`, `--no-${key}`], false]
        : o.number.includes(key)
          ? // the case yargs-parser got wrong: a last value of 1 was added to the one before (10 + 1)
            [[`--${key}`, '10', `--${key}`, '1'], 1]
          : choices[key]
            ? [[`--${key}`, choices[key]!.at(-1)!, `--${key}`, choices[key]![0]!], choices[key]![0]]
            : [[`--${key}`, 'first', `--${key}`, 'second'], 'second'];
      const argv = parser(builder).parseSync(first) as Record<string, unknown>;
      expect(argv[key], `--${key}`).toEqual(last);
    }
  });

  it('the other way round too, and for a boolean given back', () => {
    const argv = parser(bench.builder).parseSync([
      '--steps',
      '1',
      '--steps',
      '10',
      '--no-tf32',
      '--tf32',
      '--threads',
      '1',
      '--threads',
      '1',
    ]);
    expect([argv.steps, argv.tf32, argv.threads]).toEqual([10, true, 1]);
  });

  it('keeps number options numbers: defaults, text that is no number (for the command to refuse), a missing value', () => {
    const argv = parser(bench.builder).parseSync(['--threads', 'abc']);
    expect(argv.steps).toBe(100);
    expect(argv.threads).toBeNaN();
    expect(cli(['bench', '--classes']).stderr).toBe('alexnet-onnx: --classes needs a number\n');
    expect(cli(['bench', '--classes']).status).toBe(2);
  });

  it('in a real run: steps, the JSON file, the format and a boolean', () => {
    const dir = tempDir();
    const [a, b] = [join(dir, 'a.json'), join(dir, 'b.json')];
    const r = cli([
      ...['bench', '--batch', '1', '--image-size', '67', '--burn-in', '0', '--mode', 'forward'],
      ...['--steps', '10', '--steps', '1', '--json', a, '--json', b, '--format', 'auto', '--format', 'seeds', '--tf32', '--no-tf32'],
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Forward across 1 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/m);
    expect(JSON.parse(readFileSync(b, 'utf8'))[0].steps).toBe(1);
    expect(() => readFileSync(a)).toThrow(/ENOENT/);
  });
});
