import { channelWindowSum, reshapeLike } from '../onnx/compose.js';
import { attr } from '../onnx/types.js';
import { emitGI, emitUnbroadcast, type GradContext, type GradRule, requireDefault } from './context.js';
import { convGradRule } from './conv-grad.js';

const ZERO = (g: GradContext): string => g.b.scalar(0);

/**
 * Operators whose outputs carry no gradient to their inputs: comparisons (boolean outputs) and random draws that
 * read only their input's shape. The backward pass treats their outputs as constants.
 */
export const NO_GRADIENT_OPS: ReadonlySet<string> = new Set(['RandomUniformLike', 'Less', 'Greater', 'Equal', 'Shape']);

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
      const n = b.op1(
        'Add',
        [b.op1('Mul', [win, b.scalar(alpha / size)], {}, { name: g.name('scale') }), b.scalar(bias)],
        {},
        { name: g.name('norm') },
      );
      const nPow = b.op1('Pow', [n, b.scalar(-beta)], {}, { name: g.name('norm_pow') });
      const direct = b.op1('Mul', [dy, nPow], {}, { name: g.name('direct') });
      const ratio = b.op1('Div', [b.op1('Mul', [dy, y], {}, { name: g.name('dy_y') }), n], {}, { name: g.name('dy_y_over_n') });
      const cross = channelWindowSum(b, ratio, size, g.name('sum_ratio'));
      const coupled = b.op1(
        'Mul',
        [b.op1('Mul', [x, cross], {}, { name: g.name('x_cross') }), b.scalar((2 * alpha * beta) / size)],
        {},
        { name: g.name('coupled') },
      );
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
      const scattered = b.op1(
        'ScatterElements',
        [flatZeros, flatIdx, flatDy],
        { axis: attr.int(0), reduction: attr.string('add') },
        { name: g.name('scatter') },
      );
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
      if (g.int('keepdims', 1) !== 0 || g.node.attributes.axes)
        throw new Error(`gradient of ReduceSumSquare ${g.node.name}: only a full reduction with keepdims=0 is supported`);
      const twice = g.b.op1('Mul', [g.I(0), g.b.scalar(2)], {}, { name: g.name('twice') });
      emitGI(g, 0, 'Mul', [twice, g.GO(0)]);
    },
  },

  SoftmaxCrossEntropyLoss: {
    readsOutput1: 'log_prob',
    // d(mean CE)/dlogits = (softmax(logits) - onehot(labels)) / N
    grad: (g) => {
      if (g.string('reduction', 'mean') !== 'mean')
        throw new Error(`gradient of SoftmaxCrossEntropyLoss ${g.node.name}: only reduction='mean' is supported`);
      const b = g.b;
      const [batch, classes] = b.typeOf(g.I(0)).shape;
      if (typeof classes !== 'number') throw new Error(`${g.node.name}: class dimension must be static`);
      const prob = b.op1('Exp', [g.O(1)], {}, { name: g.name('prob') });
      const onehot = b.op1(
        'OneHot',
        [g.I(1), b.int64s([classes]), b.constant('float32', [2], [0, 1])],
        { axis: attr.int(-1) },
        { name: g.name('onehot') },
      );
      const diff = b.op1('Sub', [prob, onehot], {}, { name: g.name('diff') });
      let count: string;
      if (typeof batch === 'number') count = b.scalar(batch);
      else {
        const n = b.op1(
          'Gather',
          [b.op1('Shape', [g.I(0)], {}, { name: g.name('shape') }), b.constant('int64', [], [0])],
          { axis: attr.int(0) },
          { name: g.name('n') },
        );
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
      windows.push(
        b.op1('Slice', [x, b.int64s([i, j]), ends, b.int64s([2, 3]), b.int64s([sh!, sw!])], {}, { name: g.name(`win${i}${j}`) }),
      );
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
