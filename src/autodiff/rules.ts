import { channelWindowSum, reshapeLike } from '../onnx/compose.js';
import { attr } from '../onnx/types.js';
import { emitGI, emitUnbroadcast, type GradContext, type GradRule, requireDefault } from './context.js';
import { convGradRule } from './conv-grad.js';
import { MAXPOOL_SCATTER_RULE } from './pool-grad.js';

export { MAXPOOL_MASK_RULE } from './pool-grad.js';

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

  MaxPool: MAXPOOL_SCATTER_RULE,

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

  Div: {
    // y = a / b: da = dy / b, db = -dy * a / b^2 = -(dy / b) * y, one quotient shared by both.
    grad: (g) => {
      const q = g.b.op1('Div', [g.GO(0), g.I(1)], {}, { name: g.name('quotient') });
      if (g.needs(0)) emitUnbroadcast(g, 0, 'Identity', [q]);
      if (g.needs(1)) emitUnbroadcast(g, 1, 'Neg', [g.b.op1('Mul', [q, g.O(0)], {}, { name: g.name('q_y') })]);
    },
  },

  Sqrt: {
    // d sqrt(x) = dy / (2 sqrt(x)): the forward output is the square root already.
    grad: (g) => {
      const q = g.b.op1('Div', [g.GO(0), g.O(0)], {}, { name: g.name('quotient') });
      emitGI(g, 0, 'Mul', [q, g.b.scalar(0.5)]);
    },
  },

  Pow: {
    grad: (g) => {
      if (g.needs(1)) throw new Error(`gradient of Pow ${g.node.name} with respect to its exponent is not supported`);
      const e = g.constant(1);
      if (e.length !== 1) throw new Error(`gradient of Pow ${g.node.name}: exponent must be a scalar constant`);
      // For a negative exponent x^(e-1) = y / x (at x = 0 both are infinite): a Div instead of a second Pow, whose CPU
      // kernel is slow. Not for e >= 0, where y / x is 0 / 0 at x = 0.
      const p =
        e[0]! < 0
          ? g.b.op1('Div', [g.O(0), g.I(0)], {}, { name: g.name('pow') })
          : g.b.op1('Pow', [g.I(0), g.b.scalar(e[0]! - 1)], {}, { name: g.name('pow') });
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
