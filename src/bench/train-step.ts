import type { AlexNetOptions } from '../model/alexnet.js';
import { describeOptimizer, hyperparametersOf, OPTIMIZER_KINDS, type OptimizerSettings, optimizerSettings } from '../model/optimizer.js';
import type { TrainStepOptions } from '../model/train-step.js';
import type { LossKind, TrainingOptions } from '../model/training.js';
import { DEFAULT_BENCH_LR, type OptimizerReport, type TrainStepBench } from './types.js';

/**
 * The `train-step` mode's loss when `--loss` is not given, as `export --train-step` chooses it: softmax cross-entropy
 * with the FC head (class scores to learn from), the seeds' l2 without it.
 */
export function defaultTrainStepLoss(model: AlexNetOptions): LossKind {
  return model.head === 'fc' ? 'softmax-cross-entropy' : 'l2';
}

/** The `train-step` mode's defaults for a network: the optimizer table's first optimizer (sgd), `DEFAULT_BENCH_LR`. */
export function defaultTrainStepBench(model: AlexNetOptions): TrainStepBench {
  return { optimizer: optimizerSettings(OPTIMIZER_KINDS[0]!).settings, lr: DEFAULT_BENCH_LR, loss: defaultTrainStepLoss(model) };
}

/** The training-step graph's options for a bench: the bench's training options with the step's loss and optimizer. */
export function trainStepOptions(training: TrainingOptions, step: TrainStepBench): TrainStepOptions {
  return { ...training, loss: step.loss, optimizer: step.optimizer };
}

/** `weightDecay` -> `weight_decay`: the report's field names are snake_case. */
const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The optimizer in the JSON report: its kind, the learning rate, and every hyperparameter it has, in snake_case. */
export function optimizerReport(s: OptimizerSettings, lr: number): OptimizerReport {
  const values = s as unknown as Record<string, number | boolean>;
  const hyper = Object.fromEntries(hyperparametersOf(s.optimizer).map((k) => [snake(k), values[k]!]));
  return { kind: s.optimizer, lr, ...hyper };
}

/** `sgd (momentum 0.9, nesterov false, weight decay 0), lr 0.001`: the optimizer for the header and summary lines. */
export function describeTrainStep(s: OptimizerSettings, lr: number): string {
  return `${describeOptimizer(s)}, lr ${lr}`;
}

/** The options' `train-step` settings, or the defaults for their network where a library caller gave none. */
export function trainStepOf(o: { model: AlexNetOptions; trainStep?: TrainStepBench }): TrainStepBench {
  return o.trainStep ?? defaultTrainStepBench(o.model);
}
