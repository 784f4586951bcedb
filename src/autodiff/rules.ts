import { channelWindowSum, reshapeLike } from '../onnx/compose.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { attr, type Attribute, type Node } from '../onnx/types.js';

/**
 * What a gradient rule sees, in ONNX Runtime's gradient-builder terms: I(i) forward input, O(i) forward output,
 * GO(i) gradient flowing into output i, GI(i) the name the rule must give the gradient of input i.
 */
export interface GradContext {
  b: GraphBuilder;
  node: Node;
  I(i: number): string;
  O(i: number): string;
  GO(i: number): string;
  GI(i: number): string;
  /** Whether the gradient of input i is wanted (rules compute only those). */
  needs(i: number): boolean;
  /** A unique node name for a backward node of this forward node. */
  name(step: string): string;
  ints(attrName: string, fallback?: number[]): number[];
  int(attrName: string, fallback?: number): number;
  float(attrName: string, fallback?: number): number;
  string(attrName: string, fallback?: string): string;
  /** Values of a constant input (an initializer); throws if input i is computed. */
  constant(i: number): number[];
}

/** A gradient rule, and the optional second forward output it reads (the forward node is made to produce it). */
export interface GradRule {
  /** Name suffix for the node's output 1 that the rule reads: MaxPool's Indices, Dropout's mask, SCE's log_prob. */
  readsOutput1?: string;
  grad(g: GradContext): void;
}

const ZERO = (g: GradContext): string => g.b.scalar(0);

/**
 * Operators whose outputs carry no gradient to their inputs: comparisons (boolean outputs) and random draws that
 * read only their input's shape. The backward pass treats their outputs as constants.
 */
export const NO_GRADIENT_OPS: ReadonlySet<string> = new Set(['RandomUniformLike', 'Less', 'Greater', 'Equal', 'Shape']);

/** Emits an op whose single output is the gradient of input i. */
function emitGI(g: GradContext, i: number, opType: string, inputs: string[], attrs: Record<string, Attribute> = {}): void {
  g.b.op1(opType, inputs, attrs, { name: g.name(`d${i}`), outputs: [g.GI(i)] });
}

/**
 * Emits `opType(inputs)` as the gradient of input i, summed back to input i's shape where the forward op broadcast
 * it (elementwise ops with a scalar or per-channel operand).
 */
function emitUnbroadcast(g: GradContext, i: number, opType: string, inputs: string[]): void {
  const target = g.b.typeOf(g.I(i)).shape;
  const have = g.b.typeOf(g.node.outputs[0]!).shape;
  if (target.length === have.length && target.every((d, k) => d === have[k])) {
    emitGI(g, i, opType, inputs);
    return;
  }
  const grad = g.b.op1(opType, inputs, {}, { name: g.name(`full${i}`) });
  const offset = have.length - target.length;
  const axes: number[] = [];
  have.forEach((d, k) => {
    if (k < offset || (target[k - offset] === 1 && d !== 1)) axes.push(k);
  });
  const summed = g.b.op1('ReduceSum', [grad, g.b.int64s(axes)], { keepdims: attr.int(1) }, { name: g.name(`sum${i}`) });
  emitGI(g, i, 'Reshape', [summed, g.b.int64s(target.map(Number))]);
}

/**
 * The Conv gradient: data gradient as a ConvTranspose (`convtranspose`) or, for stride-1 layers, as a Conv of dY with
 * the flipped, channel-swapped weights (`conv`); weight gradient as a transposed Conv (`conv`) or per-offset MatMuls
 * (`matmul`). The same math written with other operators, for the EPs where one is faster.
 */
