import type { ArgumentsCamelCase, Argv } from 'yargs';
import { outputProblem } from '../common/files.js';
import type { AlexNetOptions } from '../model/alexnet.js';
import { exportModelAsync, formatExportReport } from '../model/export.js';
import { OPTIMIZER_KINDS } from '../model/optimizer.js';
import { defaultTrainStep, type TrainStepOptions, validateTrainStep } from '../model/train-step.js';
import { UsageError } from './errors.js';
import {
  givenOptimizerOptions,
  givenTrainingOptions,
  modelOptionsFrom,
  OPTIMIZER_OPTIONS,
  optimizerFrom,
  type RawModelArgs,
  type RawOptimizerArgs,
  type RawTrainingArgs,
  SEEDS_EPILOGUE,
  trainingOptionsFrom,
  unusedNetworkOption,
  withModelOptions,
  withOptimizerOptions,
  withTrainingOptions,
} from './model-options.js';

/** Where `export` writes without `-o`: each graph has a name of its own, so none replaces another. */
export const DEFAULT_OUTPUT = {
  forward: 'graphs/alexnet.onnx',
  training: 'graphs/alexnet-training.onnx',
  trainStep: 'graphs/alexnet-train-step.onnx',
};

export const command = 'export';
export const describe = 'Write the AlexNet benchmark network as an ONNX model and print its activation shapes';

export function builder(y: Argv) {
  return withTrainStepOptions(withTrainingOptions(withModelOptions(y)))
    .option('grad', { describe: 'write the training graph: forward, loss, gradients and grad_sq_sum', type: 'boolean', default: false })
    .option('output', {
      alias: 'o',
      describe: `where to write the .onnx file (default ${DEFAULT_OUTPUT.forward}, with --grad ${DEFAULT_OUTPUT.training}, with --train-step ${DEFAULT_OUTPUT.trainStep})`,
      type: 'string',
    })
    .group(['grad'], 'Model:')
    .group(['output'], 'Output:')
    .example('$0 export', `the seeds' network at batch 32, to ${DEFAULT_OUTPUT.forward}`)
    .example('$0 export --grad --head fc --wrt all', 'the training graph with fc6-fc8, every gradient')
    .example('$0 export --batch dynamic --lrn paper -o a.onnx', "a symbolic batch N and the paper's LRN (seed 004)")
    .example('$0 export --train-step --head fc', 'one SGD step of every parameter, softmax cross-entropy')
    .epilogue(SEEDS_EPILOGUE);
}

/** The training step's options: `--train-step`, and the optimizer's (`withOptimizerOptions`). */
function withTrainStepOptions<T>(y: Argv<T>) {
  return withOptimizerOptions(y, OPTIMIZER_KINDS[0]!, 'with --train-step: ')
    .option('train-step', {
      describe:
        'write one training step: forward, loss, backward and the optimizer update of every parameter (--wrt conv: the conv ones); ' +
        'loss softmax-cross-entropy with --head fc, l2 without, unless --loss says',
      type: 'boolean',
      default: false,
    })
    .group(['train-step', ...OPTIMIZER_OPTIONS], 'Training step:');
}

type TrainStepArgs = { trainStep: boolean } & RawOptimizerArgs;

/** Validated training-step options: the training graph's (with the step's defaults) and the optimizer's. */
function trainStepFrom(options: AlexNetOptions, args: RawTrainingArgs & TrainStepArgs): TrainStepOptions {
  const defaults = defaultTrainStep(options);
  const training = trainingOptionsFrom(options, { ...args, loss: args.loss ?? defaults.loss, wrt: args.wrt ?? defaults.wrt });
  const { settings, problems } = optimizerFrom(args, OPTIMIZER_KINDS[0]!);
  const t = { ...training, optimizer: settings };
  problems.push(...validateTrainStep(options, t));
  if (problems.length) throw new UsageError(problems.join('; '));
  return t;
}

type Args = ArgumentsCamelCase<RawModelArgs & RawTrainingArgs & TrainStepArgs & { output?: string; grad: boolean }>;

export async function handler(args: Args): Promise<void> {
  if (args.output === '') throw new UsageError('--output needs a file name');
  if (args.grad && args.trainStep) throw new UsageError('--grad and --train-step write different graphs: give one of them');
  const stepOnly = givenOptimizerOptions(args);
  if (!args.trainStep && stepOnly.length)
    throw new UsageError(`${stepOnly.join(', ')} ${stepOnly.length > 1 ? 'shape' : 'shapes'} the training step: add --train-step`);
  const gradOnly = givenTrainingOptions(args);
  if (!args.grad && !args.trainStep && gradOnly.length)
    throw new UsageError(`${gradOnly.join(', ')} ${gradOnly.length > 1 ? 'shape' : 'shapes'} the training graph: add --grad`);
  const unused = unusedNetworkOption(args);
  if (unused) throw new UsageError(unused);
  const options = modelOptionsFrom(args);
  const training = args.trainStep ? trainStepFrom(options, args) : args.grad ? trainingOptionsFrom(options, args) : undefined;
  const output = args.output ?? (args.trainStep ? DEFAULT_OUTPUT.trainStep : args.grad ? DEFAULT_OUTPUT.training : DEFAULT_OUTPUT.forward);
  // before the build, which can take a minute for a large model
  const problem = outputProblem(output);
  if (problem) throw new UsageError(`--output ${output}: ${problem}`);
  const result = await exportModelAsync(options, output, training);
  console.log(formatExportReport(result));
}
