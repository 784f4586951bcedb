import type { CompositeGrad } from '../autodiff/backward.js';
import { emitGI } from '../autodiff/context.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { channelWindowSum, reshapeLike } from '../onnx/compose.js';
import { attr } from '../onnx/types.js';
import type { LrnImpl } from './formulation.js';

/** LRN parameters in TensorFlow's terms: alpha per element, window 2*depthRadius+1 channels. */
export interface LrnParams {
  depthRadius: number;
  bias: number;
  alpha: number;
  beta: number;
}

/**
 * LRN across channels, y = x * (bias + alpha/size * window_sum(x^2))^-beta. ONNX's alpha is divided by the window
 * size, TensorFlow's is not, so the `LRN` op gets alpha_onnx = alpha_tf * size.
 * - `op`: the ONNX `LRN` operator.
 * - `decomposed`: Mul, a [size x 1] Conv of ones over [N,1,C,H*W] for the window, Mul, Add and Pow: for EPs without
 *   an LRN kernel.
 * - `banded`: the window sum, its scale and the bias in one 1x1 Conv whose [C,C] weight matrix is banded (alpha/size
 *   within the window), and, for beta 0.75, x / (sqrt(n) * sqrt(sqrt(n))) in place of Pow, whose CPU kernel is several
 *   times slower than two square roots (docs/benchmarks.md, "LRN and MaxPool gradient formulations"). The 1x1 Conv is a
 *   plain GEMM over channels, where the [size x 1] Conv has a single input channel and vectorizes poorly. Its gradient
 *   is the closed form of `lrnGradients`, a MatMul by the band plus five elementwise ops.
 */
export function lrn(b: GraphBuilder, x: string, name: string, p: LrnParams, impl: LrnImpl): string {
  const size = 2 * p.depthRadius + 1;
  const alpha = p.alpha * size;
  if (impl === 'op') {
    return b.op1(
      'LRN',
      [x],
      { size: attr.int(size), alpha: attr.float(alpha), beta: attr.float(p.beta), bias: attr.float(p.bias) },
      { name },
    );
  }
  const sq = b.op1('Mul', [x, x], {}, { name: `${name}.square` });
  if (impl === 'decomposed') {
    const sum = channelWindowSum(b, sq, size, `${name}.window`);
    const scaled = b.op1('Mul', [sum, b.scalar(alpha / size)], {}, { name: `${name}.scale` });
    const norm = b.op1('Add', [scaled, b.scalar(p.bias)], {}, { name: `${name}.norm` });
    const factor = b.op1('Pow', [norm, b.scalar(-p.beta)], {}, { name: `${name}.pow` });
    return b.op1('Mul', [x, factor], {}, { name });
  }
  const norm = bandedWindow(b, sq, p.depthRadius, alpha / size, p.bias, `${name}.norm`);
  if (p.beta === 0.75) {
    const root = b.op1('Sqrt', [norm], {}, { name: `${name}.sqrt` });
    const fourthRoot = b.op1('Sqrt', [root], {}, { name: `${name}.sqrt2` });
    const power = b.op1('Mul', [root, fourthRoot], {}, { name: `${name}.pow` });
    return b.op1('Div', [x, power], {}, { name });
  }
  const factor = b.op1('Pow', [norm, b.scalar(-p.beta)], {}, { name: `${name}.pow` });
  return b.op1('Mul', [x, factor], {}, { name });
}

/** bias + scale * (sum of x over the channels [c-r, c+r], clipped at the edges), as a 1x1 Conv with a banded weight. */
function bandedWindow(b: GraphBuilder, x: string, radius: number, scale: number, bias: number, name: string): string {
  const channels = b.typeOf(x).shape[1];
  if (typeof channels !== 'number') throw new Error(`${name}: the channel count must be static`);
  const weight: number[] = [];
  for (let out = 0; out < channels; out++) for (let c = 0; c < channels; c++) weight.push(Math.abs(out - c) <= radius ? scale : 0);
  const w = b.constant('float32', [channels, channels, 1, 1], weight);
  const biases = b.constant('float32', [channels], Array(channels).fill(bias));
  return b.op1('Conv', [x, w, biases], { kernel_shape: attr.ints([1, 1]) }, { name });
}

/**
 * The banded LRNs of a graph as composite gradients, each in closed form, with N = bias + band(x^2) and y = x * N^-beta:
 * dx = dy * N^-beta - x * band'(dy * y / N), band' = 2 * beta * band transposed. That is one MatMul and five elementwise
 * ops, where differentiating the forward ops one by one writes about fifteen (square, root, power, quotient and their
 * sums). The forward's N and N^beta (or N^-beta) are reused. Found by the node names `lrn` gives them.
 */
export function lrnGradients(b: GraphBuilder): CompositeGrad[] {
  const byName = new Map(b.nodes.map((n) => [n.name, n]));
  const found: CompositeGrad[] = [];
  for (const out of b.nodes) {
    const [square, norm, pow] = ['square', 'norm', 'pow'].map((step) => byName.get(`${out.name}.${step}`));
    if (!square || !norm || !pow || norm.opType !== 'Conv' || !(out.opType === 'Div' || out.opType === 'Mul')) continue;
    // beta 0.75: y = x / (sqrt(N) * sqrt(sqrt(N))); otherwise y = x * Pow(N, -beta)
    const roots = out.opType === 'Div' ? [`${out.name}.sqrt`, `${out.name}.sqrt2`] : [];
    const beta = out.opType === 'Div' ? 0.75 : -b.constantValues(pow.inputs[1]!)![0]!;
    const x = square.inputs[0]!;
    const [n, power] = [norm.outputs[0]!, pow.outputs[0]!];
    const c = b.staticShape(norm.inputs[1]!)[0]!;
    const band = b.constantValues(norm.inputs[1]!)!;
    const backBand: number[] = [];
    for (let i = 0; i < c; i++) for (let o = 0; o < c; o++) backBand.push(2 * beta * band[o * c + i]!);
    found.push({
      name: out.name,
      nodes: [square.name, norm.name, ...roots, pow.name, out.name],
      input: x,
      output: out.outputs[0]!,
      rule: {
        grad: (g) => {
          const [y, dy] = [g.O(0), g.GO(0)];
          const direct = g.b.op1(out.opType, [dy, power], {}, { name: g.name('direct') });
          const ratio = g.b.op1('Div', [g.b.op1('Mul', [dy, y], {}, { name: g.name('dy_y') }), n], {}, { name: g.name('ratio') });
          // named after the LRN rather than numbered: its name then does not depend on the nodes built before it
          const weight = g.b.initializer(g.name('band'), 'float32', [c, c], Float32Array.from(backBand));
          // A MatMul over [N, C, H*W] rather than a 1x1 Conv: both run the same GEMM, but on the CPU EP the Conv runs in
          // the NCHWc layout, between reorders of its input and of the Mul that reads its output.
          const [h, w] = g.b.typeOf(n).shape.slice(2) as number[];
          const rows = g.b.op1('Reshape', [ratio, g.b.int64s([0, c, h! * w!])], {}, { name: g.name('ratio_rows') });
          const crossRows = g.b.op1('MatMul', [weight, rows], {}, { name: g.name('window') });
          const cross = reshapeLike(g.b, crossRows, ratio, g.name('cross'));
          emitGI(g, 0, 'Sub', [direct, g.b.op1('Mul', [x, cross], {}, { name: g.name('coupled') })]);
        },
      },
    });
  }
  return found;
}
