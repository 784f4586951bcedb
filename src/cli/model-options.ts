import type { Argv } from 'yargs';
import { type AlexNetOptions, DEFAULT_OPTIONS, LRN_PRESETS, validateOptions } from '../model/alexnet.js';
import { describeAuto, FORMULATIONS, type FormulationKey } from '../model/formulation.js';
import {
  HYPERPARAMETERS,
  type Hyperparameter,
  hyperparametersOf,
  OPTIMIZER_KINDS,
  OPTIMIZERS,
  type OptimizerKind,
  type OptimizerSettings,
  optimizerSettings,
} from '../model/optimizer.js';
import { DEFAULT_TRAINING, LOSSES, type TrainingOptions, validateTraining } from '../model/training.js';
import { UsageError } from './errors.js';

const LRN_CHOICES = [...Object.keys(LRN_PRESETS), 'none'];

/** What "seeds 000-003" in the help of `export` and `bench` means, said once at the end of each. */
export const SEEDS_EPILOGUE =
  'Seeds: the five TensorFlow AlexNet benchmark documents this project reproduces, numbered 000-004 (000-003 time ' +
  'the network of TensorFlow\'s alexnet_benchmark.py, 004 the paper\'s). "(seeds 000-003)" after a value says which ' +
  'of them use it; README.md, "Options and the seeds they come from", has the table.';

/**
 * A formulation's option, from the formulation table. Where the command has `auto` (`bench` picks per EP), it comes
 * first and is the default, with what it picks on each EP in the help; `auto` then also stands for "not asked for".
 * Without `auto`, yargs fills in nothing (the help names the default), so that a command can tell a value given from
 * one it did not ask for, and refuse it where the graph would not use it.
 */
function formulationOption(key: FormulationKey, withAuto: boolean) {
  const f = FORMULATIONS[key];
  if (withAuto) return { describe: `${f.describe}; auto: ${describeAuto(key)}`, choices: ['auto', ...f.choices], default: 'auto' };
  return { describe: `${f.describe} (default ${f.exportDefault})`, choices: [...f.choices] };
}

/**
 * The network options shared by `export`, `bench` and `train`, each mapped to a seed in `--help`; `defaults` are the
 * command's (`train` builds a smaller network with a linear fc8). With `fromModelFile`
 * (`bench`) no option has a yargs default (the help names it, `modelOptionsFrom` applies it), so that a value given on
 * the command line can be told apart: a `--model` file's own sizes take its place, and a network option it would
 * ignore is refused. `--classes` and the formulations never have one: given where the graph has no use for them, they
 * are refused (`unusedNetworkOption`).
 */
export function withModelOptions<T>(y: Argv<T>, withAuto = false, fromModelFile = false, defaults: AlexNetOptions = DEFAULT_OPTIONS) {
  const orModel = fromModelFile ? ", or a --model file's" : '';
  const byDefault = <V>(value: V): { default?: V } => (fromModelFile ? {} : { default: value });
  const named = (value: unknown) => (fromModelFile ? ` (default ${value})` : '');
  return y
    .option('batch', {
      // bench runs a fixed batch, so only export offers 'dynamic'
      describe: fromModelFile
        ? `batch size (default ${defaults.batch}${orModel}; seeds: 32)`
        : "batch size, or 'dynamic' for a symbolic batch N (seeds: 32)",
      type: 'string',
      ...byDefault(String(defaults.batch)),
    })
    .option('image-size', {
      describe: `input height and width${fromModelFile ? ` (default ${defaults.imageSize}${orModel})` : ''}`,
      type: 'number',
      ...byDefault(defaults.imageSize),
    })
    .option('lrn', {
      describe: `LRN after conv1/conv2: tf-benchmark (seeds 000-003), paper (seed 004); --no-lrn leaves it out (seed 003)${named(defaults.lrn)}`,
      type: 'string',
      ...byDefault(defaults.lrn as string),
    })
    .option(FORMULATIONS.lrnImpl.option, formulationOption('lrnImpl', withAuto))
    .option('head', {
      describe: `none: output pool5 (seeds 001/003); fc: fc6-fc8 (seeds 000/002)${named(defaults.head)}`,
      choices: ['none', 'fc'],
      ...byDefault(defaults.head),
    })
    .option('classes', { describe: `fc8 width, with --head fc (default ${defaults.classes})`, type: 'number' })
    .option('fc8-relu', {
      describe: `with --head fc: ReLU after fc8 as seeds 000/002 (default ${defaults.fc8Relu}); --no-fc8-relu leaves the class scores linear, as seed 004's logits: cross-entropy training needs that`,
      type: 'boolean',
    })
    .option('dropout', {
      describe: `dropout rate on fc6/fc7 (seed 002: keep_prob 0.5 = rate 0.5); 0 = off${named(defaults.dropout)}`,
      type: 'number',
      ...byDefault(defaults.dropout),
    })
    .option(FORMULATIONS.dropoutImpl.option, formulationOption('dropoutImpl', withAuto))
    .option('seed', {
      describe: fromModelFile ? 'seed for the weights and the images' : 'seed for the weights',
      type: 'number',
      default: defaults.seed,
    })
    .group(['batch', 'image-size', 'lrn', 'head', 'classes', 'fc8-relu', 'dropout', 'seed'], 'Model:')
    .group([FORMULATIONS.lrnImpl.option, FORMULATIONS.dropoutImpl.option], 'Graph formulation:');
}

