import { numElements } from '../onnx/types.js';

/**
 * The network's layer table and the shape arithmetic that follows from it: sizes of every activation and parameter,
 * from the options alone, so the builder, the memory estimate and the size checks agree without building anything.
 */

/** One conv layer of the seeds' `inference()`, and whether LRN and a max-pool follow it. */
export interface ConvSpec {
  name: string;
  kernel: number;
  stride: number;
  out: number;
  lrn: boolean;
  pool: boolean;
}

/** The five conv layers of the seeds' `inference()`. */
export const CONV_LAYERS: readonly ConvSpec[] = [
  { name: 'conv1', kernel: 11, stride: 4, out: 64, lrn: true, pool: true },
  { name: 'conv2', kernel: 5, stride: 1, out: 192, lrn: true, pool: true },
  { name: 'conv3', kernel: 3, stride: 1, out: 384, lrn: false, pool: false },
  { name: 'conv4', kernel: 3, stride: 1, out: 256, lrn: false, pool: false },
  { name: 'conv5', kernel: 3, stride: 1, out: 256, lrn: false, pool: true },
];

/** Width of fc6 and fc7. */
export const FC_WIDTH = 4096;

/** The seeds' 3x3, stride-2 max-pool. */
export const POOL = { kernel: 3, stride: 2 };

/** What decides the FC head's shapes. */
export interface HeadShape {
  imageSize: number;
  head: 'none' | 'fc';
  classes: number;
}

/** TF `SAME` padding for one spatial axis: [begin, end], with the odd pixel at the end as TensorFlow does. */
export function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

/** One conv layer's output per image: its spec, its spatial side, and the side after its pool (its own side without one). */
export interface ConvOutputSize {
  layer: ConvSpec;
  side: number;
  pooled: number;
}

/** Spatial sides of each conv layer's output and pool, per image, from the image size alone (0 once some pool is empty). */
export function convOutputSizes(imageSize: number): ConvOutputSize[] {
  let s = imageSize;
  return CONV_LAYERS.map((layer) => {
    const side = Math.ceil(s / layer.stride);
    s = !layer.pool ? side : side >= POOL.kernel ? Math.floor((side - POOL.kernel) / POOL.stride) + 1 : 0;
    return { layer, side, pooled: s };
  });
}

/** Spatial size after the five convs and three pools, or 0 if some pool would be empty. */
export function pool5Size(imageSize: number): number {
  return convOutputSizes(imageSize).at(-1)!.pooled;
}

/** A parameter's name and dimensions, as `buildAlexNet` creates it. */
export interface ParameterShape {
  name: string;
  dims: number[];
}

/** Every parameter `buildAlexNet` creates, in its order, from the options alone: nothing is allocated. */
export function parameterShapes(o: HeadShape): ParameterShape[] {
  const shapes: ParameterShape[] = [];
  let channels = 3;
  for (const layer of CONV_LAYERS) {
    shapes.push({ name: `${layer.name}.weight`, dims: [layer.out, channels, layer.kernel, layer.kernel] });
    shapes.push({ name: `${layer.name}.bias`, dims: [layer.out] });
    channels = layer.out;
  }
  if (o.head === 'fc') {
    let width = channels * pool5Size(o.imageSize) ** 2;
    for (const [name, out] of [
      ['fc6', FC_WIDTH],
      ['fc7', FC_WIDTH],
      ['fc8', o.classes],
    ] as const) {
      shapes.push({ name: `${name}.weight`, dims: [width, out] }, { name: `${name}.bias`, dims: [out] });
      width = out;
    }
  }
  return shapes;
}

/**
 * The most bytes of tensors (weights, and the images with bench's `--input device`) an ONNX file can hold: a protobuf
 * message is limited to 2 GiB (its size is a signed 32-bit int), alexnet-onnx writes no external data, and a MiB is
 * left for the graph, its names and metadata.
 */
export const MAX_ONNX_DATA_BYTES = 2 ** 31 - 2 ** 20;

/** Bytes of the float32 weights a model with these options stores. */
export function weightBytes(o: HeadShape): number {
  return parameterShapes(o).reduce((sum, p) => sum + 4 * numElements(p.dims), 0);
}

/** Smallest image size that gives a non-empty pool5. */
export function minImageSize(): number {
  let s = 1;
  while (pool5Size(s) < 1) s++;
  return s;
}
