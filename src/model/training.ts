import { addAll, addBackward } from '../autodiff/backward.js';
import type { GradRule } from '../autodiff/context.js';
import { convGradRule } from '../autodiff/conv-grad.js';
import { maxPoolGradRule } from '../autodiff/pool-grad.js';
import { reluPoolFold } from '../autodiff/relu-fold.js';
import { attr } from '../onnx/types.js';
import { type AlexNetGraph, type AlexNetOptions, buildAlexNet } from './alexnet.js';
import { assembleModel, type BuiltModel } from './built.js';
import { type BackwardFormulation, backwardMetadata, EXPORT_FORMULATION, type Formulation } from './formulation.js';
import { lrnGradients } from './lrn.js';
import { GRAD_SQ_SUM, IMAGES, LABELS, LOSS, SUM_SQ_SUFFIX } from './names.js';

/** `l2` = 0.5 * sum(output^2), tf.nn.l2_loss as in the seeds; `softmax-cross-entropy` = mean CE over `labels` (seed 004). */
export type LossKind = 'l2' | 'softmax-cross-entropy';
/** Every loss, in the order `--help` lists them. */
export const LOSSES: readonly LossKind[] = ['l2', 'softmax-cross-entropy'];

/** `conv`: the seeds' `parameters` list (conv weights and biases); `all` adds the FC layers. */
export type WrtKind = 'conv' | 'all';

/** Options of the training graph: the loss, what to differentiate, and the backward formulations. */
export interface TrainingOptions extends BackwardFormulation {
  loss: LossKind;
  wrt: WrtKind;
}

/** The seeds' training graph: l2 loss, gradients of the conv parameters, export's formulation. */
export const DEFAULT_TRAINING: TrainingOptions = {
  loss: 'l2',
  wrt: 'conv',
  maxpoolGrad: EXPORT_FORMULATION.maxpoolGrad,
  convWeightGrad: EXPORT_FORMULATION.convWeightGrad,
  convDataGrad: EXPORT_FORMULATION.convDataGrad,
};

/** `model` and `training` with every choice of formulation `f` applied: forward ones to the model, backward ones to training. */
export function withFormulation(
  model: AlexNetOptions,
  training: TrainingOptions,
  f: Formulation,
): { model: AlexNetOptions; training: TrainingOptions } {
  return {
    model: { ...model, lrnImpl: f.lrnImpl, dropoutImpl: f.dropoutImpl },
    training: { ...training, maxpoolGrad: f.maxpoolGrad, convWeightGrad: f.convWeightGrad, convDataGrad: f.convDataGrad },
  };
}

/** The formulation that `model` and `training` together describe. */
export function formulationOfOptions(model: AlexNetOptions, training: TrainingOptions): Formulation {
  const { lrnImpl, dropoutImpl } = model;
  const { maxpoolGrad, convWeightGrad, convDataGrad } = training;
  return { lrnImpl, dropoutImpl, maxpoolGrad, convWeightGrad, convDataGrad };
}

/** Problems with a training configuration, each naming the option. */
export function validateTraining(o: AlexNetOptions, t: TrainingOptions): string[] {
  const problems: string[] = [];
  if (t.loss === 'softmax-cross-entropy' && o.head !== 'fc')
    problems.push('--loss softmax-cross-entropy needs class scores: add --head fc');
  return problems;
}

/** The forward network with a loss and its backward pass added: what the training graph and the training step share. */
export interface TrainingGraph {
  net: AlexNetGraph;
  /** The scalar loss value. */
  loss: string;
  /** The parameters differentiated, in the seeds' order, and their gradients (`<param>_grad`) in the same order. */
  wrt: string[];
  grads: string[];
}

/**
 * Builds the forward network, adds the loss (and the `labels` input for cross-entropy) and the gradients of the loss
 * with respect to the parameters `training.wrt` names. Only the network's `output` is marked as a graph output.
 */
export function addTrainingGraph(options: AlexNetOptions, training: TrainingOptions): TrainingGraph {
  const problems = validateTraining(options, training);
  if (problems.length) throw new Error(problems.join('; '));
  const net = buildAlexNet(options);
  const b = net.builder;
  let loss: string;
  if (training.loss === 'l2') {
    const sumSq = b.op1('ReduceSumSquare', [net.output], { keepdims: attr.int(0) }, { name: 'loss.sum_sq' });
    loss = b.op1('Mul', [sumSq, b.scalar(0.5)], {}, { name: LOSS });
  } else {
    const batch = b.typeOf(IMAGES).shape[0]!;
    const labels = b.input(LABELS, { dtype: 'int64', shape: [batch] });
    loss = b.op('SoftmaxCrossEntropyLoss', [net.output, labels], { reduction: attr.string('mean') }, { name: LOSS, outputs: [LOSS] })[0]!;
  }
  const wrt = training.wrt === 'all' ? [...net.convParams, ...net.fcParams] : net.convParams;
  const poolRule = maxPoolGradRule(training.maxpoolGrad);
  const rules: Record<string, GradRule> = { MaxPool: poolRule, Conv: convGradRule(training.convWeightGrad, training.convDataGrad) };
  // the banded LRN's closed-form gradient, and the ReLU masks of conv1, conv2 and conv5 applied on the pooled tensors
  const composites = lrnGradients(b);
  const nodeRules = reluPoolFold(b, composites, poolRule);
  const grads = addBackward(b, { loss, wrt, rules, composites, nodeRules });
  return { net, loss, wrt, grads };
}

/** The `metadata_props` every graph with a loss and gradients records: the loss, `wrt` and the backward formulations. */
export function trainingMetadata(training: TrainingOptions): Record<string, string> {
  return { 'alexnet.loss': training.loss, 'alexnet.wrt': training.wrt, ...backwardMetadata(training) };
}

/**
 * The training graph: the forward network, the loss, and the gradients of the loss with respect to the chosen
 * parameters, all in standard ONNX operators. Outputs: `output`, `loss`, `<param>_grad` for each parameter, and
 * `grad_sq_sum` (the sum of squares of all gradients, so a benchmark can force the whole backward pass while copying
 * one scalar to the host). Initializers are exactly those of the forward export with the same options.
 */
export function buildTrainingModel(options: AlexNetOptions, training: TrainingOptions = DEFAULT_TRAINING): BuiltModel {
  const { net, loss, wrt, grads } = addTrainingGraph(options, training);
  const b = net.builder;
  const squares = grads.map((g) => b.op1('ReduceSumSquare', [g], { keepdims: attr.int(0) }, { name: `${g}${SUM_SQ_SUFFIX}` }));
  const gradSqSum = addAll(b, squares, GRAD_SQ_SUM, GRAD_SQ_SUM);
  b.output(loss);
  for (const g of grads) b.output(g);
  b.output(gradSqSum);
  const graph = b.build();
  graph.name = 'alexnet_training';
  return assembleModel(graph, options, 'training', net.activations, [...net.convParams, ...net.fcParams], {
    ...trainingMetadata(training),
    'alexnet.gradients': wrt.join(','),
  });
}
