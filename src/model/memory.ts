import type { AlexNetOptions } from './alexnet.js';
import { convOutputSizes, parameterShapes, weightBytes } from './layers.js';
import { type OptimizerKind, type OptimizerSettings, optimizerSlots } from './optimizer.js';
import type { TrainingOptions } from './training.js';

/**
 * How much memory a bench or a training run of the network needs, from its shapes alone: nothing is built. The terms
 * follow what a step holds (weights, activations, gradients, the session's copies, the host's copies of the model, the
 * images and the fetched outputs, a training step's optimizer state); their coefficients were fitted to the peak RSS
 * of onnxruntime-node's CPU EP (memory pattern off, as its sessions run) so that the estimate is a little above it
 * (docs/benchmarks.md, "Memory estimate vs measured peak RSS"). onnxruntime-web's WebAssembly needed less than the
 * estimate fitted before, so the estimate errs on the safe side there.
 */

/** What a bench times: the forward pass, forward and backward, or a training step (forward, backward and the optimizer's update). */
export type MemoryMode = 'forward' | 'forward-backward' | 'train-step';

/** What a bench does with the network, as far as memory goes. */
export interface MemoryPlan {
  /** The modes, in the order they run. */
  modes: readonly MemoryMode[];
  /** `device`: the images are stored in the model; `host`: fed every step from a host copy. */
  input: 'device' | 'host';
  /** What forward-backward fetches to the host: every gradient, or only their sum of squares. */
  fetch: 'grads' | 'sum';
  /** The training step's optimizer, whose state it holds: required with mode `train-step`. */
  optimizer?: OptimizerSettings;
}

/** Bytes, by what holds them, in the mode that needs the most. `host` is in this process on any EP; `session` is on the device of a GPU EP. */
export interface MemoryEstimate {
  /** The mode that needs the most. */
  mode: MemoryMode;
  /** Node, V8 and ONNX Runtime themselves. */
  runtime: number;
  /** The host's copies: the built weights and model bytes, the images, the fetched outputs. */
  hostCopies: number;
  /** The session's weights (its initializers and the kernels' prepacked copies), and the images with `input: 'device'`. */
  weights: number;
  /** Activations and the kernels' working buffers, held while a step runs (forward-backward keeps the forward's). */
  activations: number;
  /** The parameter gradients (forward-backward, train-step). */
  gradients: number;
  /** The training step's fed parameters and optimizer state, their `.next` outputs and the update's intermediates (train-step); their first values are in `hostCopies`. */
  state: number;
  /** `runtime + hostCopies`: host memory whatever the EP. */
  host: number;
  /** `weights + activations + gradients + state`: host memory on the CPU and WebAssembly EPs, GPU memory on cuda and webgpu. */
  session: number;
  /** `host + session`. */
  total: number;
}

const MB = 1e6;
/** Node with onnxruntime-node loaded and a bench's code running. */
const RUNTIME_BYTES = 250 * MB;
/** Host copies of the weights: the built arrays, the model's bytes, and its bytes again with the images in. */
const HOST_WEIGHT_COPIES = 3.5;
/** The session's copies of the weights: initializers and prepacked kernels (the backward reuses them transposed). */
const SESSION_WEIGHT_COPIES = { forward: 1.75, 'forward-backward': 2.25, 'train-step': 2.25 } as const;
/** Copies of the images: in the model (its bytes twice, and the session's initializer) or one fed tensor. */
const IMAGE_COPIES = { device: { host: 2, session: 1 }, host: { host: 1, session: 0 } } as const;
/** Copies of the gradients: the session's; with `--fetch grads` also ONNX Runtime's output values and their JS copies. */
const GRADIENT_COPIES = { grads: { host: 2.8, session: 1 }, sum: { host: 0, session: 1.2 } } as const;
/**
 * Copies of a training step's fed parameters and optimizer state: in the session, each input and its `.next` output,
 * both alive while a step runs; on the host, the first values (the weights of the seed and zeros).
 */
const STATE_COPIES = { session: 2, host: 1 } as const;
/**
 * Copies of the trained parameters that the update's intermediate tensors add at a training step's peak, by optimizer:
 * AdamW's update holds several full-size intermediates per parameter, SGD's fit in what the step has freed.
 */
const UPDATE_COPIES: Record<OptimizerKind, number> = { sgd: 0, adamw: 2.5 };
/** Copies of a fetched output on the host: ONNX Runtime's value and its JS copy. */
const OUTPUT_COPIES = 2;

/**
 * Activation bytes per byte of the layers' outputs (`outputs`), and extra per byte of the LRN layers' conv outputs
 * (`lrn`), by LRN formulation: the decomposed LRN and its gradient hold several tensors of that size, more with the
 * Conv data gradient than with ConvTranspose; the banded one fewest. A training step's forward and
 * backward hold what forward-backward's do.
 */
