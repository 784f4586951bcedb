import { GraphBuilder } from '../onnx/builder.js';
import { attr, type Dim, numElements } from '../onnx/types.js';
import { type DropoutImpl, EXPORT_FORMULATION, type LrnImpl } from './formulation.js';
import { CONV_LAYERS, FC_WIDTH, MAX_ONNX_DATA_BYTES, minImageSize, POOL, pool5Size, samePads, weightBytes } from './layers.js';
import { lrn } from './lrn.js';
import { IMAGES, OUTPUT } from './names.js';
import { truncatedNormalTensor } from './random.js';

/** LRN settings from the seeds, in TensorFlow's terms (alpha per element, window 2*depthRadius+1). */
export const LRN_PRESETS = {
  /** Seeds 000-003 (the TensorFlow benchmark): tf.nn.lrn(depth_radius=4, bias=1.0, alpha=0.001/9, beta=0.75). */
  'tf-benchmark': { depthRadius: 4, bias: 1.0, alpha: 0.001 / 9, beta: 0.75 },
  /** Seed 004 (the AlexNet paper's values): depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75. */
  paper: { depthRadius: 2, bias: 2.0, alpha: 1e-4, beta: 0.75 },
} as const;

/** A named set of LRN parameters: `tf-benchmark` (seeds 000-003) or `paper` (seed 004). */
export type LrnPreset = keyof typeof LRN_PRESETS;

/** Every option that changes the network. Defaults (`DEFAULT_OPTIONS`) reproduce the TensorFlow benchmark seed. */
export interface AlexNetOptions {
  /** Batch size, or 'dynamic' for a symbolic batch dimension `N`. */
  batch: number | 'dynamic';
  imageSize: number;
  /** LRN preset, or 'none' to leave LRN out (seed 003). */
  lrn: LrnPreset | 'none';
  lrnImpl: LrnImpl;
  /** 'none' ends at pool5 (seeds 001/003); 'fc' adds fc6-fc8 (seeds 000/002). */
  head: 'none' | 'fc';
  classes: number;
  /** Dropout rate on fc6 and fc7 (0 = off). Seed 002 uses keep_prob 0.5, i.e. rate 0.5. */
  dropout: number;
  dropoutImpl: DropoutImpl;
  /**
   * ReLU after fc8, as seeds 000/002 apply it (true); false leaves the class scores linear, as seed 004's logits
   * ("without activation"): cross-entropy cannot learn through a ReLU that clips every score to 0.
   */
  fc8Relu: boolean;
  /** Seed for the weights. */
  seed: number;
}

/** The TensorFlow benchmark seed's network: batch 32, 224x224, its LRN, pool5 output, export's formulation. */
export const DEFAULT_OPTIONS: AlexNetOptions = {
  batch: 32,
  imageSize: 224,
  lrn: 'tf-benchmark',
  lrnImpl: EXPORT_FORMULATION.lrnImpl,
  head: 'none',
  classes: 1000,
  dropout: 0,
  dropoutImpl: EXPORT_FORMULATION.dropoutImpl,
  fc8Relu: true,
  seed: 1,
};

const CONV_STDDEV = 0.1;
const FC_STDDEV = 0.1;
const FC_BIAS = 0.1;
/** A row of the `print_activations` table. */
export interface Activation {
  layer: string;
  value: string;
}

/** What building the network leaves behind, for the exporter and the autodiff. */
export interface AlexNetGraph {
  builder: GraphBuilder;
  input: string;
  output: string;
  /** Conv parameters in the seeds' `parameters` order (weight, bias per layer). */
  convParams: string[];
  /** FC parameters (empty without the FC head). */
  fcParams: string[];
  activations: Activation[];
}

