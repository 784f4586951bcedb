import { Random } from '../model/random.js';

/**
 * Training data: what a dataset is (two splits of labelled images), how pixels are scaled for the network, and the
 * batch streams a trainer reads. The sources live beside it: `syntheticDataset` (data-synthetic.ts) and
 * `imageFolderDataset` (data-folder.ts).
 */

/** One split of a dataset: `size` labelled images, each read on demand. */
export interface Split {
  /** Number of images. */
  readonly size: number;
  /** Class index of image `index`. */
  label(index: number): number;
  /** Writes image `index`, scaled by `toInput`, as float32 [3, S, S] (CHW, S = the dataset's imageSize) at `out[offset]`. */
  image(index: number, out: Float32Array, offset: number): void;
}

/** A labelled image set: the split a trainer learns from and a held-out split it never sees, of square RGB images. */
export interface Dataset {
  /** Where the images come from: `synthetic`, or the ImageFolder directory. */
  readonly source: string;
  /** Number of classes; labels are 0..classes-1. */
  readonly classes: number;
  /** A name per class (the folder names of an ImageFolder set). */
  readonly classNames: readonly string[];
  /** Height and width of every image. */
  readonly imageSize: number;
  readonly train: Split;
  readonly heldOut: Split;
}

/** A batch for the network: `images` float32 [N, 3, S, S] (NCHW) and `labels` int64 [N]. */
export interface Batch {
  images: Float32Array;
  labels: BigInt64Array;
  /** Rows that hold images; rows past it (only in the last held-out batch) are zeros labelled 0. */
  count: number;
  /** Which pass over the split the batch's first image belongs to, from 0. */
  epoch: number;
}

/** A data problem a user can fix (a missing or empty directory, a corrupt image, too many images): one line. */
export class DataError extends Error {
  override name = 'DataError';
}

/**
 * The scale the network is fed at. The benchmark feeds tf.random_normal(stddev=1e-1) images (src/bench/prepare.ts),
 * and the seeds' weights (truncated normal, stddev 0.1) are sized for inputs that small; so pixels are standardised
 * per channel with ImageNet's mean and standard deviation (zero mean, unit spread for natural photos) and then
 * multiplied by INPUT_STDDEV.
 */
export const INPUT_STDDEV = 0.1;
/** ImageNet's per-channel pixel mean (RGB, pixels in [0, 1]), as torchvision's models use it. */
export const PIXEL_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet's per-channel pixel standard deviation (RGB, pixels in [0, 1]). */
export const PIXEL_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** The network input for a pixel value `p` in [0, 1] of RGB channel `channel`. */
export function toInput(p: number, channel: number): number {
  return ((p - PIXEL_MEAN[channel]!) / PIXEL_STD[channel]!) * INPUT_STDDEV;
}

/** `toInput` for 8-bit pixels: 3 tables of 256 entries, one per channel. */
export const INPUT_OF_BYTE: readonly Float32Array[] = [0, 1, 2].map((c) => {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = toInput(v / 255, c);
  return table;
});

/** The problem with a batch size, or undefined. */
export function batchSizeProblem(batchSize: number): string | undefined {
  return Number.isSafeInteger(batchSize) && batchSize >= 1 ? undefined : `--batch must be a positive integer, got ${batchSize}`;
}

function checkBatchSize(batchSize: number): void {
  const problem = batchSizeProblem(batchSize);
  if (problem) throw new Error(problem);
}

/** A permutation of 0..n-1 (Fisher-Yates) from the stream for (seed, name). */
export function permutation(n: number, seed: number, name: string): Uint32Array {
  const rng = new Random(seed, name);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // multiply-shift maps a 32-bit draw onto 0..i without the modulo's bias toward small values
    const j = Math.floor((rng.nextUint32() / 4294967296) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

function newBatch(dataset: Dataset, batchSize: number): Batch {
  const s = dataset.imageSize;
  return { images: new Float32Array(batchSize * 3 * s * s), labels: new BigInt64Array(batchSize), count: 0, epoch: 0 };
}

/**
 * The training stream: endless full batches from `dataset.train`, each epoch in its own order (a permutation from
 * (seed, epoch)), so the same seed gives the same batches. An epoch that does not divide into batches runs on into
 * the next one, so every image is seen once per epoch and every batch is full (a model with a fixed batch takes them).
 * Each batch is a fresh buffer: a runtime may hold on to the previous one.
 */
export function* batches(dataset: Dataset, batchSize: number, seed: number): Generator<Batch, never> {
  checkBatchSize(batchSize);
  const split = dataset.train;
  if (split.size < 1) throw new DataError(`${dataset.source} has no training images`);
  const imageLength = 3 * dataset.imageSize * dataset.imageSize;
  let epoch = 0;
  let order = permutation(split.size, seed, `train-order/${epoch}`);
  let next = 0;
  for (;;) {
    const batch = newBatch(dataset, batchSize);
    batch.epoch = epoch;
    for (let row = 0; row < batchSize; row++) {
      if (next === split.size) {
        epoch++;
        order = permutation(split.size, seed, `train-order/${epoch}`);
        next = 0;
      }
      const index = order[next++]!;
      split.image(index, batch.images, row * imageLength);
      batch.labels[row] = BigInt(split.label(index));
    }
    batch.count = batchSize;
    yield batch;
  }
}

/**
 * One pass over `dataset.heldOut` in order, in batches of `batchSize`; the last batch is padded with zero rows past
 * `count`, so a model with a fixed batch takes it too (count only the first `count` predictions).
 */
export function* heldOutBatches(dataset: Dataset, batchSize: number): Generator<Batch, void> {
  checkBatchSize(batchSize);
  const split = dataset.heldOut;
  const imageLength = 3 * dataset.imageSize * dataset.imageSize;
  for (let start = 0; start < split.size; start += batchSize) {
    const batch = newBatch(dataset, batchSize);
    batch.count = Math.min(batchSize, split.size - start);
    for (let row = 0; row < batch.count; row++) {
      split.image(start + row, batch.images, row * imageLength);
      batch.labels[row] = BigInt(split.label(start + row));
    }
    yield batch;
  }
}
