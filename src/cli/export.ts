import type { ArgumentsCamelCase, Argv } from 'yargs';
import { outputProblem } from '../common/files.js';
import type { AlexNetOptions } from '../model/alexnet.js';
import { exportModelAsync, formatExportReport } from '../model/export.js';
import {
  HYPERPARAMETERS,
  type Hyperparameter,
  hyperparametersOf,
  OPTIMIZER_KINDS,
  OPTIMIZERS,
  type OptimizerKind,
  optimizerSettings,
} from '../model/optimizer.js';
import { defaultTrainStep, type TrainStepOptions, validateTrainStep } from '../model/train-step.js';
import { UsageError } from './errors.js';
import {
  givenTrainingOptions,
  modelOptionsFrom,
  type RawModelArgs,
  type RawTrainingArgs,
  SEEDS_EPILOGUE,
  trainingOptionsFrom,
  unusedNetworkOption,
  withModelOptions,
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

/** The training step's options: the optimizer and its hyperparameters, from the optimizer table; none has a yargs default. */
function withTrainStepOptions<T>(y: Argv<T>) {
  const defaults = (k: Hyperparameter) =>
    OPTIMIZER_KINDS.filter((kind) => hyperparametersOf(kind).includes(k))
      .map((kind) => `${kind} ${(OPTIMIZERS[kind].defaults as unknown as Record<string, unknown>)[k]}`)
      .join(', ');
  let out = y
    .option('train-step', {
      describe:
        'write one training step: forward, loss, backward and the optimizer update of every parameter (--wrt conv: the conv ones); ' +
        'loss softmax-cross-entropy with --head fc, l2 without, unless --loss says',
      type: 'boolean',
      default: false,
    })
    .option('optimizer', {
      describe: `with --train-step: ${OPTIMIZER_KINDS.map((k) => `${k}: ${OPTIMIZERS[k].describe}`).join('; ')} (default ${OPTIMIZER_KINDS[0]})`,
      choices: OPTIMIZER_KINDS,
    });
  for (const [key, spec] of Object.entries(HYPERPARAMETERS) as [Hyperparameter, (typeof HYPERPARAMETERS)[Hyperparameter]][])
    out = out.option(spec.option, { describe: `${spec.describe} (default ${defaults(key)})`, type: spec.type });
  return out.group(['train-step', 'optimizer', ...Object.values(HYPERPARAMETERS).map((h) => h.option)], 'Training step:');
}

type TrainStepArgs = { trainStep: boolean; optimizer?: string } & Partial<Record<Hyperparameter, number | boolean>>;

/** The training-step options given on the command line, as `--name`s, for export to refuse without `--train-step`. */
function givenTrainStepOptions(args: TrainStepArgs): string[] {
  const keys = Object.keys(HYPERPARAMETERS) as Hyperparameter[];
  return [
    ...(args.optimizer === undefined ? [] : ['--optimizer']),
    ...keys.filter((k) => args[k] !== undefined).map((k) => `--${HYPERPARAMETERS[k].option}`),
  ];
}

/** Validated training-step options: the training graph's (with the step's defaults) and the optimizer's. */
function trainStepFrom(options: AlexNetOptions, args: RawTrainingArgs & TrainStepArgs): TrainStepOptions {
  const defaults = defaultTrainStep(options);
  const training = trainingOptionsFrom(options, { ...args, loss: args.loss ?? defaults.loss, wrt: args.wrt ?? defaults.wrt });
  const given = Object.fromEntries((Object.keys(HYPERPARAMETERS) as Hyperparameter[]).map((k) => [k, args[k]]));
  const { settings, problems } = optimizerSettings((args.optimizer ?? OPTIMIZER_KINDS[0]) as OptimizerKind, given);
  const t = { ...training, optimizer: settings };
  problems.push(...validateTrainStep(options, t));
  if (problems.length) throw new UsageError(problems.join('; '));
  return t;
}

type Args = ArgumentsCamelCase<RawModelArgs & RawTrainingArgs & TrainStepArgs & { output?: string; grad: boolean }>;

export async function handler(args: Args): Promise<void> {
  if (args.output === '') throw new UsageError('--output needs a file name');
  if (args.grad && args.trainStep) throw new UsageError('--grad and --train-step write different graphs: give one of them');
  const stepOnly = givenTrainStepOptions(args);
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
