import { type Dim, type DType, type Node, readAttribute, type TensorType } from './types.js';

/** What a shape rule sees of a node: its input types, attributes, and the values of constant int64 inputs. */
export interface ShapeContext {
  node: Node;
  /** Type of input `i`; throws if the input is absent. */
  input(i: number): TensorType;
  /** True if input `i` is given (optional inputs may be empty strings or missing). */
  has(i: number): boolean;
  /** Known value of an int64 input (an initializer, or the output of `Shape`), else undefined. */
  value(i: number): Dim[] | undefined;
  int(name: string, fallback?: number): number;
  ints(name: string, fallback?: number[]): number[];
  float(name: string, fallback?: number): number;
}

/** A shape rule returns the type of each of the node's outputs, and optionally the value of output 0. */
export type ShapeRule = (ctx: ShapeContext) => { types: TensorType[]; value?: Dim[] };

const same = (ctx: ShapeContext): { types: TensorType[] } => ({ types: [ctx.input(0)] });

/** Product of dimensions; symbolic factors make a symbolic product such as `N*9216`. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let fixed = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') fixed *= d;
    else symbols.push(d);
  }
  if (symbols.length === 0) return fixed;
  return fixed === 1 ? symbols.join('*') : `${symbols.join('*')}*${fixed}`;
}

function broadcast(types: TensorType[], op: string): Dim[] {
  const rank = Math.max(...types.map((t) => t.shape.length));
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    let dim: Dim = 1;
    for (const t of types) {
      const d = t.shape[t.shape.length - rank + k] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && d !== dim) throw new Error(`${op}: cannot broadcast ${types.map((x) => `[${x.shape}]`).join(' with ')}`);
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

function elementwise(dtype?: DType): ShapeRule {
  return (ctx) => {
    const types: TensorType[] = [];
    for (let i = 0; i < ctx.node.inputs.length; i++) types.push(ctx.input(i));
    return { types: [{ dtype: dtype ?? types[0]!.dtype, shape: broadcast(types, ctx.node.opType) }] };
  };
}

function spatialOut(ctx: ShapeContext, x: TensorType, kernel: number[]): number[] {
  const n = kernel.length;
  const strides = ctx.ints('strides', Array(n).fill(1));
  const dil = ctx.ints('dilations', Array(n).fill(1));
  const pads = ctx.ints('pads', Array(2 * n).fill(0));
  return kernel.map((k, i) => {
    const size = x.shape[2 + i];
    if (typeof size !== 'number') throw new Error(`${ctx.node.opType}: spatial dimension must be static`);
    const out = Math.floor((size + pads[i]! + pads[i + n]! - ((k - 1) * dil[i]! + 1)) / strides[i]!) + 1;
    if (out < 1) throw new Error(`${ctx.node.name}: output would be empty (input ${size}, kernel ${k})`);
    return out;
  });
}

function reduce(ctx: ShapeContext, axesFromInput: boolean): { types: TensorType[] } {
  const x = ctx.input(0);
  const keep = ctx.int('keepdims', 1) === 1;
  let axes: number[] | undefined;
  if (axesFromInput) {
    const v = ctx.has(1) ? ctx.value(1) : undefined;
    if (ctx.has(1) && !v) throw new Error(`${ctx.node.name}: axes must be a constant`);
    axes = v?.map(Number);
  } else {
    axes = ctx.node.attributes.axes ? ctx.ints('axes') : undefined;
  }
  const rank = x.shape.length;
  const set = new Set((axes ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a)));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!set.has(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return { types: [{ dtype: x.dtype, shape }] };
}

function reshape(input: Dim[], target: Dim[], name: string): Dim[] {
  const out = target.map((d, i) => (d === 0 ? input[i]! : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const known = out.filter((_, i) => i !== minus);
    const total = dimProduct(input);
    const rest = dimProduct(known);
    if (typeof total === 'number' && typeof rest === 'number') out[minus] = total / rest;
    else if (rest === 1) out[minus] = total;
    else if (
      typeof total === 'string' &&
      typeof rest === 'number' &&
      /^[^*]+\*\d+$/.test(total) &&
      Number(total.split('*')[1]) % rest === 0
    ) {
      const [symbol, fixed] = total.split('*') as [string, string];
      out[minus] = Number(fixed) === rest ? symbol : `${symbol}*${Number(fixed) / rest}`;
    } else throw new Error(`${name}: cannot infer -1 in reshape of [${input}] to [${target}]`);
  }
  return out;
}

/**
 * Shape rules for every operator alexnet-onnx emits, following the ONNX operator specs (opset 17).
 * An operator without a rule is an error: every value in our models carries a full `value_info`.
 */
