import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { Random } from '../model/random.js';
import { DataError, type Dataset, INPUT_OF_BYTE, type Split } from './data.js';
import { decodeImage, formatOfName, type ImageFormat, readHeader, squareRgb } from './data-image.js';

/** What `imageFolderDataset` reads. */
export interface ImageFolderOptions {
  /** The directory: one folder per class, or `train/` and `val/` folders that each hold one folder per class. */
  dir: string;
  /** Height and width the images are resized and cropped to. */
  imageSize: number;
  /** Most bytes the decoded images may take (default `defaultCacheLimit()`); a larger set is refused. */
  maxCacheBytes?: number;
}

/** The share of each class held out when the directory has no `val/` folder. */
export const HELD_OUT_FRACTION = 0.1;

/**
 * A JPEG's size may sit behind EXIF segments with thumbnails (each segment at most 64 KiB); this much of a file is
 * read to find it first, the whole file when it lies further.
 */
const HEADER_BYTES = 64 << 10;

/** The default memory bound for decoded images: a quarter of this machine's memory, at most 2 GiB. */
export function defaultCacheLimit(): number {
  return Math.min(2 ** 31, Math.floor(totalmem() / 4));
}

interface ImageFile {
  path: string;
  /** The file's name in its class folder. */
  name: string;
  format: ImageFormat;
  label: number;
}

/**
 * An ImageFolder directory (torchvision's layout): `DIR/<class>/<image>.png|.jpg|.jpeg`, classes in sorted folder-name
 * order (class index = position). The held-out split is `DIR/val/<class>/...` when DIR's only folders are `train/`
 * and `val/`; otherwise HELD_OUT_FRACTION of each class (rounded, at least 1 of a class with 2 or more images), the files
 * whose names hash lowest, so the same files always give the same split. Hidden entries and files of other
 * types are skipped. Every file's header is read here, so an unreadable, foreign or oversized file is refused before
 * training; pixels are decoded on first use, resized (shorter side, then centre crop) and kept as 8-bit RGB, within
 * `maxCacheBytes`. As in torchvision, EXIF orientation is not applied and alpha is dropped.
 */
export function imageFolderDataset(options: ImageFolderOptions): Dataset {
  const { dir, imageSize } = options;
  if (!Number.isSafeInteger(imageSize) || imageSize < 1) throw new Error(`--image-size must be a positive integer, got ${imageSize}`);
  checkDirectory(dir);
  const top = visibleEntries(dir)
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const hasSplitFolders = top.join('/') === 'train/val';
  const classRoot = hasSplitFolders ? join(dir, 'train') : dir;
  const classNames = classFolders(classRoot, dir);
  const { train, heldOut } = hasSplitFolders ? splitFolders(dir, classNames) : splitByName(dir, classNames);

  const bytesEach = 3 * imageSize * imageSize;
  const total = (train.length + heldOut.length) * bytesEach;
  const limit = options.maxCacheBytes ?? defaultCacheLimit();
  if (total > limit)
    throw new DataError(
      `--data ${dir} has ${(train.length + heldOut.length).toLocaleString('en-US')} images: decoded at ${imageSize}x${imageSize} they take ` +
        `${bytesText(total)}, over the ${bytesText(limit)} kept in memory: use a smaller --image-size or fewer images`,
    );
  for (const f of [...train, ...heldOut]) checkHeader(f);

  return {
    source: dir,
    classes: classNames.length,
    classNames,
    imageSize,
    train: split(train, imageSize),
    heldOut: split(heldOut, imageSize),
  };
}

interface Files {
  train: ImageFile[];
  heldOut: ImageFile[];
}

/** The images of DIR/train/<class> and DIR/val/<class>. */
function splitFolders(dir: string, classNames: string[]): Files {
  const valNames = classFolders(join(dir, 'val'), dir, 1);
  if (valNames.join('/') !== classNames.join('/'))
    throw new DataError(
      `--data ${dir}: train/ and val/ must hold the same class folders; train/ has ${quoteList(classNames)}, val/ has ${quoteList(valNames)}`,
    );
  const train = classNames.flatMap((name, label) => classImages(join(dir, 'train', name), label, true));
  const heldOut = classNames.flatMap((name, label) => classImages(join(dir, 'val', name), label, false));
  if (!heldOut.length) throw new DataError(`--data ${dir}: val/ has no PNG or JPEG images`);
  return { train, heldOut };
}