export function convGradRule(weightGrad: 'conv' | 'matmul', dataGrad: 'convtranspose' | 'conv'): GradRule {
  return {
    grad: (g) => {
      const [x, w] = [g.I(0), g.I(1)];
      const dy = g.GO(0);
      const k = g.b.staticShape(w).slice(2);
      const strides = g.ints('strides', [1, 1]);
      const pads = g.ints('pads', [0, 0, 0, 0]);
      requireDefault(g, 'dilations', [1, 1], g.ints('dilations', [1, 1]));
      requireDefault(g, 'group', 1, g.int('group', 1));
      const inSize = g.b.typeOf(x).shape.slice(2) as number[];
      const outSize = g.b.typeOf(dy).shape.slice(2) as number[];
      // dX[q] = sum_j dY[q + j - (k-1-pad_begin)] * W[k-1-j]: a correlation with the flipped kernel, padded
      // k-1-pad on each side, which holds for stride 1 and pads up to k-1
      const flippedPads = pads.map((p, a) => k[a % 2]! - 1 - p);
      if (g.needs(0) && dataGrad === 'conv' && strides.every((s) => s === 1) && flippedPads.every((p) => p >= 0)) {
        const wt = g.b.op1('Transpose', [w], { perm: attr.ints([1, 0, 2, 3]) }, { name: g.name('w_t') });
        const end = -(2 ** 62);
        const flipped = g.b.op1('Slice', [wt, g.b.int64s([-1, -1]), g.b.int64s([end, end]), g.b.int64s([2, 3]), g.b.int64s([-1, -1])], {}, { name: g.name('w_flip') });
        emitGI(g, 0, 'Conv', [dy, flipped], { kernel_shape: attr.ints(k), pads: attr.ints(flippedPads) });
      } else if (g.needs(0)) {
        // ConvTranspose gives stride*(out-1) + k - pads; output_padding restores the rows a strided conv skipped.
        const outputPadding = inSize.map((s, a) => s - (strides[a]! * (outSize[a]! - 1) + k[a]! - pads[a]! - pads[a + 2]!));
        emitGI(g, 0, 'ConvTranspose', [dy, w], {
          kernel_shape: attr.ints(k),
          strides: attr.ints(strides),
          pads: attr.ints(pads),
          output_padding: attr.ints(outputPadding),
        });
      }
      if (g.needs(1)) {
        const channels = g.b.staticShape(w)[1]!;
        if (weightGrad === 'matmul' && channels >= MATMUL_WEIGHT_GRAD_MIN_CHANNELS) weightGradMatMul(g, k, strides, pads, outSize);
        else weightGradConv(g, k, strides, pads, outSize);
      }
      if (g.needs(2)) emitGI(g, 2, 'ReduceSum', [dy, g.b.int64s([0, 2, 3])], { keepdims: attr.int(0) });
    },
  };
}

/**
 * The weight gradient dW[m,c,i,j] = sum over n,p,q of dY[n,m,p,q] * Xpad[n,c,s*p+i,s*q+j] has two formulations.
 * Measured on the CPU EP (2-core EPYC, batch 8 and 32): the per-offset MatMul is 1.5-2x faster than the transposed
 * Conv for conv2-conv5 (64-384 input channels), and about 5x slower for conv1 (3 input channels, 121 offsets of a
 * 3-column product), so `matmul` applies to layers with at least this many input channels. On the WebGPU EP
 * (ONNX Runtime 1.29 over lavapipe) the MatMul formulation crashed the process, so bench uses it on the CPU EP only.
 */
const MATMUL_WEIGHT_GRAD_MIN_CHANNELS = 16;

/** dW as a Conv over batch-transposed tensors: X^T (batch C, channels N) correlated with dY^T dilated by the stride. */
function weightGradConv(g: GradContext, k: number[], strides: number[], pads: number[], outSize: number[]): void {
  const b = g.b;
  const xt = b.op1('Transpose', [g.I(0)], { perm: attr.ints([1, 0, 2, 3]) }, { name: g.name('x_t') });
  const dyt = b.op1('Transpose', [g.GO(0)], { perm: attr.ints([1, 0, 2, 3]) }, { name: g.name('dy_t') });
  let dwt = b.op1('Conv', [xt, dyt], { pads: attr.ints(pads), dilations: attr.ints(strides), kernel_shape: attr.ints(outSize) }, { name: g.name('dw_t') });
  const got = b.staticShape(dwt).slice(2);
  if (got[0] !== k[0] || got[1] !== k[1]) {
    // Rows the strided forward conv never reached come out as extra taps; they are not weights.
    dwt = b.op1('Slice', [dwt, b.int64s([0, 0]), b.int64s(k), b.int64s([2, 3])], {}, { name: g.name('dw_crop') });
  }
  emitGI(g, 1, 'Transpose', [dwt], { perm: attr.ints([1, 0, 2, 3]) });
}

