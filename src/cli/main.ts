import yargs, { type Argv } from 'yargs';
import { PACKAGE } from '../common/version.js';
import * as benchCommand from './bench.js';
import * as compareCommand from './compare.js';
import { exitCodeFor, oneLine, UsageError } from './errors.js';
import * as exportCommand from './export.js';
import { lastValueWins, optionsOf } from './repeated.js';
import * as serveCommand from './serve.js';
import * as setupCommand from './setup.js';
import * as trainCommand from './train.js';

const COMMANDS = {
  export: exportCommand,
  bench: benchCommand,
  train: trainCommand,
  compare: compareCommand,
  serve: serveCommand,
  setup: setupCommand,
};

/** Runs the CLI on `argv` (without node and script); resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await yargs(argv)
      .scriptName('alexnet-onnx')
      .version(PACKAGE.version)
      .alias('V', 'version')
      .help()
      .alias('h', 'help')
      .command(repeatable(exportCommand))
      .command(repeatable(benchCommand))
      .command(repeatable(trainCommand))
      .command(repeatable(compareCommand))
      .command(repeatable(serveCommand))
      .command(repeatable(setupCommand))
      .completion('completion', 'Print a bash/zsh completion script: alexnet-onnx completion >> ~/.bashrc (or ~/.zshrc)')
      .option('verbose', { describe: 'show stack traces on errors', type: 'boolean', default: false })
      .demandCommand(1, `name a command: ${Object.keys(COMMANDS).join(', ')} (alexnet-onnx --help says what each does)`)
      .recommendCommands()
      .strict()
      // help and version print and return, so that main() resolves to an exit code instead of ending the process
      .exitProcess(false)
      .fail((msg, err) => {
        // yargs' own errors (a coerce refusing a value) are usage mistakes; a handler's errors pass as they are
        if (err && err.name !== 'YError') throw err;
        throw new UsageError(withSuggestion(msg || (err?.message ?? ''), argv));
      })
      .wrap(Math.min(120, process.stdout.columns || 120))
      .parseAsync();
    return 0;
  } catch (err) {
    if (verbose && err instanceof Error) console.error(err.stack);
    else console.error(`alexnet-onnx: ${oneLine(err)}`);
    return exitCodeFor(err);
  }
}

/**
 * Makes yargs' typo messages say what was typed and what was meant, as git and npm do: "Did you mean bench?"
 * (`recommendCommands`) names the command typed, and strict mode's "Unknown argument: step" gains the nearest option
 * of the command being run.
 */
export function withSuggestion(msg: string, argv: string[]): string {
  const typed = argv.find((a) => !a.startsWith('-'));
  if (/^Did you mean \S+\?$/.test(msg) && typed) return `unknown command '${typed}': ${msg.replace('Did', 'did')}`;
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  // yargs also lists the camelCase twin of a dashed name (log-evry, logEvry): the user typed one
  const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const unknown = [...new Set(m[1]!.split(', ').map(kebab))];
  const known = knownOptions(argv.find((a) => Object.hasOwn(COMMANDS, a)) as keyof typeof COMMANDS | undefined);
  const hints = unknown.flatMap((name) => {
    const best = closest(name.replace(/^-+/, ''), known);
    return best ? [`did you mean --${best}?`] : [];
  });
  const list = `Unknown argument${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`;
  return hints.length ? `${list}: ${hints.join('; ')}` : list;
}

/** A command module whose options take their last value when repeated, as in most command-line tools (`lastValueWins`). */
function repeatable<M extends { builder: (y: Argv) => Argv<unknown> }>(module: M): M {
  return { ...module, builder: (y: Argv) => lastValueWins(module.builder(y)) };
}

/** The long option names of a command (with the global ones), from its own builder. */
function knownOptions(command: keyof typeof COMMANDS | undefined): string[] {
  const y = yargs([]).option('verbose', {});
  const o = optionsOf(command ? COMMANDS[command].builder(y) : y);
  return [...Object.keys(o.key), ...Object.values(o.alias).flat()].filter((k) => k.length > 1 && !/[A-Z]/.test(k));
}

/** The candidate nearest to `word` by edit distance, if it is near enough to be a typo of it. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  // one edit in a short name already makes most names near; longer ones may carry a typo and a missing dash
  let bestDistance = (word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3))) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}
