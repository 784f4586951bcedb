import { describe, expect, it } from 'vitest';
import { type Batch, batches, type Dataset, heldOutBatches, INPUT_STDDEV, permutation, toInput } from '../../src/train/data.js';
import { SYNTHETIC_DEFAULTS, syntheticDataset, syntheticProblems } from '../../src/train/data-synthetic.js';

const S = 32;
const imageLength = 3 * S * S;

function images(split: Dataset['train'], indices: number[], size = S): Float32Array {
  const out = new Float32Array(indices.length * 3 * size * size);
  indices.forEach((index, row) => split.image(index, out, row * 3 * size * size));
  return out;
}

/** Whether two float arrays hold the same bytes (vitest's deep equality is slow on large typed arrays). */
const same = (a: Float32Array, b: Float32Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** A key per image's bytes, in order, for finding equal images. */
function keys(data: Float32Array, length: number): string[] {
  const bytes = new Uint8Array(data.buffer);
  const out: string[] = [];
  for (let at = 0; at < data.length; at += length) out.push(Buffer.from(bytes.subarray(at * 4, (at + length) * 4)).toString('base64'));
  return out;
}

function take<T>(it: Iterator<T>, n: number): T[] {
  return range(n).map(() => it.next().value as T);
}

describe('syntheticDataset', () => {
  const ds = syntheticDataset({ classes: 10, imageSize: S, seed: 7, trainSize: 200, heldOutSize: 50 });

  it('gives the same bytes for the same options and different ones for another seed or image', () => {
    const again = syntheticDataset({ classes: 10, imageSize: S, seed: 7, trainSize: 200, heldOutSize: 50 });
    expect(same(images(again.train, range(20)), images(ds.train, range(20)))).toBe(true);
    expect(same(images(again.heldOut, range(20)), images(ds.heldOut, range(20)))).toBe(true);
    const other = syntheticDataset({ classes: 10, imageSize: S, seed: 8, trainSize: 200, heldOutSize: 50 });
    expect(same(images(other.train, [0]), images(ds.train, [0]))).toBe(false);
    expect(same(images(ds.train, [0]), images(ds.train, [10]))).toBe(false); // same class, another image
  });

  it('holds out images that are in no training batch', () => {
    const train = new Set(keys(images(ds.train, range(ds.train.size)), imageLength));
    const heldOut = new Set(keys(images(ds.heldOut, range(ds.heldOut.size)), imageLength));
    expect(train.size).toBe(200);
    expect(heldOut.size).toBe(50);
    expect([...heldOut].filter((k) => train.has(k))).toEqual([]);
  });

  it('balances the labels and has the documented default sizes', () => {
    const counts = new Array(10).fill(0);
    for (let i = 0; i < ds.train.size; i++) counts[ds.train.label(i)]++;
    expect(counts).toEqual(new Array(10).fill(20));
    const big = syntheticDataset({ classes: 3, imageSize: S, seed: 1 });
    expect([big.train.size, big.heldOut.size]).toEqual([SYNTHETIC_DEFAULTS.trainSize, SYNTHETIC_DEFAULTS.heldOutSize]);
    expect(big.classNames).toEqual(['class 0', 'class 1', 'class 2']);
  });

  it('scales pixels like the benchmark images: mean near 0, spread near INPUT_STDDEV, within the [0, 1] pixel range', () => {
    const data = images(ds.train, range(100));
    let sum = 0;
    let sq = 0;
    for (const v of data) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / data.length;
    const sd = Math.sqrt(sq / data.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.3 * INPUT_STDDEV);
    expect(sd).toBeGreaterThan(0.5 * INPUT_STDDEV);
    expect(sd).toBeLessThan(2 * INPUT_STDDEV);
    const lowest = Math.min(toInput(0, 0), toInput(0, 1), toInput(0, 2));
    const highest = Math.max(toInput(1, 0), toInput(1, 1), toInput(1, 2));
    expect(data.every((v) => v >= lowest - 1e-6 && v <= highest + 1e-6)).toBe(true);
  });

  it('is learnable but not from the class means: a nearest-class-mean classifier is far above chance and far below 100%', () => {
    const K = 10;
    const size = 32; // the scenes are laid out in units of the image width: the task is the same at every size
    const task = syntheticDataset({ classes: K, imageSize: size, seed: 3, trainSize: 2000, heldOutSize: 400 });
    const length = 3 * size * size;
    const means = range(K).map(() => new Float64Array(length));
    const train = images(task.train, range(task.train.size), size);
    for (let i = 0; i < task.train.size; i++) {
      const m = means[task.train.label(i)]!;
      for (let j = 0; j < length; j++) m[j]! += train[i * length + j]!;
    }
    const test = images(task.heldOut, range(task.heldOut.size), size);
    let right = 0;
    for (let i = 0; i < task.heldOut.size; i++) {
      let best = -1;
      let bestDistance = Infinity;
      for (let c = 0; c < K; c++) {
        let d = 0;
        for (let j = 0; j < length; j++) d += (test[i * length + j]! - means[c]![j]! / (task.train.size / K)) ** 2;
        if (d < bestDistance) [best, bestDistance] = [c, d];
      }
      if (best === task.heldOut.label(i)) right++;
    }
    const accuracy = right / task.heldOut.size;
    expect(accuracy).toBeGreaterThan(0.25); // chance is 0.1
    expect(accuracy).toBeLessThan(0.7);
  });

  it('refuses unusable options, naming each', () => {
    expect(syntheticProblems({ classes: 1, imageSize: 4, seed: -1, trainSize: 0 })).toEqual([
      '--classes must be an integer >= 2, got 1',
      '--image-size must be an integer >= 8, got 4',
      '--seed must be an integer in [0, 4294967295], got -1',
      'trainSize must be an integer in [1, 2147483648], got 0',
    ]);
    expect(() => syntheticDataset({ classes: 2.5, imageSize: S, seed: 1 })).toThrow('--classes must be an integer >= 2, got 2.5');
    expect(() => ds.train.image(200, new Float32Array(imageLength), 0)).toThrow('no image 200 in a split of 200');
  });
});

describe('batches', () => {
  const ds = syntheticDataset({ classes: 4, imageSize: S, seed: 1, trainSize: 10, heldOutSize: 7 });

  /** Which training image each row of a batch is, found by its bytes. */
  function indicesOf(bs: Batch[]): number[] {
    const byKey = new Map([...keys(images(ds.train, range(10)), imageLength)].map((k, i) => [k, i]));
    return bs.flatMap((b) => [...keys(b.images, imageLength)].map((k) => byKey.get(k)!));
  }

  it('gives full NCHW float32 batches with int64 labels that match their images', () => {
    const [b] = take(batches(ds, 4, 1), 1);
    expect(b!.images).toBeInstanceOf(Float32Array);
    expect(b!.images.length).toBe(4 * imageLength);
    expect(b!.labels).toBeInstanceOf(BigInt64Array);
    expect(b!.count).toBe(4);
    const rows = indicesOf([b!]);
    expect([...b!.labels]).toEqual(rows.map((i) => BigInt(ds.train.label(i))));
  });

  it('visits every image once per epoch, runs epochs on without a short batch, and reshuffles each epoch', () => {
    const bs = take(batches(ds, 4, 1), 5); // 20 rows: epochs 0 and 1 of 10 images each
    const rows = indicesOf(bs);
    expect([...rows.slice(0, 10)].sort((a, b) => a - b)).toEqual(range(10));
    expect([...rows.slice(10, 20)].sort((a, b) => a - b)).toEqual(range(10));
    expect(rows.slice(0, 10)).not.toEqual(rows.slice(10, 20));
    expect(bs.map((b) => b.epoch)).toEqual([0, 0, 0, 1, 1]); // the third batch starts in epoch 0 and ends in epoch 1
    expect(new Set(bs.map((b) => b.images.buffer)).size).toBe(5);
  });

  it('is the same stream for the same seed and another order for another seed', () => {
    const a = take(batches(ds, 5, 9), 4);
    const b = take(batches(ds, 5, 9), 4);
    expect(b.map((x) => [...x.labels])).toEqual(a.map((x) => [...x.labels]));
    expect(b.every((x, i) => same(x.images, a[i]!.images))).toBe(true);
    expect(indicesOf(take(batches(ds, 5, 10), 2))).not.toEqual(indicesOf(a.slice(0, 2)));
  });

  it('goes over the held-out split once, in order, padding the last batch with zero rows', () => {
    const bs = [...heldOutBatches(ds, 3)];
    expect(bs.map((b) => b.count)).toEqual([3, 3, 1]);
    expect([...bs[2]!.labels]).toEqual([BigInt(ds.heldOut.label(6)), 0n, 0n]);
    expect(bs[2]!.images.subarray(imageLength).every((v) => v === 0)).toBe(true);
    expect(same(bs[1]!.images.subarray(0, imageLength), images(ds.heldOut, [3]))).toBe(true);
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => batches(ds, 0, 1).next()).toThrow('--batch must be a positive integer, got 0');
    expect(() => heldOutBatches(ds, 1.5).next()).toThrow('--batch must be a positive integer, got 1.5');
  });
});

describe('permutation', () => {
  it('is a permutation, the same for the same seed and name', () => {
    const p = permutation(1000, 5, 'x');
    expect([...p].sort((a, b) => a - b)).toEqual(range(1000));
    expect(permutation(1000, 5, 'x')).toEqual(p);
    expect(permutation(1000, 5, 'y')).not.toEqual(p);
  });
});
