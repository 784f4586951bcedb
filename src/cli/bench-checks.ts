/**
 * `bench`'s options as checked options: parsed arguments to `BenchOptions`, each usage mistake one line naming the
 * option (a `UsageError`, exit 2), and every option given where the run would not use it refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ArgumentsCamelCase } from 'yargs';
import { autotuneProblem } from '../bench/autotune.js';
import { countProblem, formulationSources, resourceProblem, unsupported } from '../bench/options.js';
import { hasGradients, imagesDims, imagesSizeProblem, isTrainStep } from '../bench/prepare.js';
import { defaultTrainStepLoss } from '../bench/train-step.js';
import {
  ALL_BENCH_MODES,
  BENCH_MODES,
  type BenchMode,
  type BenchOptions,
  DEFAULT_BENCH_LR,
  type FetchKind,
  hasBackward,
  type TrainStepBench,
} from '../bench/types.js';
import { type Ep, RUNTIME_EPS, type RuntimeName } from '../common/eps.js';
import type { AlexNetOptions } from '../model/alexnet.js';
import { FORMULATION_KEYS, formulationFor } from '../model/formulation.js';
import { OPTIMIZER_KINDS } from '../model/optimizer.js';
import { validateTrainStep } from '../model/train-step.js';
import type { LossKind } from '../model/training.js';
import { type ParsedModel, parseModel, UnsupportedModelError } from '../onnx/parse.js';
import { DEFAULT_BROWSER } from '../runners/browser.js';
import type { GraphOptLevel, InputPlacement } from '../runners/types.js';
import { UsageError } from './errors.js';
import {
  givenNetworkOptions,
  givenOptimizerOptions,
  givenTrainingOptions,
  modelOptionsFrom,
  optimizerFrom,
  type RawModelArgs,
  type RawOptimizerArgs,
  type RawTrainingArgs,
  trainingOptionsFrom,
  unusedNetworkOption,
} from './model-options.js';
import type { RawRuntimeArgs } from './run-options.js';

/** `--mode` choices: the seeds' two, `both` of them (the default), the training step, and `all` three. */
export const MODE_CHOICES = ['forward', 'forward-backward', 'both', 'train-step', 'all'] as const;

/** `bench`'s arguments as yargs parses them. */
export type BenchArgs = ArgumentsCamelCase<
  RawModelArgs &
    RawTrainingArgs &
    RawOptimizerArgs &
    RawRuntimeArgs & {
      mode?: string;
      lr?: number;
      steps: number;
      burnIn: number;
      logEvery: number;
      input: string;
      fetch?: string;
      tf32: boolean;
      model?: string;
      json?: string;
      append?: string;
      format: string;
      progress: boolean;
      profile: number;
      profileMethod?: string;
      autotune?: string;
      autotuneCache?: string;
    }
>;

function count(name: string, value: number, min: number): number {
  const problem = countProblem(name, value, min);
  if (problem) throw new UsageError(problem);
  return value;
}

function modesOf(mode: string): BenchMode[] {
  if (mode === 'both') return [...BENCH_MODES];
  return mode === 'all' ? [...ALL_BENCH_MODES] : [mode as BenchMode];
}

