import type { Argv } from 'yargs';
import { type AlexNetOptions, DEFAULT_OPTIONS, LRN_PRESETS, validateOptions } from '../model/alexnet.js';
import { describeAuto, FORMULATIONS, type FormulationKey } from '../model/formulation.js';
import { DEFAULT_TRAINING, LOSSES, type TrainingOptions, validateTraining } from '../model/training.js';
import { UsageError } from './errors.js';

const LRN_CHOICES = [...Object.keys(LRN_PRESETS), 'none'];

/**
 * A formulation's option, from the formulation table. Where the command has `auto` (`bench` picks per EP), it comes
 * first and is the default, with what it picks on each EP in the help.
 */
function formulationOption(key: FormulationKey, withAuto: boolean) {
  const f = FORMULATIONS[key];
  return withAuto
    ? { describe: `${f.describe}; auto: ${describeAuto(key)}`, choices: ['auto', ...f.choices], default: 'auto' }
    : { describe: f.describe, choices: [...f.choices], default: f.exportDefault as string };
}

/**
 * The network options shared by `export` and `bench`, each mapped to a seed in `--help`. With `sizesFromModel`
 * (`bench`), `--batch` and `--image-size` have no yargs default, so that `modelOptionsFrom` applies it and a `--model`
 * file's own sizes can be told apart from sizes given on the command line.
 */
export function withModelOptions<T>(y: Argv<T>, withAuto = false, sizesFromModel = false) {
  const orModel = sizesFromModel ? ", or a --model file's" : '';
  return y
    .option('batch', {
      describe: sizesFromModel
        ? `batch size (default ${DEFAULT_OPTIONS.batch}${orModel}; seeds: 32)`
        : "batch size, or 'dynamic' for a symbolic batch N (seeds: 32)",
      type: 'string',
      ...(sizesFromModel ? {} : { default: String(DEFAULT_OPTIONS.batch) }),
    })
    .option('image-size', {
      describe: `input height and width${sizesFromModel ? ` (default ${DEFAULT_OPTIONS.imageSize}${orModel})` : ''}`,
      type: 'number',
      ...(sizesFromModel ? {} : { default: DEFAULT_OPTIONS.imageSize }),
    })
    .option('lrn', {
      describe: `LRN after conv1/conv2: tf-benchmark (seeds 000-003), paper (seed 004); --no-lrn leaves it out (seed 003)`,
      type: 'string',
      default: DEFAULT_OPTIONS.lrn as string,
    })
    .option(FORMULATIONS.lrnImpl.option, formulationOption('lrnImpl', withAuto))
    .option('head', {
      describe: 'none: output pool5 (seeds 001/003); fc: fc6-fc8 (seeds 000/002)',
      choices: ['none', 'fc'],
      default: DEFAULT_OPTIONS.head,
    })
    .option('classes', { describe: 'fc8 width', type: 'number', default: DEFAULT_OPTIONS.classes })
    .option('dropout', {
      describe: 'dropout rate on fc6/fc7 (seed 002: keep_prob 0.5 = rate 0.5); 0 = off',
      type: 'number',
      default: DEFAULT_OPTIONS.dropout,
    })
    .option(FORMULATIONS.dropoutImpl.option, formulationOption('dropoutImpl', withAuto))
    .option('seed', { describe: 'seed for the weights', type: 'number', default: DEFAULT_OPTIONS.seed });
}

/** Raw option values as yargs parses them; `batch` and `imageSize` are absent where they have no yargs default. */
export interface RawModelArgs {
  batch?: string;
  imageSize?: number;
  lrn: string | boolean;
  lrnImpl: string;
  head: string;
  classes: number;
  dropout: number;
  dropoutImpl: string;
  seed: number;
}

/**
 * Turns parsed arguments into validated model options; a bad value is a UsageError naming the option. For a model
 * file (`forModelFile`) only the sizes are checked, as sizes: AlexNet's own limits do not apply to a file's graph.
 */
export function modelOptionsFrom(args: RawModelArgs, forModelFile = false): AlexNetOptions {
  const lrn = args.lrn === false ? 'none' : String(args.lrn);
  if (!LRN_CHOICES.includes(lrn)) throw new UsageError(`--lrn must be one of ${LRN_CHOICES.join(', ')}, got '${lrn}'`);
  const batchArg = args.batch ?? String(DEFAULT_OPTIONS.batch);
  let batch: number | 'dynamic';
  if (batchArg === 'dynamic') batch = 'dynamic';
  else if (/^\d+$/.test(batchArg)) batch = Number(batchArg);
  else throw new UsageError(`--batch must be a positive integer or 'dynamic', got '${batchArg}'`);
  const options: AlexNetOptions = {
    batch,
    imageSize: args.imageSize ?? DEFAULT_OPTIONS.imageSize,
    lrn: lrn as AlexNetOptions['lrn'],
    lrnImpl: args.lrnImpl as AlexNetOptions['lrnImpl'],
    head: args.head as AlexNetOptions['head'],
    classes: args.classes,
    dropout: args.dropout,
    dropoutImpl: args.dropoutImpl as AlexNetOptions['dropoutImpl'],
    seed: args.seed,
  };
  const problems = forModelFile ? sizeProblems(options) : validateOptions(options);
  if (problems.length) throw new UsageError(problems.join('; '));
  return options;
}

function sizeProblems(o: AlexNetOptions): string[] {
  const positive = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 1;
  const problems: string[] = [];
  if (o.batch !== 'dynamic' && !positive(o.batch)) problems.push(`--batch must be a positive integer, got ${o.batch}`);
  if (!positive(o.imageSize)) problems.push(`--image-size must be a positive integer, got ${o.imageSize}`);
  return problems;
}

/** Options for the gradient (training) graph, shared by `export --grad` and `bench`. */
export function withTrainingOptions<T>(y: Argv<T>, withAuto = false) {
  return y
    .option('loss', {
      describe: 'l2: 0.5*sum(output^2) as in the seeds; softmax-cross-entropy: mean CE over int64 labels (seed 004)',
      choices: LOSSES,
      default: DEFAULT_TRAINING.loss,
    })
    .option('wrt', {
      describe: "gradients for: conv (the seeds' parameters list) or all (adds the FC layers)",
      choices: ['conv', 'all'],
      default: DEFAULT_TRAINING.wrt,
    })
    .option(FORMULATIONS.maxpoolGrad.option, formulationOption('maxpoolGrad', withAuto))
    .option(FORMULATIONS.convWeightGrad.option, formulationOption('convWeightGrad', withAuto))
    .option(FORMULATIONS.convDataGrad.option, formulationOption('convDataGrad', withAuto));
}

/** Raw training option values as yargs parses them. */
export interface RawTrainingArgs {
  loss: string;
  wrt: string;
  maxpoolGrad: string;
  convWeightGrad: string;
  convDataGrad: string;
}

/** Validated training options; a bad combination is a UsageError naming the option. */
export function trainingOptionsFrom(model: AlexNetOptions, args: RawTrainingArgs): TrainingOptions {
  const t: TrainingOptions = {
    loss: args.loss as TrainingOptions['loss'],
    wrt: args.wrt as TrainingOptions['wrt'],
    maxpoolGrad: args.maxpoolGrad as TrainingOptions['maxpoolGrad'],
    convWeightGrad: args.convWeightGrad as TrainingOptions['convWeightGrad'],
    convDataGrad: args.convDataGrad as TrainingOptions['convDataGrad'],
  };
  const problems = validateTraining(model, t);
  if (problems.length) throw new UsageError(problems.join('; '));
  return t;
}
