import { reshapeLike } from '../onnx/compose.js';
import { attr } from '../onnx/types.js';
import { emitGI, type GradContext, type GradRule, requireDefault } from './context.js';

/**
 * The MaxPool gradient, three ways. Each sends a window's gradient to the first position (row-major) holding the
 * window's max, PyTorch's and ORT's tie rule (several zeros after a ReLU are common), and adds up the contributions of
 * overlapping windows (3x3/2: one input can be the max of several windows; MaxUnpool would keep only one of them).
 */

const ZERO = (g: GradContext): string => g.b.scalar(0);

/** `scatter`: the forward MaxPool also writes `Indices`; the gradient is a ScatterElements (add) at them. */
export const MAXPOOL_SCATTER_RULE: GradRule = {
  readsOutput1: 'indices',
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
};

/** `mask`: for EPs whose MaxPool has no Indices output (WebGPU); see `maxPoolGradMask`. */
export const MAXPOOL_MASK_RULE: GradRule = { grad: (g) => maxPoolGradMask(g) };

/**
 * `match`: the forward MaxPool has no `Indices` output, so ORT's CPU EP runs its fast (NCHWc) pooling kernel rather
 * than the scalar kernel that writes indices. The backward finds each window's argmax itself: for each window
 * offset, from the last to the first, where the input's elements at that offset (`windowSlicer`) equal the pooled
 * max, that offset's flat position replaces the one found so far (so the first match wins); then one
 * ScatterElements (add) per (image, channel) row. Indices are int32 (a plane's positions), half the traffic of int64.
 */
export const MAXPOOL_MATCH_RULE: GradRule = {
  grad: (g) => {
    const b = g.b;
    const { kh, kw, sh, sw, c, h, w, oh, ow } = poolGeometry(g);
    const position = (i: number, j: number): string => {
      const v: number[] = [];
      for (let p = 0; p < oh; p++) for (let q = 0; q < ow; q++) v.push((sh * p + i) * w + sw * q + j);
      return b.constant('int32', [oh, ow], v);
    };
    const window = windowSlicer(g, { kh, kw, sh, sw, oh, ow });
    let index = position(kh - 1, kw - 1);
    for (let k = kh * kw - 2; k >= 0; k--) {
      const [i, j] = [Math.floor(k / kw), k % kw];
      const isMax = b.op1('Equal', [window(i, j), g.O(0)], {}, { name: g.name(`eq${i}${j}`) });
      index = b.op1('Where', [isMax, position(i, j), index], {}, { name: g.name(`idx${i}${j}`) });
    }
    const rows = (v: string, cols: number, step: string): string =>
      b.op1('Reshape', [v, b.int64s([0, c, cols])], {}, { name: g.name(step) });
    const zeros = b.op1('ConstantOfShape', [b.op1('Shape', [g.I(0)], {}, { name: g.name('shape') })], {}, { name: g.name('zeros') });
    const scattered = b.op1(
      'ScatterElements',
      [rows(zeros, h * w, 'zeros_rows'), rows(index, oh * ow, 'idx_rows'), rows(g.GO(0), oh * ow, 'dy_rows')],
      { axis: attr.int(2), reduction: attr.string('add') },
      { name: g.name('scatter') },
    );
    reshapeLike(b, scattered, g.I(0), g.name('d0'), g.GI(0));
  },
};

/**
 * The input's elements at window offset (i, j) of every window, `[N, C, oh, ow]`, as an unstrided Slice of one of the
 * input's sh x sw phase planes (`X[u::sh, v::sw]`, one strided Slice each, made once): ORT's CPU Slice copies strided
 * elements one at a time and contiguous rows whole, so four strided planes and short row copies cost less than a
 * strided Slice per offset (3x3/2: eight). docs/benchmarks.md, "CPU forward-backward against TensorFlow".
 */
function windowSlicer(
  g: GradContext,
  s: { kh: number; kw: number; sh: number; sw: number; oh: number; ow: number },
): (i: number, j: number) => string {
  const b = g.b;
  const { kh, kw, sh, sw, oh, ow } = s;
  const planes = new Map<string, { value: string; rows: number; cols: number }>();
  const plane = (u: number, v: number) => {
    const key = `${u}${v}`;
    if (!planes.has(key)) {
      // the rows and columns this phase's offsets (u, u + sh, ... below kh) reach
      const [rows, cols] = [Math.floor((kh - 1 - u) / sh) + oh, Math.floor((kw - 1 - v) / sw) + ow];
      const ends = b.int64s([u + sh * (rows - 1) + 1, v + sw * (cols - 1) + 1]);
      const args = [g.I(0), b.int64s([u, v]), ends, b.int64s([2, 3]), b.int64s([sh, sw])];
      const value = sh === 1 && sw === 1 ? g.I(0) : b.op1('Slice', args, {}, { name: g.name(`phase${key}`) });
      planes.set(key, { value, rows, cols });
    }
    return planes.get(key)!;
  };
  return (i, j) => {
    const [di, dj] = [Math.floor(i / sh), Math.floor(j / sw)];
    const p = plane(i % sh, j % sw);
    if (p.value !== g.I(0) && di === 0 && dj === 0 && p.rows === oh && p.cols === ow) return p.value;
    const args = [p.value, b.int64s([di, dj]), b.int64s([di + oh, dj + ow]), b.int64s([2, 3])];
    return b.op1('Slice', args, {}, { name: g.name(`win${i}${j}`) });
  };
}

/** The MaxPool gradient rule for a `--maxpool-grad` choice. */
export function maxPoolGradRule(choice: 'scatter' | 'mask' | 'match'): GradRule {
  return { scatter: MAXPOOL_SCATTER_RULE, mask: MAXPOOL_MASK_RULE, match: MAXPOOL_MATCH_RULE }[choice];
}

/** Kernel, strides and static sizes of a MaxPool without padding, dilation or ceil mode (what the rules handle). */
function poolGeometry(g: GradContext) {
  requireDefault(g, 'pads', [0, 0, 0, 0], g.ints('pads', [0, 0, 0, 0]));
  requireDefault(g, 'dilations', [1, 1], g.ints('dilations', [1, 1]));
  requireDefault(g, 'ceil_mode', 0, g.int('ceil_mode', 0));
  const [kh, kw] = g.ints('kernel_shape') as [number, number];
  const [sh, sw] = g.ints('strides', [1, 1]) as [number, number];
  const [, c, h, w] = g.b.typeOf(g.I(0)).shape;
  const [, , oh, ow] = g.b.typeOf(g.O(0)).shape;
  if (![c, h, w, oh, ow].every((d) => typeof d === 'number'))
    throw new Error(`gradient of MaxPool ${g.node.name}: channels and spatial sizes must be static`);
  return { kh, kw, sh, sw, c: c as number, h: h as number, w: w as number, oh: oh as number, ow: ow as number };
}

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
