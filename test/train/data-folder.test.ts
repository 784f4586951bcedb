import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { batches, DataError, type Dataset, INPUT_OF_BYTE } from '../../src/train/data.js';
import { imageFolderDataset } from '../../src/train/data-folder.js';
import { tempDir } from '../helpers/cli.js';

type Rgb = [number, number, number];
/** A pixel colour by position. */
type Paint = (x: number, y: number) => Rgb;

function rgba(width: number, height: number, paint: Paint, alpha = 255): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      data.set([...paint(x, y), alpha], (y * width + x) * 4);
    }
  return data;
}

function pngFile(width: number, height: number, paint: Paint, colorType: 0 | 2 | 6 = 6, alpha = 255): Buffer {
  const png = new PNG({ width, height });
  png.data = rgba(width, height, paint, alpha);
  return PNG.sync.write(png, { colorType });
}

function jpegFile(width: number, height: number, paint: Paint): Buffer {
  return jpeg.encode({ width, height, data: rgba(width, height, paint) }, 95).data;
}

const solid =
  (c: Rgb): Paint =>
  () =>
    c;

/** Writes `files` (path relative to a fresh directory -> bytes) and returns the directory. */
function folder(files: Record<string, Buffer | string>): string {
  const dir = tempDir('alexnet-onnx-data-');
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

/** The 8-bit pixel (r, g, b) at (x, y) of an image, recovered from its network input. */
function pixelAt(ds: Dataset, split: 'train' | 'heldOut', index: number, x: number, y: number): Rgb {
  const s = ds.imageSize;
  const out = new Float32Array(3 * s * s);
  ds[split].image(index, out, 0);
  return [0, 1, 2].map((c) => INPUT_OF_BYTE[c]!.indexOf(out[c * s * s + y * s + x]!)) as Rgb;
}

const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];

describe('imageFolderDataset', () => {
  it('reads one folder per class in sorted order, PNG and JPEG, and holds out 10% of each class by name', () => {
    const files: Record<string, Buffer | string> = { 'README.txt': 'not a class', '.hidden/x.png': pngFile(4, 4, solid(RED)) };
    for (let i = 0; i < 10; i++) {
      files[`b-red/${i}.png`] = pngFile(12, 9, solid(RED));
      files[`a-blue/${i}.JPG`] = jpegFile(9, 12, solid(BLUE));
    }
    files['a-blue/notes.txt'] = 'skipped';
    const dir = folder(files);
    const ds = imageFolderDataset({ dir, imageSize: 6 });
    expect(ds.classNames).toEqual(['a-blue', 'b-red']);
    expect([ds.classes, ds.train.size, ds.heldOut.size, ds.imageSize]).toEqual([2, 18, 2, 6]);
    expect([0, 1].map((i) => ds.heldOut.label(i))).toEqual([0, 1]);
    expect(pixelAt(ds, 'heldOut', 1, 3, 3)).toEqual(RED);
    const blue = pixelAt(ds, 'heldOut', 0, 3, 3);
    expect(blue.map((v, c) => Math.abs(v - BLUE[c]!)).every((d) => d <= 8)).toBe(true); // JPEG is lossy
    expect(imageFolderDataset({ dir, imageSize: 6 }).heldOut.label(0)).toBe(0); // the same split again

    const batch = batches(ds, 18, 1).next().value;
    expect([...batch.labels].filter((l) => l === 1n)).toHaveLength(9);
  });

  it('resizes the shorter side and cuts the centre square out, with a filter that averages when shrinking', () => {
    // 40x20, left half red, right half blue; the 20x20 centre (x 10..29) shrinks to 10x10: red left, blue right
    const halves: Paint = (x) => (x < 20 ? RED : BLUE);
    const stripes: Paint = (x) => (x % 2 ? [255, 255, 255] : [0, 0, 0]);
    const ds = imageFolderDataset({
      dir: folder({ 'a/1.png': pngFile(40, 20, halves), 'a/2.png': pngFile(40, 20, halves), 'b/1.png': pngFile(20, 20, stripes) }),
      imageSize: 10,
    });
    const row = [0, 1, 3, 4, 5, 6, 8, 9].map((x) => pixelAt(ds, 'train', 0, x, 5));
    // output x 4 is centred on source x 18.5: a triangle of radius 2 weighs x 17..20 by 1/8, 3/8, 3/8, 1/8: 7/8 red
    expect(row).toEqual([RED, RED, RED, [223, 0, 32], [32, 0, 223], BLUE, BLUE, BLUE]);
    // 1-pixel stripes averaged down by 2: grey, not aliased black or white
    const grey = pixelAt(ds, 'train', 1, 4, 4);
    expect(grey.every((v) => v > 100 && v < 155)).toBe(true);
  });

  it('reads grey and RGB PNGs and drops alpha', () => {
    const ds = imageFolderDataset({
      dir: folder({
        'train/a/1.png': pngFile(4, 4, solid([90, 90, 90]), 0),
        'train/b/1.png': pngFile(4, 4, solid([10, 20, 30]), 6, 0),
        'val/a/1.png': pngFile(4, 4, solid([1, 2, 3]), 2),
        'val/b/1.png': pngFile(4, 4, solid([1, 2, 3]), 2),
      }),
      imageSize: 4,
    });
    expect([0, 1].map((i) => pixelAt(ds, 'train', i, 1, 1))).toEqual([
      [90, 90, 90],
      [10, 20, 30],
    ]);
    expect(pixelAt(ds, 'heldOut', 1, 3, 0)).toEqual([1, 2, 3]);
  });

  it('uses train/ and val/ folders as the splits when they are the only folders', () => {
    const dir = folder({
      'train/cat/1.png': pngFile(4, 4, solid(RED)),
      'train/dog/1.png': pngFile(4, 4, solid(BLUE)),
      'train/dog/2.png': pngFile(4, 4, solid(BLUE)),
      'val/cat/9.png': pngFile(4, 4, solid(RED)),
      'val/dog/.keep': '',
      'README.md': 'files beside train/ and val/ are left alone',
    });
    const ds = imageFolderDataset({ dir, imageSize: 4 });
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([ds.train.size, ds.heldOut.size, ds.heldOut.label(0)]).toEqual([3, 1, 0]);
  });
});

