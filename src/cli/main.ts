import yargs from 'yargs';
import { PACKAGE } from '../common/version.js';
import * as benchCommand from './bench.js';
import { exitCodeFor, oneLine, UsageError } from './errors.js';
import * as exportCommand from './export.js';
import * as serveCommand from './serve.js';
import * as setupCommand from './setup.js';

/** Runs the CLI on `argv` (without node and script); resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await yargs(argv)
      .scriptName('alexnet-onnx')
      .version(PACKAGE.version)
      .command(exportCommand)
      .command(benchCommand)
      .command(serveCommand)
      .command(setupCommand)
      .option('verbose', { describe: 'show stack traces on errors', type: 'boolean', default: false })
      .demandCommand(1, 'name a command: export, bench, serve, setup')
      .strict()
      // a repeated option means its last value, as in most command-line tools
      .parserConfiguration({ 'duplicate-arguments-array': false })
      .fail((msg, err) => {
        throw err ?? new UsageError(msg);
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
