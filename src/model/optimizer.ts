import type { GraphBuilder } from '../onnx/builder.js';
import { DTYPES } from '../onnx/dtypes.js';
import { attr } from '../onnx/types.js';
import { nextName, OPTIMIZER_LAYER, STATE_SLOTS, type StateSlot, stateName, TRAIN_STEP_METADATA } from './names.js';

/**
 * Optimizers of the training step, written in standard ONNX operators with torch.optim's semantics, so that a step in
 * ONNX Runtime and a step of torch.optim from the same weights and data give the same parameters. One table holds, per
 * optimizer, its help, its hyperparameters' defaults (torch's, but SGD's momentum, which is the AlexNet paper's 0.9),
 * its state slots and the function that writes its update; the CLI options, the model metadata and the help are
 * derived from it. Hyperparameters are constants in the graph; the learning rate and the step are inputs.
 */

/** torch.optim.SGD with dampening 0: `d = g + wd*p`; `buf = momentum*buf + d`; nesterov: `d += momentum*buf`, else `d = buf`; `p -= lr*d`. */
export interface SgdSettings {
  optimizer: 'sgd';
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/** torch.optim.AdamW (amsgrad off): decoupled weight decay `p *= 1 - lr*wd`, then Adam with bias correction. */
export interface AdamWSettings {
  optimizer: 'adamw';
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** An optimizer and its hyperparameters. */
export type OptimizerSettings = SgdSettings | AdamWSettings;
/** The optimizers: `sgd`, `adamw`. */
export type OptimizerKind = OptimizerSettings['optimizer'];
/** A hyperparameter of some optimizer. */
export type Hyperparameter = Exclude<keyof SgdSettings | keyof AdamWSettings, 'optimizer'>;

/** A hyperparameter's command-line option, `metadata_props` key, help, and the values it may take. */
export interface HyperparameterSpec {
  option: string;
  metadata: string;
  type: 'number' | 'boolean';
  describe: string;
  /** What is wrong with a value, if anything. */
  problem?: (v: number) => string | undefined;
}

const rate = (v: number) => (v >= 0 && v < 1 ? undefined : 'must be in [0, 1)');
const nonNegative = (v: number) => (v >= 0 && Number.isFinite(v) ? undefined : 'must be a number >= 0');
const positive = (v: number) => (v > 0 && Number.isFinite(v) ? undefined : 'must be a number > 0');

/** Every hyperparameter, in the order `--help` lists them. */
export const HYPERPARAMETERS: Record<Hyperparameter, HyperparameterSpec> = {
  momentum: {
    option: 'momentum',
    metadata: 'alexnet.optimizer.momentum',
    type: 'number',
    describe: 'sgd: momentum factor; 0 is plain SGD, without state',
    problem: rate,
  },
  nesterov: { option: 'nesterov', metadata: 'alexnet.optimizer.nesterov', type: 'boolean', describe: 'sgd: Nesterov momentum' },
  weightDecay: {
    option: 'weight-decay',
    metadata: 'alexnet.optimizer.weightDecay',
    type: 'number',
    describe: 'sgd: L2 penalty added to the gradient; adamw: decoupled decay p *= 1 - lr*wd',
    problem: nonNegative,
  },
  beta1: { option: 'beta1', metadata: 'alexnet.optimizer.beta1', type: 'number', describe: 'adamw: decay of the mean', problem: rate },
  beta2: { option: 'beta2', metadata: 'alexnet.optimizer.beta2', type: 'number', describe: 'adamw: decay of the square', problem: rate },
  eps: { option: 'eps', metadata: 'alexnet.optimizer.eps', type: 'number', describe: 'adamw: added to the denominator', problem: positive },
};

/** The graph values an update reads: the scalar inputs, and each trained parameter with its gradient. */
export interface UpdateInputs {
  lr: string;
  step: string;
  params: { param: string; grad: string }[];
}

interface OptimizerSpec<S extends OptimizerSettings> {
  describe: string;
  defaults: S;
  /** The state slots of every trained parameter, in input order. */
  slots: (s: S) => StateSlot[];
  /** Writes the update: each parameter's and state tensor's `.next` output. */
  write: (b: GraphBuilder, s: S, inputs: UpdateInputs) => void;
}

/** The optimizer table. */
export const OPTIMIZERS: { sgd: OptimizerSpec<SgdSettings>; adamw: OptimizerSpec<AdamWSettings> } = {
  sgd: {
    describe: 'SGD with momentum (torch.optim.SGD, dampening 0)',
    defaults: { optimizer: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 },
    slots: (s) => (s.momentum > 0 ? [STATE_SLOTS.momentum] : []),
    write: writeSgd,
  },
  adamw: {
    describe: 'AdamW with bias correction (torch.optim.AdamW)',
    defaults: { optimizer: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 },
    slots: () => [STATE_SLOTS.expAvg, STATE_SLOTS.expAvgSq],
    write: writeAdamW,
  },
};

/** Every optimizer, in the table's order; the first is the default. */
export const OPTIMIZER_KINDS = Object.keys(OPTIMIZERS) as OptimizerKind[];

function specOf(s: OptimizerSettings): OptimizerSpec<OptimizerSettings> {
  return OPTIMIZERS[s.optimizer] as unknown as OptimizerSpec<OptimizerSettings>;
}

/** The hyperparameters an optimizer has. */
export function hyperparametersOf(kind: OptimizerKind): Hyperparameter[] {
  return Object.keys(OPTIMIZERS[kind].defaults).filter((k) => k !== 'optimizer') as Hyperparameter[];
}

/**
 * The settings of `kind` with the hyperparameters `given` (the rest from the table), or the problems, each naming the
 * option: a value out of range, a hyperparameter the optimizer does not have, Nesterov without momentum (as torch).
 */
export function optimizerSettings(
  kind: OptimizerKind,
  given: Partial<Record<Hyperparameter, number | boolean>> = {},
): { settings: OptimizerSettings; problems: string[] } {
  const own = hyperparametersOf(kind);
  const problems: string[] = [];
  const values: Record<string, unknown> = { ...OPTIMIZERS[kind].defaults };
  for (const [key, value] of Object.entries(given) as [Hyperparameter, number | boolean | undefined][]) {
    if (value === undefined) continue;
    const spec = HYPERPARAMETERS[key];
    if (!own.includes(key)) problems.push(`--${spec.option} is not a hyperparameter of --optimizer ${kind}`);
    else if (spec.type === 'number' && spec.problem?.(value as number))
      problems.push(`--${spec.option} ${spec.problem(value as number)}, got ${value}`);
    else values[key] = value;
  }
  const settings = values as unknown as OptimizerSettings;
  if (settings.optimizer === 'sgd' && settings.nesterov && settings.momentum === 0) problems.push('--nesterov needs a --momentum above 0');
  return { settings, problems };
}

/** The state slots of each trained parameter under these settings. */
export function optimizerSlots(s: OptimizerSettings): StateSlot[] {
  return specOf(s).slots(s);
}

/** The state tensors of the trained parameters, parameter by parameter: `conv1.weight.exp_avg`, `conv1.weight.exp_avg_sq`, ... */
export function stateNames(s: OptimizerSettings, params: readonly string[]): string[] {
  const slots = optimizerSlots(s);
  return params.flatMap((p) => slots.map((slot) => stateName(p, slot)));
}

/** The `metadata_props` that record the optimizer and every hyperparameter it has. */
export function optimizerMetadata(s: OptimizerSettings): Record<string, string> {
  const meta: Record<string, string> = { [TRAIN_STEP_METADATA.optimizer]: s.optimizer };
  for (const k of hyperparametersOf(s.optimizer)) meta[HYPERPARAMETERS[k].metadata] = String((s as unknown as Record<string, unknown>)[k]);
  return meta;
}

/** The optimizer a training step's `metadata_props` record, or undefined for a model without one. */
export function optimizerFromMetadata(meta: Record<string, string>): OptimizerSettings | undefined {
  const kind = meta[TRAIN_STEP_METADATA.optimizer] as OptimizerKind | undefined;
  if (!kind || !OPTIMIZER_KINDS.includes(kind)) return undefined;
  const values: Record<string, unknown> = { ...OPTIMIZERS[kind].defaults };
  for (const k of hyperparametersOf(kind)) {
    const v = meta[HYPERPARAMETERS[k].metadata];
    if (v !== undefined) values[k] = HYPERPARAMETERS[k].type === 'boolean' ? v === 'true' : Number(v);
  }
  return values as unknown as OptimizerSettings;
}

/** `sgd (momentum 0.9, nesterov false, weight decay 0)`: the settings, for reports. */
export function describeOptimizer(s: OptimizerSettings): string {
  const values = hyperparametersOf(s.optimizer).map(
    (k) => `${HYPERPARAMETERS[k].option.replace('-', ' ')} ${(s as unknown as Record<string, unknown>)[k]}`,
  );
  return `${s.optimizer} (${values.join(', ')})`;
}

/** Writes the update of every parameter in `inputs` into `b`; each new value is output as `<name>.next`. */
export function addOptimizer(b: GraphBuilder, s: OptimizerSettings, inputs: UpdateInputs): void {
  specOf(s).write(b, s, inputs);
}

/** The node name of an optimizer step: `optimizer.conv1.weight.momentum`. */
const nodeName = (...parts: string[]): string => [OPTIMIZER_LAYER, ...parts].join('.');

function writeSgd(b: GraphBuilder, s: SgdSettings, { lr, params }: UpdateInputs): void {
  for (const { param, grad } of params) {
    const name = (step: string, outputs?: string[]) => ({ name: nodeName(param, step), outputs });
    let d = grad;
    if (s.weightDecay > 0) {
      const decay = b.op1('Mul', [param, b.scalar(s.weightDecay)], {}, name('weight_decay'));
      d = b.op1('Add', [grad, decay], {}, name('decayed_grad'));
    }
    if (s.momentum > 0) {
      // torch starts the buffer at the first step's d; a zero buffer gives exactly that: momentum * 0 + d = d
      const buf = stateName(param, STATE_SLOTS.momentum);
      const kept = b.op1('Mul', [buf, b.scalar(s.momentum)], {}, name('momentum.scale'));
      const next = b.op1('Add', [kept, d], {}, name('momentum', [nextName(buf)]));
      d = s.nesterov
        ? b.op1('Add', [d, b.op1('Mul', [next, b.scalar(s.momentum)], {}, name('nesterov.scale'))], {}, name('nesterov'))
        : next;
    }
    const delta = b.op1('Mul', [d, lr], {}, name('delta'));
    b.op1('Sub', [param, delta], {}, name('update', [nextName(param)]));
  }
}

function writeAdamW(b: GraphBuilder, s: AdamWSettings, { lr, step, params }: UpdateInputs): void {
  const scalar = (op: string, inputs: string[], step: string) => b.op1(op, inputs, {}, { name: nodeName(step) });
  const t = b.op1('Cast', [step], { to: attr.int(DTYPES.float32.onnx) }, { name: nodeName('step.float') });
  const bc1 = scalar('Sub', [b.scalar(1), scalar('Pow', [b.scalar(s.beta1), t], 'beta1_pow')], 'bias_correction1');
  const bc2 = scalar('Sub', [b.scalar(1), scalar('Pow', [b.scalar(s.beta2), t], 'beta2_pow')], 'bias_correction2');
  const bc2Sqrt = scalar('Sqrt', [bc2], 'bias_correction2.sqrt');
  // torch: p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps); the same with both sides of the fraction times sqrt(bc2):
  // p -= (lr*sqrt(bc2)/bc1) * m / (sqrt(v) + eps*sqrt(bc2)), which leaves one full-size Div instead of two
  const stepSize = scalar('Div', [scalar('Mul', [lr, bc2Sqrt], 'lr_bias_correction2'), bc1], 'step_size');
  const eps = scalar('Mul', [b.scalar(s.eps), bc2Sqrt], 'eps');
  const decay = s.weightDecay > 0 ? scalar('Sub', [b.scalar(1), scalar('Mul', [lr, b.scalar(s.weightDecay)], 'lr_wd')], 'decay') : '';
  for (const { param, grad } of params) {
    const op = (type: string, inputs: string[], step: string, output?: string) =>
      b.op1(type, inputs, {}, { name: nodeName(param, step), outputs: output ? [output] : undefined });
    const m = stateName(param, STATE_SLOTS.expAvg);
    const v = stateName(param, STATE_SLOTS.expAvgSq);
    const decayed = decay ? op('Mul', [param, decay], 'decayed') : param;
    const mKept = op('Mul', [m, b.scalar(s.beta1)], 'exp_avg.kept');
    const mNew = op('Mul', [grad, b.scalar(1 - s.beta1)], 'exp_avg.new');
    const mNext = op('Add', [mKept, mNew], 'exp_avg', nextName(m));
    const vKept = op('Mul', [v, b.scalar(s.beta2)], 'exp_avg_sq.kept');
    const square = op('Mul', [grad, grad], 'grad_square');
    const vNew = op('Mul', [square, b.scalar(1 - s.beta2)], 'exp_avg_sq.new');
    const vNext = op('Add', [vKept, vNew], 'exp_avg_sq', nextName(v));
    const denom = op('Add', [op('Sqrt', [vNext], 'sqrt'), eps], 'denom');
    const delta = op('Mul', [op('Div', [mNext, denom], 'ratio'), stepSize], 'delta');
    op('Sub', [decayed, delta], 'update', nextName(param));
  }
}