/** The images of DIR/<class>, HELD_OUT_FRACTION of each class held out: those whose names hash lowest. */
function splitByName(dir: string, classNames: string[]): Files {
  const out: Files = { train: [], heldOut: [] };
  for (const [label, name] of classNames.entries()) {
    const files = classImages(join(dir, name), label, true);
    const held = files.length < 2 ? 0 : Math.max(1, Math.round(files.length * HELD_OUT_FRACTION));
    const ranked = files.map((f) => ({ name: f.name, hash: nameHash(f.name) }));
    ranked.sort((a, b) => a.hash - b.hash || (a.name < b.name ? -1 : 1));
    const heldNames = new Set(ranked.slice(0, held).map((f) => f.name));
    for (const f of files) (heldNames.has(f.name) ? out.heldOut : out.train).push(f);
  }
  if (!out.heldOut.length)
    throw new DataError(`--data ${dir}: every class has 1 image, so none can be held out: add images, or train/ and val/ folders`);
  return out;
}

function checkDirectory(dir: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(`--data ${dir}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : (err as Error).message}`);
  }
  if (!isDirectory) throw new DataError(`--data ${dir} is a file: give a directory with one folder of images per class, or 'synthetic'`);
}

/** Entries not starting with a dot, links followed, sorted as torchvision numbers classes (Python's sorted(), by character). */
function visibleEntries(dir: string): { name: string; isDirectory(): boolean; isFile(): boolean }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch (err) {
    throw new DataError(`cannot read ${dir}: ${(err as Error).message}`);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.flatMap((name) => {
    try {
      const st = statSync(join(dir, name));
      return [{ name, isDirectory: () => st.isDirectory(), isFile: () => st.isFile() }];
    } catch {
      return []; // a dangling link
    }
  });
}

/** The class folders of `root`, at least `min` of them (2 for training: one class teaches nothing). */
function classFolders(root: string, dir: string, min = 2): string[] {
  const names = visibleEntries(root)
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  if (!names.length)
    throw new DataError(
      `--data ${dir}: no class folders in ${root}: put each class's images in a folder of its own (${join(root, 'cat', '1.jpg')})`,
    );
  if (names.length < min) throw new DataError(`--data ${dir} has one class folder ('${names[0]}'): a classifier needs at least 2 classes`);
  return names;
}

function classImages(folder: string, label: number, required: boolean): ImageFile[] {
  const files = visibleEntries(folder).flatMap((e) => {
    const format = e.isFile() ? formatOfName(e.name) : undefined;
    return format ? [{ path: join(folder, e.name), name: e.name, format, label }] : [];
  });
  if (required && !files.length) throw new DataError(`class folder ${folder} has no PNG or JPEG images (.png, .jpg, .jpeg)`);
  return files;
}

/** Reads the file's header; the whole file when a JPEG's frame header lies past the first HEADER_BYTES. */
function checkHeader(f: ImageFile): void {
  let head: Uint8Array;
  let whole = false;
  try {
    const fd = openSync(f.path, 'r');
    try {
      head = new Uint8Array(HEADER_BYTES);
      head = head.subarray(0, readSync(fd, head, 0, HEADER_BYTES, 0));
      whole = head.length < HEADER_BYTES;
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new DataError(`cannot read ${f.path}: ${(err as Error).message}`);
  }
  let header = readHeader(head);
  if ('problem' in header && !whole && f.format === 'jpeg') header = readHeader(readFileSync(f.path));
  if ('problem' in header) throw new DataError(`${f.path} is ${header.problem}`);
  if (header.format !== f.format)
    throw new DataError(`${f.path} is a ${header.format.toUpperCase()} file with a ${f.format.toUpperCase()} name`);
}

/** A split whose images are decoded on first use and then kept (resized, 8-bit). */
function split(files: ImageFile[], size: number): Split {
  const cache: (Uint8Array | undefined)[] = new Array(files.length);
  const plane = size * size;
  return {
    size: files.length,
    label: (index) => files[index]!.label,
    image: (index, out, offset) => {
      const f = files[index];
      if (!f) throw new RangeError(`no image ${index} in a split of ${files.length}`);
      let rgb = cache[index];
      if (!rgb) {
        try {
          rgb = squareRgb(decodeImage(readFileSync(f.path), f.format), size);
        } catch (err) {
          throw new DataError(`cannot decode ${f.path}: ${(err as Error).message}`);
        }
        cache[index] = rgb;
      }
      for (let c = 0; c < 3; c++) {
        const table = INPUT_OF_BYTE[c]!;
        for (let i = 0; i < plane; i++) out[offset + c * plane + i] = table[rgb[c * plane + i]!]!;
      }
    },
  };
}

/** A stable 32-bit hash of a file name: the first draw of the name's random stream. */
const nameHash = (name: string): number => new Random(0, `held-out/${name}`).nextUint32();

function bytesText(bytes: number): string {
  if (bytes < 2 ** 20) return `${bytes.toLocaleString('en-US')} bytes`;
  return bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

const quoteList = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