/** dW one kernel offset at a time: dY as [M, N*P] times the strided slice of padded X (NHWC) as [N*P, C]. */
function weightGradMatMul(g: GradContext, k: number[], strides: number[], pads: number[], outSize: number[]): void {
  const b = g.b;
  const [m, c] = b.staticShape(g.I(1));
  let x = g.I(0);
  if (pads.some((p) => p !== 0)) x = b.op1('Pad', [x, b.int64s([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!])], {}, { name: g.name('x_pad') });
  const xn = b.op1('Transpose', [x], { perm: attr.ints([0, 2, 3, 1]) }, { name: g.name('x_nhwc') });
  const dyt = b.op1('Transpose', [g.GO(0)], { perm: attr.ints([1, 0, 2, 3]) }, { name: g.name('dy_t') });
  const dym = b.op1('Reshape', [dyt, b.int64s([m!, -1])], {}, { name: g.name('dy_mat') });
  const parts: string[] = [];
  for (let i = 0; i < k[0]!; i++) {
    for (let j = 0; j < k[1]!; j++) {
      const ends = b.int64s([i + strides[0]! * (outSize[0]! - 1) + 1, j + strides[1]! * (outSize[1]! - 1) + 1]);
      const slice = b.op1('Slice', [xn, b.int64s([i, j]), ends, b.int64s([1, 2]), b.int64s(strides)], {}, { name: g.name(`x_${i}_${j}`) });
      const cols = b.op1('Reshape', [slice, b.int64s([-1, c!])], {}, { name: g.name(`cols_${i}_${j}`) });
      const prod = b.op1('MatMul', [dym, cols], {}, { name: g.name(`dw_${i}_${j}`) });
      parts.push(b.op1('Unsqueeze', [prod, b.int64s([2])], {}, { name: g.name(`dw_${i}_${j}_u`) }));
    }
  }
  const stacked = b.op1('Concat', parts, { axis: attr.int(2) }, { name: g.name('dw_taps') });
  emitGI(g, 1, 'Reshape', [stacked, b.int64s([m!, c!, k[0]!, k[1]!])]);
}

function requireDefault(g: GradContext, name: string, expected: number[] | number, actual: number[] | number): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new Error(`gradient of ${g.node.opType} ${g.node.name}: only ${name}=${JSON.stringify(expected)} is supported, got ${JSON.stringify(actual)}`);
  }
}

/**
 * Every gradient rule, one per operator. Rules use standard ONNX operators only: ORT's training kernels (ConvGrad,
 * MaxPoolGrad, ...) are not in the onnxruntime-node/web builds.
 */
