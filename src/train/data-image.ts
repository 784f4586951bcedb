import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** The image formats an ImageFolder set may hold. */
export type ImageFormat = 'png' | 'jpeg';

/** What a file's first bytes say: its format and size, or why it cannot be an image we read. */
export type ImageHeader = { format: ImageFormat; width: number; height: number } | { problem: string };

/** An 8-bit RGBA image, rows top to bottom, as both decoders give it. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Images larger than this are refused before decoding: their RGBA pixels alone would take 4 bytes per pixel. */
export const MAX_IMAGE_PIXELS = 64_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image format of a file name's extension (`.png`, `.jpg`, `.jpeg`, any case), or undefined. */
export function formatOfName(name: string): ImageFormat | undefined {
  const ext = name.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  return ext === 'png' ? 'png' : ext === 'jpg' || ext === 'jpeg' ? 'jpeg' : undefined;
}

/**
 * Reads the format and size from the first bytes of a file (the PNG IHDR chunk; the JPEG start-of-frame segment,
 * which may follow large EXIF segments: give enough bytes, or the whole file). No pixel is decoded.
 */
export function readHeader(bytes: Uint8Array): ImageHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR')
      return { problem: 'a PNG file without its IHDR header' };
    return sized('png', view.getUint32(16), view.getUint32(20));
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(view);
  return { problem: 'not a PNG or JPEG file' };
}

function sized(format: ImageFormat, width: number, height: number): ImageHeader {
  if (width < 1 || height < 1) return { problem: `a ${format.toUpperCase()} file of ${width}x${height} pixels` };
  if (width * height > MAX_IMAGE_PIXELS)
    return { problem: `${width}x${height} pixels, over the ${MAX_IMAGE_PIXELS / 1e6} megapixels an image may have here` };
  return { format, width, height };
}

/** Walks the JPEG segments to the first start-of-frame marker (SOF0-SOF15 but DHT, JPG and DAC), which holds the size. */
function jpegHeader(view: DataView): ImageHeader {
  let at = 2;
  while (at + 4 <= view.byteLength) {
    if (view.getUint8(at) !== 0xff) return { problem: 'a corrupt JPEG file (no marker where one should be)' };
    const marker = view.getUint8(at + 1);
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2; // markers without a length
      continue;
    }
    const length = view.getUint16(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > view.byteLength) break;
      return sized('jpeg', view.getUint16(at + 7), view.getUint16(at + 5));
    }
    if (marker === 0xda || marker === 0xd9) return { problem: 'a corrupt JPEG file (no frame header before its image data)' };
    at += 2 + length;
  }
  return { problem: 'a truncated JPEG file (it ends before its frame header)' };
}

/** Decodes a PNG or JPEG file to RGBA; throws the decoder's error for a corrupt file. */
export function decodeImage(bytes: Uint8Array, format: ImageFormat): RgbaImage {
  if (format === 'png') {
    // 16-bit PNGs come out scaled to 8 bits, palettes and grey expanded to RGBA
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  }
  const image = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    // a truncated or damaged JPEG is an error here, not a partly grey image
    tolerantDecoding: false,
    maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
    maxMemoryUsageInMB: 2048,
  });
  return { width: image.width, height: image.height, data: image.data };
}

/** For each output position along one axis: the source positions it blends and their weights (summing to 1). */
interface Taps {
  index: Int32Array;
  weight: Float64Array;
  /** Taps per output position. */
  count: number;
}

/**
 * A triangle (bilinear) filter from `length` source pixels starting at `start` onto `size` output pixels, widened by
 * the scale when shrinking, so a large photo is averaged down rather than sampled (PIL's antialiased BILINEAR).
 */
function taps(start: number, length: number, size: number, limit: number): Taps {
  const scale = length / size;
  const support = Math.max(1, scale);
  const count = 2 * Math.ceil(support) + 1;
  const index = new Int32Array(size * count);
  const weight = new Float64Array(size * count);
  for (let o = 0; o < size; o++) {
    const centre = start + (o + 0.5) * scale - 0.5;
    const first = Math.floor(centre - support) + 1;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const w = Math.max(0, 1 - Math.abs(first + k - centre) / support);
      index[o * count + k] = Math.min(limit - 1, Math.max(0, first + k));
      weight[o * count + k] = w;
      total += w;
    }
    for (let k = 0; k < count; k++) weight[o * count + k]! /= total;
  }
  return { index, weight, count };
}

/**
 * The image resized so its shorter side is `size`, then the centre `size` x `size` square cut out (the usual
 * ImageNet evaluation transform: no stretching), as planar 8-bit RGB [3, size, size]. Alpha is dropped, as PIL's
 * convert('RGB') does.
 */
export function squareRgb(image: RgbaImage, size: number): Uint8Array {
  const { width, height, data } = image;
  const side = Math.min(width, height);
  const xs = taps((width - side) / 2, side, size, width);
  const ys = taps((height - side) / 2, side, size, height);
  // horizontal pass over every source row the vertical pass reads
  const rows = new Float64Array(height * size * 3);
  for (let y = 0; y < height; y++) {
    for (let o = 0; o < size; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < xs.count; k++) {
        const w = xs.weight[o * xs.count + k]!;
        if (w === 0) continue;
        const at = (y * width + xs.index[o * xs.count + k]!) * 4;
        r += w * data[at]!;
        g += w * data[at + 1]!;
        b += w * data[at + 2]!;
      }
      const to = (y * size + o) * 3;
      rows[to] = r;
      rows[to + 1] = g;
      rows[to + 2] = b;
    }
  }
  const out = new Uint8Array(3 * size * size);
  const plane = size * size;
  for (let o = 0; o < size; o++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let k = 0; k < ys.count; k++) {
          const w = ys.weight[o * ys.count + k]!;
          if (w !== 0) v += w * rows[(ys.index[o * ys.count + k]! * size + x) * 3 + c]!;
        }
        out[c * plane + o * size + x] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return out;
}