describe('imageFolderDataset refuses', () => {
  const png = pngFile(4, 4, solid(RED));
  const refusal = (files: Record<string, Buffer | string>, maxCacheBytes?: number) => {
    const dir = folder(files);
    try {
      imageFolderDataset({ dir, imageSize: 8, maxCacheBytes });
    } catch (err) {
      expect(err).toBeInstanceOf(DataError);
      return (err as Error).message.replaceAll(dir, 'DIR');
    }
    throw new Error('no error');
  };

  it('a missing directory, or a file', () => {
    const dir = folder({ 'file.png': png });
    expect(() => imageFolderDataset({ dir: join(dir, 'nope'), imageSize: 8 })).toThrow(`--data ${join(dir, 'nope')}: no such directory`);
    expect(() => imageFolderDataset({ dir: join(dir, 'file.png'), imageSize: 8 })).toThrow(
      `--data ${join(dir, 'file.png')} is a file: give a directory with one folder of images per class, or 'synthetic'`,
    );
  });

  it('no class folders, one class, or a class without images', () => {
    expect(refusal({ 'x.png': png })).toBe(
      "--data DIR: no class folders in DIR: put each class's images in a folder of its own (DIR/cat/1.jpg)",
    );
    expect(refusal({ 'only/x.png': png })).toBe("--data DIR has one class folder ('only'): a classifier needs at least 2 classes");
    expect(refusal({ 'a/x.png': png, 'b/readme.txt': 'hi' })).toBe('class folder DIR/b has no PNG or JPEG images (.png, .jpg, .jpeg)');
  });

  it('too few images to hold any out, or val/ classes that differ from train/', () => {
    expect(refusal({ 'a/x.png': png, 'b/y.png': png })).toBe(
      '--data DIR: every class has 1 image, so none can be held out: add images, or train/ and val/ folders',
    );
    expect(refusal({ 'train/a/x.png': png, 'train/b/x.png': png, 'val/a/x.png': png, 'val/c/x.png': png })).toBe(
      "--data DIR: train/ and val/ must hold the same class folders; train/ has 'a', 'b', val/ has 'a', 'c'",
    );
  });

  it('a file that is no PNG or JPEG, a PNG named .jpg, a truncated JPEG header, naming the file', () => {
    expect(refusal({ 'a/x.png': png, 'a/y.png': png, 'b/bad.png': 'hello' })).toBe('DIR/b/bad.png is not a PNG or JPEG file');
    expect(refusal({ 'a/x.png': png, 'a/y.png': png, 'b/p.jpg': png })).toBe('DIR/b/p.jpg is a PNG file with a JPEG name');
    const cut = jpegFile(8, 8, solid(RED)).subarray(0, 30);
    expect(refusal({ 'a/x.png': png, 'a/y.png': png, 'b/cut.jpg': cut })).toMatch(/^DIR\/b\/cut.jpg is a truncated JPEG file/);
  });

  it('a corrupt image when it is decoded, naming the file', () => {
    const broken = Buffer.from(png);
    broken.fill(0, 40); // the header survives; the pixel data does not
    const jpegCut = jpegFile(16, 16, (x) => (x < 8 ? RED : BLUE));
    const dir = folder({
      'train/a/1.png': broken,
      'train/b/1.jpg': jpegCut.subarray(0, jpegCut.length - 40),
      'val/a/1.png': png,
      'val/b/1.png': png,
    });
    const ds = imageFolderDataset({ dir, imageSize: 8 });
    const out = new Float32Array(3 * 8 * 8);
    const error = (index: number) => {
      try {
        ds.train.image(index, out, 0);
      } catch (err) {
        expect(err).toBeInstanceOf(DataError);
        return (err as Error).message.replaceAll(dir, 'DIR');
      }
      throw new Error('no error');
    };
    expect(error(0)).toMatch(/^cannot decode DIR\/train\/a\/1.png: \S/);
    expect(error(1)).toMatch(/^cannot decode DIR\/train\/b\/1.jpg: \S/);
    ds.heldOut.image(0, out, 0);
  });

  it('a set whose decoded images would not fit the memory bound, with the numbers', () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 6; i++) files[`${'ab'[i % 2]}/${i}.png`] = png;
    expect(refusal(files, 1000)).toBe(
      '--data DIR has 6 images: decoded at 8x8 they take 1,152 bytes, over the 1,000 bytes kept in memory: use a smaller --image-size or fewer images',
    );
  });
});