export const GRAD_RULES: Record<string, GradRule> = {
  Identity: { grad: (g) => emitGI(g, 0, 'Identity', [g.GO(0)]) },

  Relu: {
    // y > 0 exactly where x > 0, so the mask comes from the output the forward pass already has.
    grad: (g) => {
      const positive = g.b.op1('Greater', [g.O(0), ZERO(g)], {}, { name: g.name('mask') });
      emitGI(g, 0, 'Where', [positive, g.GO(0), ZERO(g)]);
    },
  },

  Conv: convGradRule('conv', 'convtranspose'),

  LRN: {
    // y = x * N^-beta, N = bias + alpha/size * window_sum(x^2):
    // dx = dy * N^-beta - (2*alpha*beta/size) * x * window_sum(dy * y / N)
    grad: (g) => {
      const size = g.int('size');
      const alpha = g.float('alpha', 1e-4);
      const beta = g.float('beta', 0.75);
      const bias = g.float('bias', 1);
      const [x, y, dy] = [g.I(0), g.O(0), g.GO(0)];
      const b = g.b;
      const sq = b.op1('Mul', [x, x], {}, { name: g.name('x2') });
      const win = channelWindowSum(b, sq, size, g.name('sum_x2'));
      const n = b.op1('Add', [b.op1('Mul', [win, b.scalar(alpha / size)], {}, { name: g.name('scale') }), b.scalar(bias)], {}, { name: g.name('norm') });
      const nPow = b.op1('Pow', [n, b.scalar(-beta)], {}, { name: g.name('norm_pow') });
      const direct = b.op1('Mul', [dy, nPow], {}, { name: g.name('direct') });
      const ratio = b.op1('Div', [b.op1('Mul', [dy, y], {}, { name: g.name('dy_y') }), n], {}, { name: g.name('dy_y_over_n') });
      const cross = channelWindowSum(b, ratio, size, g.name('sum_ratio'));
      const coupled = b.op1('Mul', [b.op1('Mul', [x, cross], {}, { name: g.name('x_cross') }), b.scalar((2 * alpha * beta) / size)], {}, { name: g.name('coupled') });
      emitGI(g, 0, 'Sub', [direct, coupled]);
    },
  },

  MaxPool: {
    readsOutput1: 'indices',
    // Overlapping 3x3/2 windows: one input can be the max of several windows, so gradients must add up
    // (ScatterElements with reduction='add'); MaxUnpool would keep only one of them.
    grad: (g) => {
      requireDefault(g, 'storage_order', 0, g.int('storage_order', 0));
      const b = g.b;
      const x = g.I(0);
      const flatIdx = b.op1('Reshape', [g.O(1), b.int64s([-1])], {}, { name: g.name('idx_flat') });
      const flatDy = b.op1('Reshape', [g.GO(0), b.int64s([-1])], {}, { name: g.name('dy_flat') });
      const zeros = b.op1('ConstantOfShape', [b.op1('Shape', [x], {}, { name: g.name('shape') })], {}, { name: g.name('zeros') });
      const flatZeros = b.op1('Reshape', [zeros, b.int64s([-1])], {}, { name: g.name('zeros_flat') });
      const scattered = b.op1('ScatterElements', [flatZeros, flatIdx, flatDy], { axis: attr.int(0), reduction: attr.string('add') }, { name: g.name('scatter') });
      reshapeLike(b, scattered, x, g.name('d0'), g.GI(0));
    },
  },

  Dropout: {
    readsOutput1: 'mask',
    // Reuses the forward mask: the gradient is zero exactly where the forward pass dropped a value.
    grad: (g) => {
      const ratio = g.node.inputs[1] ? g.constant(1)[0]! : 0.5;
      const kept = g.b.op1('Where', [g.O(1), g.GO(0), ZERO(g)], {}, { name: g.name('masked') });
      emitGI(g, 0, 'Mul', [kept, g.b.scalar(1 / (1 - ratio))]);
    },
  },

  Where: {
    // The condition selects which branch each element's gradient flows to.
    grad: (g) => {
      if (g.needs(1)) emitUnbroadcast(g, 1, 'Where', [g.I(0), g.GO(0), ZERO(g)]);
      if (g.needs(2)) emitUnbroadcast(g, 2, 'Where', [g.I(0), ZERO(g), g.GO(0)]);
    },
  },

  Flatten: { grad: (g) => void reshapeLike(g.b, g.GO(0), g.I(0), g.name('d0'), g.GI(0)) },
  Reshape: { grad: (g) => void reshapeLike(g.b, g.GO(0), g.I(0), g.name('d0'), g.GI(0)) },

  Gemm: {
    grad: (g) => {
      requireDefault(g, 'transA', 0, g.int('transA', 0));
      requireDefault(g, 'transB', 0, g.int('transB', 0));
      requireDefault(g, 'alpha', 1, g.float('alpha', 1));
      requireDefault(g, 'beta', 1, g.float('beta', 1));
      const dy = g.GO(0);
      if (g.needs(0)) emitGI(g, 0, 'Gemm', [dy, g.I(1)], { transB: attr.int(1) });
      if (g.needs(1)) emitGI(g, 1, 'Gemm', [g.I(0), dy], { transA: attr.int(1) });
      if (g.needs(2)) emitUnbroadcast(g, 2, 'Identity', [dy]);
    },
  },

  Add: {
    grad: (g) => {
      for (const i of [0, 1]) if (g.needs(i)) emitUnbroadcast(g, i, 'Identity', [g.GO(0)]);
    },
  },

  Sub: {
    grad: (g) => {
      if (g.needs(0)) emitUnbroadcast(g, 0, 'Identity', [g.GO(0)]);
      if (g.needs(1)) emitUnbroadcast(g, 1, 'Neg', [g.GO(0)]);
    },
  },

  Mul: {
    grad: (g) => {
      for (const i of [0, 1]) {
        if (!g.needs(i)) continue;
        emitUnbroadcast(g, i, 'Mul', [g.GO(0), g.I(1 - i)]);
      }
    },
  },

  Pow: {
    grad: (g) => {
      if (g.needs(1)) throw new Error(`gradient of Pow ${g.node.name} with respect to its exponent is not supported`);
      const e = g.constant(1);
      if (e.length !== 1) throw new Error(`gradient of Pow ${g.node.name}: exponent must be a scalar constant`);
      const p = g.b.op1('Pow', [g.I(0), g.b.scalar(e[0]! - 1)], {}, { name: g.name('pow') });
      const scaled = g.b.op1('Mul', [p, g.b.scalar(e[0]!)], {}, { name: g.name('scaled') });
      emitUnbroadcast(g, 0, 'Mul', [g.GO(0), scaled]);
    },
  },

  ReduceSumSquare: {
    grad: (g) => {
      if (g.int('keepdims', 1) !== 0 || g.node.attributes.axes) throw new Error(`gradient of ReduceSumSquare ${g.node.name}: only a full reduction with keepdims=0 is supported`);
      const twice = g.b.op1('Mul', [g.I(0), g.b.scalar(2)], {}, { name: g.name('twice') });
      emitGI(g, 0, 'Mul', [twice, g.GO(0)]);
    },
  },

  SoftmaxCrossEntropyLoss: {
    readsOutput1: 'log_prob',
    // d(mean CE)/dlogits = (softmax(logits) - onehot(labels)) / N
    grad: (g) => {
      if (g.string('reduction', 'mean') !== 'mean') throw new Error(`gradient of SoftmaxCrossEntropyLoss ${g.node.name}: only reduction='mean' is supported`);
      const b = g.b;
      const [batch, classes] = b.typeOf(g.I(0)).shape;
      if (typeof classes !== 'number') throw new Error(`${g.node.name}: class dimension must be static`);
      const prob = b.op1('Exp', [g.O(1)], {}, { name: g.name('prob') });
      const onehot = b.op1('OneHot', [g.I(1), b.int64s([classes]), b.constant('float32', [2], [0, 1])], { axis: attr.int(-1) }, { name: g.name('onehot') });
      const diff = b.op1('Sub', [prob, onehot], {}, { name: g.name('diff') });
      let count: string;
      if (typeof batch === 'number') count = b.scalar(batch);
      else {
        const n = b.op1('Gather', [b.op1('Shape', [g.I(0)], {}, { name: g.name('shape') }), b.constant('int64', [], [0])], { axis: attr.int(0) }, { name: g.name('n') });
        count = b.op1('Cast', [n], { to: attr.int(1) }, { name: g.name('n_float') });
      }
      const scale = b.op1('Div', [g.GO(0), count], {}, { name: g.name('scale') });
      emitGI(g, 0, 'Mul', [diff, scale]);
    },
  },
};