/** A `--model` file, read and checked, with the network options its fixed sizes set. */
function readModelFile(
  args: BenchArgs,
  path: string,
  model: AlexNetOptions,
): { model: AlexNetOptions; file: NonNullable<BenchOptions['modelFile']>; parsed: ParsedModel } {
  if (!existsSync(path)) throw new UsageError(`--model ${path}: no such file`);
  const bytes = readFileSync(path);
  let parsed: ParsedModel;
  try {
    parsed = parseModel(bytes);
  } catch (err) {
    if (err instanceof UnsupportedModelError) throw new Error(`--model ${path}: ${err.message}`);
    throw new Error(`--model ${path} is not a valid ONNX model (${(err as Error).message})`);
  }
  // a fixed size in the file wins, so one given on the command line must match it; a symbolic one takes the option
  const dims = imagesDims(parsed, path);
  const unusable = imagesSizeProblem(path, dims);
  if (unusable) throw new Error(unusable);
  // a number: modelOptionsFrom refuses 'dynamic' for bench
  const asked = { batch: args.batch === undefined ? undefined : (model.batch as number), imageSize: args.imageSize };
  const mismatch = imagesSizeProblem(path, dims, asked);
  if (mismatch) throw new UsageError(mismatch);
  const [n, h] = [dims[0], dims.length === 4 ? dims[2] : undefined];
  const sized = { ...model, batch: typeof n === 'number' ? n : model.batch, imageSize: typeof h === 'number' ? h : model.imageSize };
  return { model: sized, file: { path, bytes, metadata: parsed.metadata, images: dims }, parsed };
}

/**
 * The modes a `--model` file can be timed in: forward always, forward-backward with the gradients of `export --grad`,
 * train-step for a file of `export --train-step`; by default all that `both` offers, or the training step.
 */
function modesOfFile(args: BenchArgs, path: string, parsed: ParsedModel): BenchMode[] {
  const withGrads = hasGradients(parsed);
  const step = isTrainStep(parsed);
  const modes = modesOf(args.mode ?? (withGrads ? 'both' : step ? 'train-step' : 'forward'));
  if (modes.includes('forward-backward') && !withGrads)
    throw new UsageError(`--mode ${args.mode} needs gradients, but ${path} has none: export it with --grad`);
  if (modes.includes('train-step') && !step)
    throw new UsageError(`--mode ${args.mode} needs a training step, but ${path} is not one: export it with --train-step`);
  return modes;
}

/** Turns parsed arguments into benchmark options; usage mistakes are UsageErrors naming the option. */
export function benchOptionsFrom(args: BenchArgs): BenchOptions {
  const runtime = args.runtime as RuntimeName;
  const ep = (args.ep ?? RUNTIME_EPS[runtime][0]) as Ep;
  if (!RUNTIME_EPS[runtime].includes(ep))
    throw new UsageError(`--ep ${ep} is not an EP of --runtime ${runtime} (choose ${RUNTIME_EPS[runtime].join(', ')})`);
  // `auto` (or an explicit choice) for each formulation, resolved for the EP from the formulation table
  const chosen = Object.fromEntries(FORMULATION_KEYS.map((k) => [k, args[k]]));
  const formulation = formulationFor(ep, chosen);
  let model = modelOptionsFrom({ ...args, ...formulation }, Boolean(args.model), false);
  const training = trainingOptionsFrom(model, { ...args, ...formulation });
  let modelFile: BenchOptions['modelFile'];
  let modes: BenchMode[];
  let why = args.mode === undefined ? '' : `--mode ${args.mode}`;
  if (args.model) {
    const read = readModelFile(args, args.model, model);
    model = read.model;
    modelFile = read.file;
    modes = modesOfFile(args, args.model, read.parsed);
    why ||= `--model ${args.model} ${isTrainStep(read.parsed) ? 'is a training step' : 'has no gradients'}`;
  } else {
    modes = modesOf(args.mode ?? 'both');
    why ||= 'the default, --mode both';
  }
  const ignored = ignoredOption(args, modes, why);
  if (ignored) throw new UsageError(ignored);
  const options: BenchOptions = {
    runtime,
    ep,
    browserPath: runtime === 'browser' ? (args.browser ?? DEFAULT_BROWSER) : undefined,
    modes,
    steps: count('steps', args.steps, 1),
    burnIn: count('burn-in', args.burnIn, 0),
    logEvery: count('log-every', args.logEvery, 1),
    threads: count('threads', args.threads, 0),
    profileSteps: count('profile', args.profile, 0),
    profileMethod: (args.profileMethod ?? 'auto') as BenchOptions['profileMethod'],
    graphOpt: args.graphOpt as GraphOptLevel,
    tf32: args.tf32,
    input: args.input as InputPlacement,
    fetch: (args.fetch ?? 'grads') as FetchKind,
    model,
    training,
    trainStep: trainStepFrom(args, model, training, !modelFile && modes.includes('train-step')),
    modelFile,
    formulationSource: formulationSources(chosen),
  };
  const problem = unsupported(options) ?? resourceProblem(options);
  if (problem) throw new UsageError(problem);
  return options;
}