export const SHAPE_RULES: Record<string, ShapeRule> = {
  Identity: same,
  Relu: same,
  Exp: same,
  Neg: same,
  Sqrt: same,
  LRN: same,
  Add: elementwise(),
  Sub: elementwise(),
  Mul: elementwise(),
  Div: elementwise(),
  Pow: elementwise(),
  Sum: elementwise(),
  Max: elementwise(),
  Greater: elementwise('bool'),
  Less: elementwise('bool'),
  Equal: elementwise('bool'),
  And: elementwise('bool'),
  Or: elementwise('bool'),
  Not: same,
  // dtype defaults to the input's; we only emit float inputs.
  RandomUniformLike: same,
  Where: (ctx) => {
    const types = [ctx.input(0), ctx.input(1), ctx.input(2)];
    return { types: [{ dtype: types[1]!.dtype, shape: broadcast(types, 'Where') }] };
  },
  Cast: (ctx) => ({ types: [{ dtype: castTarget(ctx.int('to')), shape: ctx.input(0).shape }] }),
  Conv: (ctx) => {
    const x = ctx.input(0);
    const w = ctx.input(1);
    const kernel = w.shape.slice(2) as number[];
    return { types: [{ dtype: x.dtype, shape: [x.shape[0]!, w.shape[0]!, ...spatialOut(ctx, x, kernel)] }] };
  },
  ConvTranspose: (ctx) => {
    const x = ctx.input(0);
    const w = ctx.input(1);
    const kernel = w.shape.slice(2) as number[];
    const n = kernel.length;
    const strides = ctx.ints('strides', Array(n).fill(1));
    const dil = ctx.ints('dilations', Array(n).fill(1));
    const pads = ctx.ints('pads', Array(2 * n).fill(0));
    const outPad = ctx.ints('output_padding', Array(n).fill(0));
    const spatial = kernel.map((k, i) => {
      const size = x.shape[2 + i] as number;
      return strides[i]! * (size - 1) + outPad[i]! + ((k - 1) * dil[i]! + 1) - pads[i]! - pads[i + n]!;
    });
    const channels = (w.shape[1] as number) * ctx.int('group', 1);
    return { types: [{ dtype: x.dtype, shape: [x.shape[0]!, channels, ...spatial] }] };
  },
  MaxPool: (ctx) => {
    const x = ctx.input(0);
    const shape = [x.shape[0]!, x.shape[1]!, ...spatialOut(ctx, x, ctx.ints('kernel_shape'))];
    return {
      types: [
        { dtype: x.dtype, shape },
        { dtype: 'int64', shape },
      ],
    };
  },
  Dropout: (ctx) => ({ types: [ctx.input(0), { dtype: 'bool', shape: ctx.input(0).shape }] }),
  Flatten: (ctx) => {
    const x = ctx.input(0);
    const axis = ctx.int('axis', 1);
    return { types: [{ dtype: x.dtype, shape: [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))] }] };
  },
  Reshape: (ctx) => {
    const target = ctx.value(1);
    if (!target) throw new Error(`${ctx.node.name}: Reshape needs a constant or Shape-derived target shape`);
    return { types: [{ dtype: ctx.input(0).dtype, shape: reshape(ctx.input(0).shape, target, ctx.node.name) }] };
  },
  Shape: (ctx) => ({ types: [{ dtype: 'int64', shape: [ctx.input(0).shape.length] }], value: ctx.input(0).shape }),
  ConstantOfShape: (ctx) => {
    const shape = ctx.value(0);
    if (!shape) throw new Error(`${ctx.node.name}: ConstantOfShape needs a known shape`);
    return { types: [{ dtype: 'float32', shape }] };
  },
  Transpose: (ctx) => {
    const x = ctx.input(0);
    const perm = ctx.ints('perm', [...x.shape.keys()].reverse());
    return { types: [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }] };
  },
  Gemm: (ctx) => {
    const a = ctx.input(0).shape;
    const b = ctx.input(1).shape;
    const m = ctx.int('transA', 0) ? a[1]! : a[0]!;
    const n = ctx.int('transB', 0) ? b[0]! : b[1]!;
    return { types: [{ dtype: ctx.input(0).dtype, shape: [m, n] }] };
  },
  MatMul: (ctx) => {
    const a = ctx.input(0).shape;
    const b = ctx.input(1).shape;
    if (a.length < 2 || b.length < 2) throw new Error(`${ctx.node.name}: MatMul of 1-D tensors is not supported`);
    // stacked matrices: the leading dims of the longer operand, where the other has none or the same ones
    const [batchA, batchB] = [a.slice(0, -2), b.slice(0, -2)];
    const [long, short] = batchA.length >= batchB.length ? [batchA, batchB] : [batchB, batchA];
    if (short.length > 0 && short.some((d, i) => d !== long[long.length - short.length + i]))
      throw new Error(`${ctx.node.name}: MatMul's batch dims must match (no broadcasting of size-1 dims)`);
    return { types: [{ dtype: ctx.input(0).dtype, shape: [...long, a[a.length - 2]!, b[b.length - 1]!] }] };
  },
  Pad: (ctx) => {
    const x = ctx.input(0);
    const pads = ctx.value(1)?.map(Number);
    if (!pads) throw new Error(`${ctx.node.name}: Pad needs constant pads`);
    const r = x.shape.length;
    const shape = x.shape.map((d, i) =>
      typeof d === 'number' ? d + pads[i]! + pads[i + r]! : pads[i]! + pads[i + r]! === 0 ? d : `${d}+${pads[i]! + pads[i + r]!}`,
    );
    return { types: [{ dtype: x.dtype, shape }] };
  },
  ReduceSum: (ctx) => reduce(ctx, true),
  ReduceSumSquare: (ctx) => reduce(ctx, false),
  ReduceMean: (ctx) => reduce(ctx, false),
  ScatterElements: (ctx) => ({ types: [ctx.input(0)] }),
  Slice: (ctx) => {
    const x = ctx.input(0);
    const starts = ctx.value(1)?.map(Number);
    const ends = ctx.value(2)?.map(Number);
    const axes = (ctx.has(3) ? ctx.value(3) : [...starts!.keys()])?.map(Number);
    const steps = (ctx.has(4) ? ctx.value(4) : starts!.map(() => 1))?.map(Number);
    if (!starts || !ends || !axes || !steps) throw new Error(`${ctx.node.name}: Slice needs constant inputs`);
    const shape = [...x.shape];
    axes.forEach((axis, i) => {
      const size = x.shape[axis];
      if (typeof size !== 'number') throw new Error(`${ctx.node.name}: cannot slice a symbolic dimension`);
      // as the ONNX spec: negative indices count from the end; a negative step clamps to [0, size-1] and [-1, size-1]
      const step = steps[i]!;
      const [lo, hi] = step > 0 ? [0, size] : [-1, size - 1];
      const clamp = (v: number, min: number): number => Math.min(Math.max(v < 0 ? v + size : v, min), hi);
      shape[axis] = Math.max(0, Math.ceil((clamp(ends[i]!, lo) - clamp(starts[i]!, 0)) / step));
    });
    return { types: [{ dtype: x.dtype, shape }] };
  },
  Concat: (ctx) => {
    const axis = ctx.int('axis');
    const first = ctx.input(0);
    const shape = [...first.shape];
    const parts = ctx.node.inputs.map((_, i) => ctx.input(i).shape[axis]!);
    shape[axis] = parts.every((p) => typeof p === 'number') ? (parts as number[]).reduce((a, b) => a + b, 0) : parts.join('+');
    return { types: [{ dtype: first.dtype, shape }] };
  },
  Unsqueeze: (ctx) => {
    const x = ctx.input(0);
    const axes = ctx.value(1)?.map(Number);
    if (!axes) throw new Error(`${ctx.node.name}: Unsqueeze needs constant axes`);
    const rank = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    const shape: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : x.shape[k++]!);
    return { types: [{ dtype: x.dtype, shape }] };
  },
  Gather: (ctx) => {
    const data = ctx.input(0);
    const idx = ctx.input(1);
    const axis = ctx.int('axis', 0);
    const shape = [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)];
    const dv = ctx.value(0);
    const iv = ctx.value(1);
    const value = dv && iv && idx.shape.length === 0 && axis === 0 ? [dv[Number(iv[0])]!] : undefined;
    return { types: [{ dtype: data.dtype, shape }], value };
  },
  OneHot: (ctx) => {
    const depth = ctx.value(1);
    if (!depth) throw new Error(`${ctx.node.name}: OneHot needs a constant depth`);
    return { types: [{ dtype: ctx.input(2).dtype, shape: [...ctx.input(0).shape, depth[0]!] }] };
  },
  SoftmaxCrossEntropyLoss: (ctx) => {
    const x = ctx.input(0);
    const perSample = readAttribute(ctx.node, 'reduction', 'string', 'mean') === 'none';
    return { types: [{ dtype: x.dtype, shape: perSample ? [x.shape[0]!] : [] }, x] };
  },
};

function castTarget(code: number): DType {
  const map: Record<number, DType> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };
  const t = map[code];
  if (!t) throw new Error(`Cast to ONNX type ${code} is not supported`);
  return t;
}