const FORWARD_BACKWARD_FACTORS = { outputs: 6, lrn: { op: 12, banded: 2.5, decomposed: { conv: 23, convtranspose: 9 } } } as const;
const ACTIVATION_FACTORS = {
  forward: { outputs: 1.5, lrn: { op: 1.5, banded: 1, decomposed: { conv: 14.5, convtranspose: 14.5 } } },
  'forward-backward': FORWARD_BACKWARD_FACTORS,
  'train-step': FORWARD_BACKWARD_FACTORS,
} as const;

/** Per image, in float32 elements: the network's input, every layer's output, the LRN layers' outputs, what forward fetches. */
interface ImageSizes {
  images: number;
  outputs: number;
  lrnOutputs: number;
  fetched: number;
}

function perImage(o: AlexNetOptions): ImageSizes {
  const convs = convOutputSizes(o.imageSize);
  const elements = convs.map((c) => c.layer.out * c.side ** 2);
  const fcWidths = parameterShapes(o)
    .filter((p) => p.name.startsWith('fc') && p.name.endsWith('.bias'))
    .map((p) => p.dims[0]!);
  const last = convs.at(-1)!;
  return {
    images: 3 * o.imageSize ** 2,
    outputs: [...elements, ...fcWidths].reduce((a, b) => a + b, 0),
    lrnOutputs: o.lrn === 'none' ? 0 : elements.filter((_, i) => convs[i]!.layer.lrn).reduce((a, b) => a + b, 0),
    fetched: o.head === 'fc' ? o.classes : last.layer.out * last.pooled ** 2,
  };
}

/** Bytes of the parameters whose gradients the training graph computes (`--wrt`). */
function gradientBytes(o: AlexNetOptions, t: TrainingOptions): number {
  return t.wrt === 'all' ? weightBytes(o) : weightBytes({ ...o, head: 'none' });
}

/**
 * Estimates the peak memory of benching the network with options `o` (a numeric batch), training options `t` and
 * `plan`: the mode that needs the most, plus the host copies of the weights that each mode before it built, which V8
 * may not have collected yet. A pure function of the options: cheap enough to call before anything is built.
 */
export function estimateMemory(o: AlexNetOptions, t: TrainingOptions, plan: MemoryPlan): MemoryEstimate {
  let peak: MemoryEstimate | undefined;
  let earlier = 0;
  for (const mode of plan.modes) {
    const e = modeMemory(o, t, mode, plan);
    const withEarlier = { ...e, hostCopies: e.hostCopies + earlier, host: e.host + earlier, total: e.total + earlier };
    if (!peak || withEarlier.total > peak.total) peak = withEarlier;
    earlier += HOST_WEIGHT_COPIES * weightBytes(o);
  }
  if (!peak) throw new Error('estimateMemory needs at least one mode');
  return peak;
}

function modeMemory(o: AlexNetOptions, t: TrainingOptions, mode: MemoryMode, plan: MemoryPlan): MemoryEstimate {
  const batch = o.batch === 'dynamic' ? 1 : o.batch;
  const size = perImage(o);
  const weights = weightBytes(o);
  const images = IMAGE_COPIES[plan.input];
  const factors = ACTIVATION_FACTORS[mode];
  const lrnFactor = o.lrnImpl === 'decomposed' ? factors.lrn.decomposed[t.convDataGrad] : factors.lrn[o.lrnImpl];
  const activations = 4 * batch * (factors.outputs * size.outputs + lrnFactor * size.lrnOutputs);
  let gradients = 0;
  let fetched = 4 * batch * size.fetched * OUTPUT_COPIES;
  let state = 0;
  let firstState = 0;
  if (mode === 'forward-backward') {
    const copies = GRADIENT_COPIES[plan.fetch];
    gradients = copies.session * gradientBytes(o, t);
    fetched = copies.host * gradientBytes(o, t);
  } else if (mode === 'train-step') {
    if (!plan.optimizer) throw new Error("estimateMemory: mode 'train-step' needs the plan's optimizer");
    // the gradients stay in the session (the update consumes them); what is fed and fetched is the state
    gradients = GRADIENT_COPIES.sum.session * gradientBytes(o, t);
    const fed = (1 + optimizerSlots(plan.optimizer).length) * gradientBytes(o, t);
    state = STATE_COPIES.session * fed + UPDATE_COPIES[plan.optimizer.optimizer] * gradientBytes(o, t);
    firstState = STATE_COPIES.host * fed;
  }
  const hostCopies = HOST_WEIGHT_COPIES * weights + 4 * batch * size.images * images.host + fetched + firstState;
  const sessionWeights = SESSION_WEIGHT_COPIES[mode] * weights + 4 * batch * size.images * images.session;
  const host = RUNTIME_BYTES + hostCopies;
  const session = sessionWeights + activations + gradients + state;
  return {
    mode,
    runtime: RUNTIME_BYTES,
    hostCopies,
    weights: sessionWeights,
    activations,
    gradients,
    state,
    host,
    session,
    total: host + session,
  };
}