/**
 * The network options given on the command line that a `--model` file's graph would ignore (its network is fixed in
 * the file), as `--name`s. Sizes and the seed are left out: they fill a symbolic size and make the images.
 */
export function givenNetworkOptions(args: RawModelArgs & RawTrainingArgs): string[] {
  const network = (['lrn', 'lrnImpl', 'head', 'classes', 'fc8Relu', 'dropout', 'dropoutImpl'] as const).filter((k) => given(args[k]));
  const names = network.map(
    (k) => `--${k === 'lrnImpl' || k === 'dropoutImpl' ? FORMULATIONS[k].option : k === 'fc8Relu' ? 'fc8-relu' : k}`,
  );
  return [...names, ...givenTrainingOptions(args)];
}

/**
 * A network option given on the command line that the network would not use, as one line naming it and the option
 * that leaves it unused (as `bench --profile-method` without `--profile` is refused): `--lrn-impl` without LRN,
 * `--classes` without the FC head, `--dropout-impl` with dropout off. Defaults and bench's `auto` ask for nothing.
 */
export function unusedNetworkOption(args: RawModelArgs, defaults: AlexNetOptions = DEFAULT_OPTIONS): string | undefined {
  if (given(args.lrnImpl) && (args.lrn === false || args.lrn === 'none'))
    return `--lrn-impl ${args.lrnImpl} says how LRN is written, but ${args.lrn === false ? '--no-lrn' : '--lrn none'} leaves LRN out`;
  const head = args.head ?? defaults.head;
  const noHead = ` but --head ${head}${args.head === undefined ? ' (the default)' : ''} has no fc8: add --head fc`;
  if (given(args.classes) && head !== 'fc') return `--classes ${args.classes} is fc8's width,${noHead}`;
  if (given(args.fc8Relu) && head !== 'fc') return `--${args.fc8Relu ? '' : 'no-'}fc8-relu says whether fc8 has a ReLU,${noHead}`;
  const dropout = args.dropout ?? defaults.dropout;
  if (given(args.dropoutImpl) && !(dropout > 0))
    return `--dropout-impl ${args.dropoutImpl} says how dropout is written, but dropout is off (--dropout ${dropout}${args.dropout === undefined ? ', the default' : ''}): add ${head === 'fc' ? '' : '--head fc '}--dropout RATE`;
  return undefined;
}

/** Raw option values as yargs parses them; absent where the command gives an option no yargs default. */
export interface RawModelArgs {
  batch?: string;
  imageSize?: number;
  lrn?: string | boolean;
  lrnImpl?: string;
  head?: string;
  classes?: number;
  fc8Relu?: boolean;
  dropout?: number;
  dropoutImpl?: string;
  seed: number;
}

