import { constants } from 'node:os';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { type Ep, RUNTIME_EPS } from '../common/eps.js';
import { outputProblem, sameFile } from '../common/files.js';
import { validateOptions } from '../model/alexnet.js';
import { FORMULATION_KEYS, formulationFor } from '../model/formulation.js';
import { validateTrainStep } from '../model/train-step.js';
import { LOSSES } from '../model/training.js';
import { DEFAULT_BROWSER } from '../runners/browser.js';
import { ortNodeVersion, ortWebVersion } from '../runners/packages.js';
import type { GraphOptLevel } from '../runners/types.js';
import { DataError } from '../train/data.js';
import {
  datasetFor,
  TRAIN_DEFAULTS,
  TRAIN_MODEL_DEFAULTS,
  type TrainOptions,
  trainProblems,
  trainResourceProblem,
} from '../train/options.js';
import { trainFooter, trainHeader, writeTrainOutputs } from '../train/report.js';
import { LR_SCHEDULES, type LrScheduleKind, scheduleProblems } from '../train/schedule.js';
import { train } from '../train/trainer.js';
import { UsageError } from './errors.js';
import {
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
import { ProgressLine, progressWanted } from './progress.js';
import { type RawRuntimeArgs, withRuntimeOptions } from './run-options.js';

/** Where `train` writes the trained model without `--out`; the chart goes beside it as `.svg`. */
export const DEFAULT_TRAINED_MODEL = 'graphs/alexnet-trained.onnx';

export const command = 'train';
export const describe = 'Train AlexNet on ONNX Runtime with the optimizer in the graph, and write the trained model and a chart';

export function builder(y: Argv) {
  return withRuntimeOptions(
    withOptimizerOptions(withTrainingOptions(withModelOptions(y, true, false, TRAIN_MODEL_DEFAULTS), true), TRAIN_DEFAULTS.optimizer),
  )
    .option('batch', { describe: 'batch size (seeds: 32)', type: 'string', default: String(TRAIN_MODEL_DEFAULTS.batch) })
    .option('image-size', {
      describe: 'input height and width (the seeds use 224; 64 learns the synthetic task on a CPU in under a minute)',
      type: 'number',
      default: TRAIN_MODEL_DEFAULTS.imageSize,
    })
    .option('seed', { describe: 'seed for the weights, the synthetic data and the batch order', type: 'number', default: 1 })
    .option('loss', { describe: 'softmax-cross-entropy, the only loss train learns classes with (default)', choices: LOSSES })
    .option('wrt', {
      describe: 'train all parameters (default) or only the conv layers (fc6-fc8 keep their first weights)',
      choices: ['all', 'conv'],
    })
    .option('tf32', { describe: '--ep cuda: allow TF32 tensor-core math', type: 'boolean', default: false })
    .option('steps', { describe: 'training steps (optimizer updates)', type: 'number', default: TRAIN_DEFAULTS.steps })
    .option('lr', { describe: 'learning rate (the peak of the schedule)', type: 'number', default: TRAIN_DEFAULTS.lr })
    .option('lr-schedule', {
      describe: "constant, or cosine: torch's CosineAnnealingLR from --lr toward 0 at the last step",
      choices: LR_SCHEDULES,
      default: TRAIN_DEFAULTS.schedule,
    })
    .option('warmup', { describe: 'steps of linear warm-up to --lr before the schedule', type: 'number', default: TRAIN_DEFAULTS.warmup })
    .option('data', {
      describe: 'synthetic: a learnable task drawn from --seed (--classes classes); or an ImageFolder DIR (DIR/<class>/*.png|jpg)',
      type: 'string',
      default: 'synthetic',
    })
    .option('eval-every', {
      describe: 'held-out accuracy every N steps (0: only at the end)',
      type: 'number',
      default: TRAIN_DEFAULTS.evalEvery,
    })
    .option('log-every', { describe: 'a step line every N steps', type: 'number', default: TRAIN_DEFAULTS.logEvery })
    .option('burn-in', {
      describe: 'the first N steps are left out of the timing statistics (they train all the same)',
      type: 'number',
      default: TRAIN_DEFAULTS.burnIn,
    })
    .option('out', { describe: `the trained inference model (default ${DEFAULT_TRAINED_MODEL})`, type: 'string' })
    .option('chart', { describe: 'the loss and accuracy chart, SVG (default: --out with .svg)', type: 'string' })
    .option('json', { describe: 'also write every step and evaluation as JSON to this file', type: 'string' })
    .option('progress', {
      describe: 'a live progress line on stderr where it is a terminal; --no-progress: none',
      type: 'boolean',
      default: true,
    })
    .group(OPTIMIZER_OPTIONS as string[], 'Optimizer:')
    .group(['steps', 'lr', 'lr-schedule', 'warmup', 'data', 'eval-every'], 'Training:')
    .group(['runtime', 'ep', 'browser', 'threads', 'graph-opt', 'tf32', 'log-every', 'burn-in'], 'Run:')
    .group(['out', 'chart', 'json', 'progress'], 'Output:')
    .example('$0 train', `AdamW on the synthetic task, to ${DEFAULT_TRAINED_MODEL}`)
    .example('$0 train --ep cuda --image-size 224 --batch 128', "a GPU run at the seeds' size")
    .example('$0 train --data ~/images --optimizer sgd', 'an ImageFolder directory, SGD with momentum')
    .example('$0 train --runtime browser --steps 100', 'onnxruntime-web (WebAssembly) in headless Chromium')
    .epilogue(
      `train builds the network with a linear fc8 (--no-fc8-relu) unless told: cross-entropy cannot learn through the seeds' ReLU on the class scores. ${SEEDS_EPILOGUE}`,
    );
}

type Args = ArgumentsCamelCase<
  RawModelArgs &
    RawTrainingArgs &
    RawOptimizerArgs &
    RawRuntimeArgs & {
      tf32: boolean;
      steps: number;
      lr: number;
      lrSchedule: string;
      warmup: number;
      data: string;
      evalEvery: number;
      logEvery: number;
      burnIn: number;
      out?: string;
      chart?: string;
      json?: string;
      progress: boolean;
    }
>;

/** Turns parsed arguments into a training run's options; usage mistakes are UsageErrors naming the option. */
export function trainOptionsFrom(args: Args): TrainOptions {
  if (args.browser !== undefined && args.runtime !== 'browser')
    throw new UsageError(`--browser is for --runtime browser, but this run uses --runtime ${args.runtime}`);
  if (args.browser === '') throw new UsageError('--browser needs the path of a Chromium or Chrome');
  const runtime = args.runtime as TrainOptions['runtime'];
  const ep = (args.ep ?? RUNTIME_EPS[runtime][0]) as Ep;
  if (!RUNTIME_EPS[runtime].includes(ep))
    throw new UsageError(`--ep ${ep} is not an EP of --runtime ${runtime} (choose ${RUNTIME_EPS[runtime].join(', ')})`);
  if (args.tf32 && ep !== 'cuda') throw new UsageError(`--tf32 is a CUDA EP setting, but this run uses --ep ${ep}`);
  const unused = unusedNetworkOption(args, TRAIN_MODEL_DEFAULTS);
  if (unused) throw new UsageError(unused);
  const formulation = formulationFor(ep, Object.fromEntries(FORMULATION_KEYS.map((k) => [k, args[k]])));
  let model = modelOptionsFrom({ ...args, ...formulation }, false, false, TRAIN_MODEL_DEFAULTS);
  if (model.head !== 'fc') throw new UsageError(`train learns class scores: --head ${model.head} has none (train's default is --head fc)`);
  let dataset: TrainOptions['dataset'];
  try {
    dataset = datasetFor(args.data, model);
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(err.message);
    throw err;
  }
  // an ImageFolder directory says how many classes there are
  if (args.classes === undefined && dataset.classes !== model.classes) {
    model = { ...model, classes: dataset.classes };
    const problems = validateOptions(model);
    if (problems.length) throw new UsageError(problems.join('; '));
  }
  const training = trainingOptionsFrom(model, {
    ...args,
    ...formulation,
    loss: args.loss ?? 'softmax-cross-entropy',
    wrt: args.wrt ?? 'all',
  });
  const { settings, problems } = optimizerFrom(args, TRAIN_DEFAULTS.optimizer);
  const step = { ...training, optimizer: settings };
  const o: TrainOptions = {
    runtime,
    ep,
    threads: args.threads,
    graphOpt: args.graphOpt as GraphOptLevel,
    tf32: args.tf32,
    ...(runtime === 'browser' ? { browserPath: args.browser ?? DEFAULT_BROWSER } : {}),
    model,
    step,
    schedule: { kind: args.lrSchedule as LrScheduleKind, lr: args.lr, warmup: args.warmup },
    steps: args.steps,
    dataset,
    seed: args.seed,
    evalEvery: args.evalEvery,
    logEvery: args.logEvery,
    burnIn: args.burnIn,
  };
  problems.push(...validateTrainStep(model, step), ...trainProblems(o), ...scheduleProblems(o.schedule, o.steps));
  if (problems.length) throw new UsageError(problems.join('; '));
  if (!Number.isSafeInteger(o.threads) || o.threads < 0) throw new UsageError(`--threads must be an integer >= 0, got ${o.threads}`);
  const resources = trainResourceProblem(o);
  if (resources) throw new UsageError(resources);
  return o;
}

/** The output paths, checked before training: given, writable, and none the same file as another. */
function outputsFrom(args: Args): { model: string; chart: string; json?: string } {
  const model = args.out ?? DEFAULT_TRAINED_MODEL;
  const chart = args.chart ?? `${model.replace(/\.onnx$/i, '')}.svg`;
  const paths = { out: model, chart, json: args.json };
  for (const [name, path] of Object.entries(paths)) {
    if (path === undefined) continue;
    if (path === '') throw new UsageError(`--${name} needs a file name`);
    const problem = outputProblem(path);
    if (problem) throw new UsageError(`--${name} ${path}: ${problem}`);
  }
  const list = Object.entries(paths).filter(([, p]) => p !== undefined) as [string, string][];
  for (const [i, [a, p]] of list.entries())
    for (const [b, q] of list.slice(i + 1))
      if (p === q || sameFile(p, q)) throw new UsageError(`--${a} and --${b} name the same file (${p}): give each its own`);
  return { model, chart, json: args.json };
}

/** The runtime for the header line: `onnxruntime-node 1.29.0`, `onnxruntime-web 1.29.0 in Node` or `in /usr/bin/chromium`. */
function runtimeName(o: TrainOptions): string {
  if (o.runtime === 'node') return `onnxruntime-node ${ortNodeVersion()}`;
  return `onnxruntime-web ${ortWebVersion()} in ${o.runtime === 'browser' ? o.browserPath : 'Node'}`;
}

export async function handler(args: Args): Promise<void> {
  const o = trainOptionsFrom(args);
  const outputs = outputsFrom(args);
  const line = progressWanted(args.progress) ? new ProgressLine([]) : undefined;
  const log = (text: string) => (line ? line.around(() => console.log(text)) : console.log(text));
  for (const text of trainHeader(o, runtimeName(o))) log(text);
  // Once the runtime opens (a browser, which a plain signal death would leave running), Ctrl-C or SIGTERM ends the
  // process with process.exit, whose listeners kill the browser; once training runs, the first one stops after the
  // step under way and saves what was trained, and another quits without saving.
  const stop = new AbortController();
  let training = false;
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!training || stoppedBy) {
      line?.stop();
      process.exit(128 + constants.signals[signal]);
    }
    stoppedBy = signal;
    stop.abort();
    log(
      `stopping on ${signal} after this step, to save what was trained so far (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again: quit without saving)`,
    );
  };
  let watching = false;
  const unwatch = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  try {
    const result = await train(
      o,
      log,
      (e) => {
        line?.update(e);
        // not before: a signal during the synchronous build must end the process at once
        if (e.phase === 'session' && !watching) {
          watching = true;
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        }
        if (e.phase === 'timed' && e.done === 0) training = true;
      },
      stop.signal,
    );
    // the runtime is closed: writing the outputs leaves a signal to their own cleanup (src/common/cleanup.ts)
    unwatch();
    line?.stop();
    if (result.steps === 0) {
      console.log(`interrupted by ${stoppedBy} before the first step: nothing was trained, nothing written`);
    } else {
      const bytes = await writeTrainOutputs(o, result, outputs, ['alexnet-onnx', ...process.argv.slice(2)]);
      for (const text of trainFooter(o, result)) console.log(text);
      console.log(
        `wrote ${outputs.model} (${(bytes / 1e6).toFixed(1)} MB, the trained inference model), ${outputs.chart}${outputs.json ? `, ${outputs.json}` : ''}`,
      );
    }
  } finally {
    unwatch();
    line?.stop();
  }
  if (stoppedBy) process.exit(128 + constants.signals[stoppedBy]);
}