/**
 * The training step's options: `--optimizer` and its hyperparameters (the optimizer table's checks), `--lr`, and the
 * loss (`--loss`, else `export --train-step`'s choice for the head). `build`: the step is built from them, so it must
 * also fit an ONNX file.
 */
function trainStepFrom(args: BenchArgs, model: AlexNetOptions, training: BenchOptions['training'], build: boolean): TrainStepBench {
  const { settings, problems } = optimizerFrom(args, OPTIMIZER_KINDS[0]!);
  const lr = args.lr ?? DEFAULT_BENCH_LR;
  if (!(lr > 0 && Number.isFinite(lr))) problems.push(`--lr must be a number > 0, got ${args.lr}`);
  const loss = (args.loss as LossKind | undefined) ?? defaultTrainStepLoss(model);
  if (build) problems.push(...validateTrainStep(model, { ...training, loss, optimizer: settings }));
  if (problems.length) throw new UsageError(problems.join('; '));
  return { optimizer: settings, lr, loss };
}

/**
 * An option given on the command line that this run would not use, as one line naming it and the option it needs:
 * a user who asks for something must never get a result made without it. The options checked here have no yargs
 * default for this reason. `why` says what set the modes (`--mode forward`, or what a `--model` file lacks).
 */
function ignoredOption(args: BenchArgs, modes: BenchMode[], why: string): string | undefined {
  if (args.browser !== undefined && args.runtime !== 'browser')
    return `--browser is for --runtime browser, but this run uses --runtime ${args.runtime}`;
  if (args.profileMethod !== undefined && !(args.profile > 0))
    return `--profile-method ${args.profileMethod} needs --profile N (N > 0): without it no layer is profiled`;
  const autotuneUnused = autotuneProblem({ mode: args.autotune, cacheFile: args.autotuneCache, model: args.model, runtime: args.runtime });
  if (autotuneUnused) return autotuneUnused;
  if (args.model) {
    const fixed = givenNetworkOptions(args);
    if (fixed.length)
      return `${fixed.join(', ')} cannot change --model ${args.model}: its network is fixed in the file (export one with ${fixed.length > 1 ? 'them' : 'it'} instead)`;
    const optimizer = givenOptimizerOptions(args);
    if (optimizer.length)
      return `${optimizer.join(', ')} cannot change --model ${args.model}: a training step's optimizer is fixed in the file (export one with ${optimizer.length > 1 ? 'them' : 'it'} instead; --lr is an input and applies)`;
  } else {
    const unused = unusedNetworkOption(args);
    if (unused) return unused;
  }
  const times = `this run times ${modes.length === 1 ? `${modes[0]} only` : modes.join(', ')} (${why})`;
  const step = [...givenOptimizerOptions(args), ...(args.lr === undefined ? [] : ['--lr'])];
  if (step.length && !modes.includes('train-step'))
    return `${step.join(', ')} ${step.length > 1 ? 'shape' : 'shapes'} the training step, but ${times}: add --mode train-step (or all)`;
  if (args.fetch !== undefined && !modes.includes('forward-backward')) return `--fetch is what forward-backward fetches, but ${times}`;
  const training = givenTrainingOptions(args);
  if (training.length && !modes.some(hasBackward))
    return `${training.join(', ')} ${training.length > 1 ? 'shape' : 'shapes'} the forward-backward graph, but ${times}`;
  return undefined;
}
