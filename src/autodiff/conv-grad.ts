import { attr } from '../onnx/types.js';
import { emitGI, type GradContext, type GradRule, requireDefault } from './context.js';

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
        const flipped = g.b.op1(
          'Slice',
          [wt, g.b.int64s([-1, -1]), g.b.int64s([end, end]), g.b.int64s([2, 3]), g.b.int64s([-1, -1])],
          {},
          { name: g.name('w_flip') },
        );
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
 * On the CPU EP the per-offset MatMul beats the transposed Conv for layers with many input channels but loses for
 * conv1 (3 input channels: 121 offsets of a 3-column product), so `matmul` applies to layers with at least this many
 * input channels. It crashed the WebGPU EP, so bench uses it on CPU kernels only (docs/benchmarks.md, "Graph
 * formulations: what `auto` is based on").
 */
const MATMUL_WEIGHT_GRAD_MIN_CHANNELS = 16;

/** dW as a Conv over batch-transposed tensors: X^T (batch C, channels N) correlated with dY^T dilated by the stride. */
function weightGradConv(g: GradContext, k: number[], strides: number[], pads: number[], outSize: number[]): void {
  const b = g.b;
  const xt = b.op1('Transpose', [g.I(0)], { perm: attr.ints([1, 0, 2, 3]) }, { name: g.name('x_t') });
  const dyt = b.op1('Transpose', [g.GO(0)], { perm: attr.ints([1, 0, 2, 3]) }, { name: g.name('dy_t') });
  let dwt = b.op1(
    'Conv',
    [xt, dyt],
    { pads: attr.ints(pads), dilations: attr.ints(strides), kernel_shape: attr.ints(outSize) },
    { name: g.name('dw_t') },
  );
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
  if (pads.some((p) => p !== 0))
    x = b.op1('Pad', [x, b.int64s([0, 0, pads[0]!, pads[1]!, 0, 0, pads[2]!, pads[3]!])], {}, { name: g.name('x_pad') });
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
