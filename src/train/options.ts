import { type Machine, maxThreads, thisMachine } from '../bench/options.js';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../model/alexnet.js';
import { estimateMemory } from '../model/memory.js';
import type { TrainStepOptions } from '../model/train-step.js';
import { DataError, type Dataset } from './data.js';
import { imageFolderDataset } from './data-folder.js';
import { syntheticDataset, syntheticProblems } from './data-synthetic.js';
import type { LrSchedule } from './schedule.js';
import type { RuntimeSettings } from './session.js';

/** Everything `train` needs. */
export interface TrainOptions extends RuntimeSettings {
  /** The network; `batch` is a number, the head `fc` (the class scores the loss learns from). */
  model: AlexNetOptions;
  /** Loss (softmax cross-entropy), what to train, the backward formulation and the optimizer. */
  step: TrainStepOptions;
  schedule: LrSchedule;
  /** Training steps (optimizer updates). */
  steps: number;
  dataset: Dataset;
  /** Seed of the batch order. */
  seed: number;
  /** Held-out accuracy every N steps (0: only at the end). */
  evalEvery: number;
  /** A step line every N steps. */
  logEvery: number;
  /** The first steps, left out of the timing statistics (they train like the others): as bench's burn-in. */
  burnIn: number;
}

/**
 * The network `train` builds unless told: the seeds' AlexNet with the FC head and a linear fc8 (cross-entropy learns
 * nothing through a ReLU on the class scores), at a size that learns the synthetic task on a CPU in under a minute
 * (docs/benchmarks.md, "Training").
 */
export const TRAIN_MODEL_DEFAULTS: AlexNetOptions = {
  ...DEFAULT_OPTIONS,
  batch: 16,
  imageSize: 64,
  head: 'fc',
  classes: 10,
  fc8Relu: false,
};

/**
 * `train`'s loop defaults, chosen from runs of the synthetic task (docs/benchmarks.md, "Training"): AdamW at a peak of
 * 2e-4 with a cosine decay learns it best in 300 steps; SGD learned little at 1e-4 and diverged at 1e-3 from the seeds'
 * initial weights, whose class scores start in the hundreds.
 */
export const TRAIN_DEFAULTS = {
  steps: 300,
  optimizer: 'adamw',
  lr: 2e-4,
  schedule: 'cosine',
  warmup: 0,
  evalEvery: 100,
  logEvery: 10,
  burnIn: 10,
} as const;

/**
 * The dataset `--data` names: `synthetic` (the task of `--seed` with `model.classes` classes) or an ImageFolder
 * directory (its own classes). A problem with either is a `DataError`.
 */
export function datasetFor(data: string, model: AlexNetOptions): Dataset {
  if (data !== 'synthetic') return imageFolderDataset({ dir: data, imageSize: model.imageSize });
  const synthetic = { classes: model.classes, imageSize: model.imageSize, seed: model.seed };
  const problems = syntheticProblems(synthetic);
  if (problems.length) throw new DataError(`--data synthetic: ${problems.join('; ')}`);
  return syntheticDataset(synthetic);
}

const integer = (name: string, v: number, min: number): string | undefined =>
  Number.isSafeInteger(v) && v >= min ? undefined : `--${name} must be an integer >= ${min}, got ${v}`;

/** Problems with a training run, each naming the option; the schedule's are `scheduleProblems`. */
export function trainProblems(o: TrainOptions): string[] {
  const problems = [
    integer('steps', o.steps, 1),
    integer('eval-every', o.evalEvery, 0),
    integer('log-every', o.logEvery, 1),
    integer('burn-in', o.burnIn, 0),
  ].filter((p): p is string => p !== undefined);
  if (!problems.length && o.burnIn >= o.steps)
    problems.push(`--burn-in ${o.burnIn} leaves no step to time: use fewer than --steps ${o.steps}`);
  if (o.model.head !== 'fc') problems.push('train learns class scores: it needs --head fc');
  if (o.step.loss !== 'softmax-cross-entropy') problems.push('train learns classes with --loss softmax-cross-entropy');
  if (o.model.batch === 'dynamic') problems.push('--batch must be a number for train');
  if (o.dataset.classes !== o.model.classes)
    problems.push(`--data ${o.dataset.source} has ${o.dataset.classes} classes, but --classes is ${o.model.classes}`);
  if (o.dataset.heldOut.size < 1) problems.push(`--data ${o.dataset.source} has no held-out images to measure accuracy on`);
  return problems;
}

/**
 * What this machine cannot give a training run, from the options alone: more threads than `maxThreads`, or more memory
 * than is available by `estimateMemory` of a training step (forward, backward, the optimizer's state and the `.next`
 * outputs). On cuda and webgpu only the host part is checked, as bench does.
 */
export function trainResourceProblem(o: TrainOptions, machine: Machine = thisMachine()): string | undefined {
  const max = maxThreads(machine.cores);
  if (o.threads > max) return `--threads ${o.threads} is more than this machine can use: at most ${max}`;
  const e = estimateMemory(o.model, o.step, { modes: ['train-step'], input: 'host', fetch: 'sum', optimizer: o.step.optimizer });
  const onGpu = o.ep === 'cuda' || o.ep === 'webgpu';
  const bytes = onGpu ? e.host : e.total;
  if (bytes <= machine.availableBytes) return undefined;
  const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
  return (
    `training --batch ${o.model.batch} --image-size ${o.model.imageSize} --classes ${o.model.classes} with ${o.step.optimizer.optimizer} needs about ` +
    `${gb(bytes)} of ${onGpu ? 'host ' : ''}memory (estimate), but this machine has ${gb(machine.availableBytes)} available: ` +
    'use a smaller --batch or --image-size'
  );
}