/** Checks options and returns a list of problems, each naming the option and what is allowed. */
export function validateOptions(o: AlexNetOptions): string[] {
  const problems: string[] = [];
  if (o.batch !== 'dynamic' && !(Number.isSafeInteger(o.batch) && o.batch >= 1))
    problems.push(`--batch must be a positive integer or 'dynamic', got ${o.batch}`);
  if (!Number.isSafeInteger(o.imageSize) || o.imageSize < 1) problems.push(`--image-size must be a positive integer, got ${o.imageSize}`);
  else if (pool5Size(o.imageSize) < 1)
    problems.push(`--image-size ${o.imageSize} gives an empty pool5; the smallest allowed is ${minImageSize()}`);
  if (!Number.isSafeInteger(o.classes) || o.classes < 1) problems.push(`--classes must be a positive integer, got ${o.classes}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) problems.push(`--dropout must be a rate in [0, 1), got ${o.dropout}`);
  if (o.dropout > 0 && o.head !== 'fc') problems.push(`--dropout applies to the FC layers: add --head fc`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    problems.push(`--seed must be an integer in [0, 4294967295], got ${o.seed}`);
  if (!problems.length) {
    const tooBig = sizeProblem(o);
    if (tooBig) problems.push(tooBig);
  }
  return problems;
}

/**
 * Refuses, from the shapes alone, a model whose weights cannot fit in one ONNX file: building it would allocate them
 * all before serializing fails. The FC head's fc6 grows with the image's area, fc8 with --classes.
 */
function sizeProblem(o: AlexNetOptions): string | undefined {
  const bytes = weightBytes(o);
  if (bytes <= MAX_ONNX_DATA_BYTES) return undefined;
  const fits = (imageSize: number) => weightBytes({ ...o, imageSize }) <= MAX_ONNX_DATA_BYTES;
  let fix = 'use fewer --classes';
  if (fits(minImageSize())) {
    let [lo, hi] = [minImageSize(), o.imageSize];
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    fix = `use --image-size ${lo} or less with --head fc, or --head none`;
  }
  const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;
  return `--head ${o.head} --image-size ${o.imageSize} --classes ${o.classes} makes a model with about ${gb(bytes)} of weights, over the 2 GiB an ONNX file can hold: ${fix}`;
}

/** The `metadata_props` that record the options a model was built with. */
export function optionsMetadata(o: AlexNetOptions): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) meta[`alexnet.${k}`] = String(v);
  return meta;
}

/**
 * Builds the seeds' AlexNet (NCHW) into a fresh graph builder: conv1..conv5 with ReLU, LRN after conv1/conv2,
 * 3x3/2 max-pools after conv1, conv2, conv5, and optionally the FC head fc6-fc8 (ReLU on each, as the seeds do;
 * `fc8Relu: false` leaves fc8 linear).
 * The model's input is `IMAGES` [N,3,H,W] and its output `OUTPUT` (names.ts).
 */
export function buildAlexNet(options: AlexNetOptions): AlexNetGraph {
  const problems = validateOptions(options);
  if (problems.length) throw new Error(problems.join('; '));
  const o = options;
  const b = new GraphBuilder('alexnet', 'AlexNet benchmark network (TensorFlow alexnet_benchmark.py), NCHW');
  const batch: Dim = o.batch === 'dynamic' ? 'N' : o.batch;
  const input = b.input(IMAGES, { dtype: 'float32', shape: [batch, 3, o.imageSize, o.imageSize] });
  const convParams: string[] = [];
  const fcParams: string[] = [];
  const activations: Activation[] = [];
  const lastConv = o.head === 'none';

  let x = input;
  let channels = 3;
  let lrnIndex = 0;
  for (const layer of CONV_LAYERS) {
    const size = b.typeOf(x).shape.slice(2) as [number, number];
    const [ph, phEnd] = samePads(size[0], layer.kernel, layer.stride);
    const [pw, pwEnd] = samePads(size[1], layer.kernel, layer.stride);
    const wName = `${layer.name}.weight`;
    const wDims = [layer.out, channels, layer.kernel, layer.kernel];
    const w = b.initializer(wName, 'float32', wDims, truncatedNormalTensor(o.seed, wName, numElements(wDims), CONV_STDDEV));
    const bias = b.initializer(`${layer.name}.bias`, 'float32', [layer.out], new Float32Array(layer.out));
    convParams.push(w, bias);
    const conv = b.op1(
      'Conv',
      [x, w, bias],
      {
        kernel_shape: attr.ints([layer.kernel, layer.kernel]),
        strides: attr.ints([layer.stride, layer.stride]),
        pads: attr.ints([ph, pw, phEnd, pwEnd]),
      },
      { name: `${layer.name}.conv` },
    );
    x = b.op1('Relu', [conv], {}, { name: layer.name });
    activations.push({ layer: layer.name, value: x });
    if (layer.lrn && o.lrn !== 'none') {
      lrnIndex++;
      x = lrn(b, x, `lrn${lrnIndex}`, LRN_PRESETS[o.lrn], o.lrnImpl);
    }
    if (layer.pool) {
      const poolName = `pool${layer.name.slice(4)}`;
      const isOutput = lastConv && layer === CONV_LAYERS[CONV_LAYERS.length - 1];
      x = b.op1(
        'MaxPool',
        [x],
        {
          kernel_shape: attr.ints([POOL.kernel, POOL.kernel]),
          strides: attr.ints([POOL.stride, POOL.stride]),
        },
        { name: poolName, outputs: [isOutput ? OUTPUT : poolName] },
      );
      activations.push({ layer: poolName, value: x });
    }
    channels = layer.out;
  }

  if (o.head === 'fc') {
    x = b.op1('Flatten', [x], { axis: attr.int(1) }, { name: 'flatten' });
    let width = b.typeOf(x).shape[1] as number;
    const layers = [
      { name: 'fc6', out: FC_WIDTH, dropout: true },
      { name: 'fc7', out: FC_WIDTH, dropout: true },
      { name: 'fc8', out: o.classes, dropout: false },
    ];
    for (const layer of layers) {
      const wName = `${layer.name}.weight`;
      const w = b.initializer(wName, 'float32', [width, layer.out], truncatedNormalTensor(o.seed, wName, width * layer.out, FC_STDDEV));
      const bias = b.initializer(`${layer.name}.bias`, 'float32', [layer.out], new Float32Array(layer.out).fill(FC_BIAS));
      fcParams.push(w, bias);
      const isOutput = layer.name === 'fc8';
      const relu = !isOutput || o.fc8Relu;
      const gemm = b.op1('Gemm', [x, w, bias], {}, { name: `${layer.name}.gemm`, outputs: relu ? undefined : [OUTPUT] });
      x = relu ? b.op1('Relu', [gemm], {}, { name: layer.name, outputs: [isOutput ? OUTPUT : layer.name] }) : gemm;
      activations.push({ layer: layer.name, value: x });
      if (layer.dropout && o.dropout > 0) x = dropout(b, x, `${layer.name}.dropout`, o);
      width = layer.out;
    }
  }
  b.output(x);
  return { builder: b, input, output: x, convParams, fcParams, activations };
}

/**
 * Dropout in training mode: each value is kept with probability 1 - rate and scaled by 1 / (1 - rate). 'decomposed'
 * writes y = Where(RandomUniformLike(x) < 1 - rate, x / (1 - rate), 0); its gradient goes through Where and Mul.
 */
function dropout(b: GraphBuilder, x: string, name: string, o: AlexNetOptions): string {
  if (o.dropoutImpl === 'op') {
    return b.op1('Dropout', [x, b.scalar(o.dropout), b.constant('bool', [], [true])], { seed: attr.int(o.seed) }, { name });
  }
  const r = b.op1('RandomUniformLike', [x], { seed: attr.float(o.seed) }, { name: `${name}.uniform` });
  const keep = b.op1('Less', [r, b.scalar(1 - o.dropout)], {}, { name: `${name}.keep` });
  const scaled = b.op1('Mul', [x, b.scalar(1 / (1 - o.dropout))], {}, { name: `${name}.scale` });
  return b.op1('Where', [keep, scaled, b.scalar(0)], {}, { name });
}