/**
 * Turns parsed arguments into validated model options; a bad value is a UsageError naming the option. For a model
 * file (`forModelFile`) only the sizes are checked, as sizes: AlexNet's own limits do not apply to a file's graph.
 */
export function modelOptionsFrom(
  args: RawModelArgs,
  forModelFile = false,
  allowDynamic = true,
  defaults: AlexNetOptions = DEFAULT_OPTIONS,
): AlexNetOptions {
  const lrn = args.lrn === false ? 'none' : String(args.lrn ?? defaults.lrn);
  if (!LRN_CHOICES.includes(lrn)) throw new UsageError(`--lrn must be one of ${LRN_CHOICES.join(', ')}, got '${lrn}'`);
  const batchArg = args.batch ?? String(defaults.batch);
  let batch: number | 'dynamic';
  if (batchArg === 'dynamic' && allowDynamic) batch = 'dynamic';
  else if (/^\d+$/.test(batchArg)) batch = Number(batchArg);
  else if (!allowDynamic && batchArg === 'dynamic') throw new UsageError("--batch must be a number here ('dynamic' is for export)");
  else throw new UsageError(`--batch must be a positive integer${allowDynamic ? " or 'dynamic'" : ''}, got '${batchArg}'`);
  const options: AlexNetOptions = {
    batch,
    imageSize: args.imageSize ?? defaults.imageSize,
    lrn: lrn as AlexNetOptions['lrn'],
    lrnImpl: (args.lrnImpl ?? defaults.lrnImpl) as AlexNetOptions['lrnImpl'],
    head: (args.head ?? defaults.head) as AlexNetOptions['head'],
    classes: args.classes ?? defaults.classes,
    fc8Relu: args.fc8Relu ?? defaults.fc8Relu,
    dropout: args.dropout ?? defaults.dropout,
    dropoutImpl: (args.dropoutImpl ?? defaults.dropoutImpl) as AlexNetOptions['dropoutImpl'],
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

/**
 * Options for the gradient (training) graph, shared by `export --grad` and `bench`. None has a yargs default but
 * bench's `auto` (the help names it, `trainingOptionsFrom` applies it), so that a command that builds no training
 * graph can refuse them when given.
 */
export function withTrainingOptions<T>(y: Argv<T>, withAuto = false) {
  return y
    .option('loss', {
      describe: `l2: 0.5*sum(output^2) as in the seeds; softmax-cross-entropy: mean CE over int64 labels (seed 004) (default ${DEFAULT_TRAINING.loss})`,
      choices: LOSSES,
    })
    .option('wrt', {
      describe: `gradients for: conv (the seeds' parameters list) or all (adds the FC layers) (default ${DEFAULT_TRAINING.wrt})`,
      choices: ['conv', 'all'],
    })
    .option(FORMULATIONS.maxpoolGrad.option, formulationOption('maxpoolGrad', withAuto))
    .option(FORMULATIONS.convWeightGrad.option, formulationOption('convWeightGrad', withAuto))
    .option(FORMULATIONS.convDataGrad.option, formulationOption('convDataGrad', withAuto))
    .group(['loss', 'wrt'], 'Model:')
    .group([FORMULATIONS.maxpoolGrad.option, FORMULATIONS.convWeightGrad.option, FORMULATIONS.convDataGrad.option], 'Graph formulation:');
}

/** Raw training option values as yargs parses them: absent where not given. */
export interface RawTrainingArgs {
  loss?: string;
  wrt?: string;
  maxpoolGrad?: string;
  convWeightGrad?: string;
  convDataGrad?: string;
}

/** The training options given on the command line, as `--name`s, for a command to refuse where they do not apply. */
export function givenTrainingOptions(args: RawTrainingArgs): string[] {
  const keys = ['loss', 'wrt', 'maxpoolGrad', 'convWeightGrad', 'convDataGrad'] as const;
  return keys.filter((k) => given(args[k])).map((k) => `--${k === 'loss' || k === 'wrt' ? k : FORMULATIONS[k].option}`);
}

/** Whether an option was given: yargs left it out, or it is bench's `auto`, which asks for nothing in particular. */
function given(value: unknown): boolean {
  return value !== undefined && value !== 'auto';
}

/** Validated training options; a bad combination is a UsageError naming the option. */
export function trainingOptionsFrom(model: AlexNetOptions, args: RawTrainingArgs): TrainingOptions {
  const t: TrainingOptions = {
    loss: (args.loss ?? DEFAULT_TRAINING.loss) as TrainingOptions['loss'],
    wrt: (args.wrt ?? DEFAULT_TRAINING.wrt) as TrainingOptions['wrt'],
    maxpoolGrad: (args.maxpoolGrad ?? FORMULATIONS.maxpoolGrad.exportDefault) as TrainingOptions['maxpoolGrad'],
    convWeightGrad: (args.convWeightGrad ?? FORMULATIONS.convWeightGrad.exportDefault) as TrainingOptions['convWeightGrad'],
    convDataGrad: (args.convDataGrad ?? FORMULATIONS.convDataGrad.exportDefault) as TrainingOptions['convDataGrad'],
  };
  const problems = validateTraining(model, t);
  if (problems.length) throw new UsageError(problems.join('; '));
  return t;
}

/** The optimizer's options: `--optimizer` and each hyperparameter's, as the optimizer table names them. */
export const OPTIMIZER_OPTIONS: readonly string[] = ['optimizer', ...Object.values(HYPERPARAMETERS).map((h) => h.option)];

/**
 * The optimizer and its hyperparameters, from the optimizer table, shared by `export --train-step` and `train`; `when`
 * starts `--optimizer`'s help (`with --train-step: `). None has a yargs default (the help names each optimizer's), so
 * that a hyperparameter of the other optimizer, or one given where no step is built, can be refused.
 */
export function withOptimizerOptions<T>(y: Argv<T>, defaultKind: OptimizerKind, when = '') {
  const defaults = (k: Hyperparameter) =>
    OPTIMIZER_KINDS.filter((kind) => hyperparametersOf(kind).includes(k))
      .map((kind) => `${kind} ${(OPTIMIZERS[kind].defaults as unknown as Record<string, unknown>)[k]}`)
      .join(', ');
  let out = y.option('optimizer', {
    describe: `${when}${OPTIMIZER_KINDS.map((k) => `${k}: ${OPTIMIZERS[k].describe}`).join('; ')} (default ${defaultKind})`,
    choices: OPTIMIZER_KINDS,
  });
  for (const [key, spec] of Object.entries(HYPERPARAMETERS) as [Hyperparameter, (typeof HYPERPARAMETERS)[Hyperparameter]][])
    out = out.option(spec.option, { describe: `${spec.describe} (default ${defaults(key)})`, type: spec.type });
  return out;
}

/** Raw optimizer option values as yargs parses them: absent where not given. */
export type RawOptimizerArgs = { optimizer?: string } & Partial<Record<Hyperparameter, number | boolean>>;

/** The optimizer options given on the command line, as `--name`s, for a command to refuse where they do not apply. */
export function givenOptimizerOptions(args: RawOptimizerArgs): string[] {
  const keys = Object.keys(HYPERPARAMETERS) as Hyperparameter[];
  return [
    ...(args.optimizer === undefined ? [] : ['--optimizer']),
    ...keys.filter((k) => args[k] !== undefined).map((k) => `--${HYPERPARAMETERS[k].option}`),
  ];
}

/** The optimizer settings the options ask for (`defaultKind` without `--optimizer`), and the problems, each naming the option. */
export function optimizerFrom(args: RawOptimizerArgs, defaultKind: OptimizerKind): { settings: OptimizerSettings; problems: string[] } {
  const given = Object.fromEntries((Object.keys(HYPERPARAMETERS) as Hyperparameter[]).map((k) => [k, args[k]]));
  return optimizerSettings((args.optimizer ?? defaultKind) as OptimizerKind, given);
}