/** Alternative MaxPool gradient for EPs whose MaxPool has no Indices output (WebGPU): see `maxPoolGradMask`. */
export const MAXPOOL_MASK_RULE: GradRule = {
  grad: (g) => maxPoolGradMask(g),
};

/**
 * MaxPool gradient from equality masks, using only Slice/Equal/Where/Concat/ConvTranspose:
 * for each window offset (i, j) in row-major order, the window's gradient goes to the first position equal to the
 * window max (PyTorch's and ORT's tie rule: several zeros after a ReLU are common). The per-offset gradients are
 * placed back with one grouped ConvTranspose (stride = pool stride, one-hot 3x3 kernels), which also adds up the
 * contributions of overlapping windows.
 */
function maxPoolGradMask(g: GradContext): void {
  const b = g.b;
  const [x, dy] = [g.I(0), g.GO(0)];
  const [kh, kw] = g.ints('kernel_shape');
  const [sh, sw] = g.ints('strides', [1, 1]);
  requireDefault(g, 'pads', [0, 0, 0, 0], g.ints('pads', [0, 0, 0, 0]));
  const [, c, h, w] = b.typeOf(x).shape as [unknown, number, number, number];
  const [, , oh, ow] = b.typeOf(dy).shape as [unknown, number, number, number];
  // The window max is recomputed with elementwise Max over the strided slices rather than read from the MaxPool
  // output: on WebGPU, ORT runs MaxPool in NHWC, and comparing against its output leaves bool Transposes on the CPU.
  const windows: string[] = [];
  for (let i = 0; i < kh!; i++) {
    for (let j = 0; j < kw!; j++) {
      const ends = b.int64s([i + sh! * (oh - 1) + 1, j + sw! * (ow - 1) + 1]);
      windows.push(b.op1('Slice', [x, b.int64s([i, j]), ends, b.int64s([2, 3]), b.int64s([sh!, sw!])], {}, { name: g.name(`win${i}${j}`) }));
    }
  }
  const max = b.op1('Max', windows, {}, { name: g.name('max') });
  const parts: string[] = [];
  // `free`: no earlier offset in this window held the max. And/Not only: the WebGPU EP has no Or kernel.
  let free: string | undefined;
  windows.forEach((window, k) => {
    const isMax = b.op1('Equal', [window, max], {}, { name: g.name(`eq${k}`) });
    const first = free ? b.op1('And', [isMax, free], {}, { name: g.name(`first${k}`) }) : isMax;
    if (k < windows.length - 1) {
      const notMax = b.op1('Not', [isMax], {}, { name: g.name(`not${k}`) });
      free = free ? b.op1('And', [free, notMax], {}, { name: g.name(`free${k}`) }) : notMax;
    }
    const part = b.op1('Where', [first, dy, ZERO(g)], {}, { name: g.name(`grad${k}`) });
    parts.push(b.op1('Unsqueeze', [part, b.int64s([2])], {}, { name: g.name(`unsq${k}`) }));
  });
  const stacked = b.op1('Concat', parts, { axis: attr.int(2) }, { name: g.name('stack') });
  const taps = kh! * kw!;
  const grouped = b.op1('Reshape', [stacked, b.int64s([0, c * taps, oh, ow])], {}, { name: g.name('group') });
  const kernel: number[] = [];
  for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) for (let p = 0; p < taps; p++) kernel.push(p === t ? 1 : 0);
  const weight = b.constant('float32', [c * taps, 1, kh!, kw!], kernel);
  const covered = [sh! * (oh - 1) + kh!, sw! * (ow - 1) + kw!];
  emitGI(g, 0, 'ConvTranspose', [grouped, weight], {
    group: attr.int(c),
    kernel_shape: attr.ints([kh!, kw!]),
    strides: attr.ints([sh!, sw!]),
    output_padding: attr.ints([h - covered[0]!, w - covered[1]!]),
  });
}
