import { addAll, addBackward } from '../autodiff/backward.js';
import { convGradRule, MAXPOOL_MASK_RULE, type GradRule } from '../autodiff/rules.js';
import { attr } from '../onnx/types.js';
import { buildAlexNet, type AlexNetOptions } from './alexnet.js';
import { finish, type BuiltModel } from './export.js';

/** `l2` = 0.5 * sum(output^2), tf.nn.l2_loss as in the seeds; `softmax-cross-entropy` = mean CE over `labels` (seed 004). */
export type LossKind = 'l2' | 'softmax-cross-entropy';
export const LOSSES: readonly LossKind[] = ['l2', 'softmax-cross-entropy'];

/** `conv`: the seeds' `parameters` list (conv weights and biases); `all` adds the FC layers. */
export type WrtKind = 'conv' | 'all';

/**
 * How the MaxPool gradient is written: `scatter` (MaxPool's Indices output + ScatterElements with reduction=add),
 * or `mask` (equality masks and a grouped ConvTranspose), for EPs whose MaxPool has no Indices output (WebGPU).
 */
export type MaxPoolGrad = 'scatter' | 'mask';

/**
 * How conv weight gradients are written: `conv` (a Conv over batch-transposed tensors, every layer) or `matmul`
 * (one MatMul per kernel offset for layers with >= 16 input channels: faster on the CPU EP).
 */
export type ConvWeightGrad = 'conv' | 'matmul';

/**
 * How conv data (input) gradients are written: `convtranspose` (every layer) or `conv` (a Conv of the output gradient
 * with the flipped, channel-swapped weights, for stride-1 layers: faster on the CPU EP; strided layers keep
 * ConvTranspose).
 */
export type ConvDataGrad = 'convtranspose' | 'conv';

export interface TrainingOptions {
  loss: LossKind;
  wrt: WrtKind;
  maxpoolGrad: MaxPoolGrad;
  convWeightGrad: ConvWeightGrad;
  convDataGrad: ConvDataGrad;
}

export const DEFAULT_TRAINING: TrainingOptions = { loss: 'l2', wrt: 'conv', maxpoolGrad: 'scatter', convWeightGrad: 'conv', convDataGrad: 'convtranspose' };

/** Problems with a training configuration, each naming the option. */
export function validateTraining(o: AlexNetOptions, t: TrainingOptions): string[] {
  const problems: string[] = [];
  if (t.loss === 'softmax-cross-entropy' && o.head !== 'fc') problems.push('--loss softmax-cross-entropy needs class scores: add --head fc');
  return problems;
}

/**
 * The training graph: the forward network, the loss, and the gradients of the loss with respect to the chosen
 * parameters, all in standard ONNX operators. Outputs: `output`, `loss`, `<param>_grad` for each parameter, and
 * `grad_sq_sum` (the sum of squares of all gradients, so a benchmark can force the whole backward pass while copying
 * one scalar to the host). Initializers are exactly those of the forward export with the same options.
 */
export function buildTrainingModel(options: AlexNetOptions, training: TrainingOptions = DEFAULT_TRAINING): BuiltModel {
  const problems = validateTraining(options, training);
  if (problems.length) throw new Error(problems.join('; '));
  const net = buildAlexNet(options);
  const b = net.builder;
  let loss: string;
  if (training.loss === 'l2') {
    const sumSq = b.op1('ReduceSumSquare', [net.output], { keepdims: attr.int(0) }, { name: 'loss.sum_sq' });
    loss = b.op1('Mul', [sumSq, b.scalar(0.5)], {}, { name: 'loss' });
  } else {
    const batch = b.typeOf('images').shape[0]!;
    const labels = b.input('labels', { dtype: 'int64', shape: [batch] });
    loss = b.op('SoftmaxCrossEntropyLoss', [net.output, labels], { reduction: attr.string('mean') }, { name: 'loss', outputs: ['loss'] })[0]!;
  }
  const wrt = training.wrt === 'all' ? [...net.convParams, ...net.fcParams] : net.convParams;
  const rules: Record<string, GradRule> = {};
  if (training.maxpoolGrad === 'mask') rules.MaxPool = MAXPOOL_MASK_RULE;
  rules.Conv = convGradRule(training.convWeightGrad, training.convDataGrad);
  const grads = addBackward(b, { loss, wrt, rules });
  const squares = grads.map((g) => b.op1('ReduceSumSquare', [g], { keepdims: attr.int(0) }, { name: `${g}.sum_sq` }));
  const gradSqSum = addAll(b, squares, 'grad_sq_sum', 'grad_sq_sum');
  b.output(loss);
  for (const g of grads) b.output(g);
  b.output(gradSqSum);
  const graph = b.build();
  graph.name = 'alexnet_training';
  return finish(graph, options, 'training', net.activations, [...net.convParams, ...net.fcParams], {
    'alexnet.loss': training.loss,
    'alexnet.wrt': training.wrt,
    'alexnet.maxpoolGrad': training.maxpoolGrad,
    'alexnet.convWeightGrad': training.convWeightGrad,
    'alexnet.convDataGrad': training.convDataGrad,
    'alexnet.gradients': wrt.join(','),
  });
}
