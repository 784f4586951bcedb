import type { ArgumentsCamelCase, Argv } from 'yargs';
import { outputProblem } from '../common/files.js';
import { exportModelAsync, formatExportReport } from '../model/export.js';
import { UsageError } from './errors.js';
import {
  givenTrainingOptions,
  modelOptionsFrom,
  type RawModelArgs,
  type RawTrainingArgs,
  SEEDS_EPILOGUE,
  trainingOptionsFrom,
  withModelOptions,
  withTrainingOptions,
} from './model-options.js';

/** Where `export` writes without `-o`: the training graph has a name of its own, so it never replaces the forward model. */
export const DEFAULT_OUTPUT = { forward: 'graphs/alexnet.onnx', training: 'graphs/alexnet-training.onnx' };

export const command = 'export';
export const describe = 'Write the AlexNet benchmark network as an ONNX model and print its activation shapes';

export function builder(y: Argv) {
  return withTrainingOptions(withModelOptions(y))
    .option('grad', { describe: 'write the training graph: forward, loss, gradients and grad_sq_sum', type: 'boolean', default: false })
    .option('output', {
      alias: 'o',
      describe: `where to write the .onnx file (default ${DEFAULT_OUTPUT.forward}, with --grad ${DEFAULT_OUTPUT.training})`,
      type: 'string',
    })
    .group(['grad'], 'Model:')
    .group(['output'], 'Output:')
    .example('$0 export', `the seeds' network at batch 32, to ${DEFAULT_OUTPUT.forward}`)
    .example('$0 export --grad --head fc --wrt all', 'the training graph with fc6-fc8, every gradient')
    .example('$0 export --batch dynamic --lrn paper -o a.onnx', "a symbolic batch N and the paper's LRN (seed 004)")
    .epilogue(SEEDS_EPILOGUE);
}

type Args = ArgumentsCamelCase<RawModelArgs & RawTrainingArgs & { output?: string; grad: boolean }>;

export async function handler(args: Args): Promise<void> {
  if (args.output === '') throw new UsageError('--output needs a file name');
  const gradOnly = givenTrainingOptions(args);
  if (!args.grad && gradOnly.length)
    throw new UsageError(`${gradOnly.join(', ')} ${gradOnly.length > 1 ? 'shape' : 'shapes'} the training graph: add --grad`);
  const options = modelOptionsFrom(args);
  const training = args.grad ? trainingOptionsFrom(options, args) : undefined;
  const output = args.output ?? (args.grad ? DEFAULT_OUTPUT.training : DEFAULT_OUTPUT.forward);
  // before the build, which can take a minute for a large model
  const problem = outputProblem(output);
  if (problem) throw new UsageError(`--output ${output}: ${problem}`);
  const result = await exportModelAsync(options, output, training);
  console.log(formatExportReport(result));
}
