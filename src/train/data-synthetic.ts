import { Random } from '../model/random.js';
import { type Dataset, type Split, toInput } from './data.js';

/** What `syntheticDataset` makes; sizes default to SYNTHETIC_DEFAULTS. */
export interface SyntheticOptions {
  /** Number of classes (>= 2). */
  classes: number;
  /** Height and width of the images. */
  imageSize: number;
  /** Seed of the whole task: the class templates and every image. */
  seed: number;
  /** Images in the training split. */
  trainSize?: number;
  /** Images in the held-out split. */
  heldOutSize?: number;
}

/** Default split sizes. Images are drawn on demand, so a size costs nothing until its images are read. */
export const SYNTHETIC_DEFAULTS = { trainSize: 10_000, heldOutSize: 1_000 } as const;

/** The most images a split may have: the two splits' image streams must not meet (see syntheticDataset). */
export const MAX_SPLIT_SIZE = 2 ** 31;

/** The smallest image the shapes and gratings still show in. */
export const SYNTHETIC_MIN_IMAGE_SIZE = 8;

/**
 * The task's difficulty, in units of the image width (positions, sizes) and of the [0, 1] pixel range (colours).
 * Chosen so that a small CNN learns it but a nearest-class-mean classifier on the raw pixels cannot: per-image shifts,
 * grating phases and colour jitter leave a class's mean image a blur (test/train/data.test.ts checks both sides).
 */
const TASK = {
  /** Grating frequencies, cycles per image width. */
  minFrequency: 2.5,
  maxFrequency: 7,
  gratingAmplitude: 0.22,
  /** Shape radius range, as a fraction of the image width. */
  minRadius: 0.16,
  maxRadius: 0.26,
  /** Largest shift of a shape's centre from the image centre, per axis. */
  maxShift: 0.2,
  /** Largest per-image change of the radius (relative) and of the class hue. */
  radiusJitter: 0.15,
  hueJitter: 0.06,
  /** Per-image, per-channel gain range (1 +- this) and brightness offset range (+- this). */
  gainJitter: 0.25,
  offsetJitter: 0.12,
  /** Amplitude of the per-pixel noise (triangular, so bounded). */
  noise: 0.25,
};

type Inside = (a: number, b: number, r: number) => boolean;

/** The shapes; a class's shape is one of them, its place, size and colours vary per image. */
const SHAPES: Inside[] = [
  (a, b, r) => a * a + b * b < r * r, // disc
  (a, b, r) => Math.max(Math.abs(a), Math.abs(b)) < r * 0.85, // square
  (a, b, r) => {
    const d = a * a + b * b; // ring
    return d < r * r && d > 0.36 * r * r;
  },
  (a, b, r) => (Math.abs(a) < r * 0.3 && Math.abs(b) < r) || (Math.abs(b) < r * 0.3 && Math.abs(a) < r), // cross
  (a, b, r) => b > -r && b < 0.7 * r && Math.abs(a) < (0.95 * (b + r)) / 1.7, // triangle, apex up
  (a, b, r) => Math.abs(a) + Math.abs(b) < r, // diamond
];

/** A class's template: what every image of the class shares. */
interface Template {
  shape: Inside;
  /** Grating direction (radians) and frequency (cycles per image width). */
  angle: number;
  frequency: number;
  /** Hue of the shape in [0, 1); the grating takes the opposite hue. */
  hue: number;
  radius: number;
}

/** Fractional part. */
const frac = (x: number): number => x - Math.floor(x);

/**
 * Class templates spread over shape, grating angle and frequency, and hue with additive recurrences (golden-ratio-like
 * steps), so any two of a few dozen classes differ clearly whatever the seed; the seed moves each sequence's start.
 */
function templates(classes: number, seed: number): Template[] {
  const rng = new Random(seed, 'synthetic/classes');
  const start = Array.from({ length: 5 }, () => rng.uniform());
  return Array.from({ length: classes }, (_, c) => ({
    shape: SHAPES[(c + Math.floor(start[0]! * SHAPES.length)) % SHAPES.length]!,
    angle: Math.PI * frac(start[1]! + c * 0.6180339887),
    frequency: TASK.minFrequency + (TASK.maxFrequency - TASK.minFrequency) * frac(start[2]! + c * 0.7548776662),
    hue: frac(start[3]! + c * 0.569840291),
    radius: TASK.minRadius + (TASK.maxRadius - TASK.minRadius) * frac(start[4]! + c * 0.4142135624),
  }));
}

/** Fully saturated RGB in [0, 1] for a hue in [0, 1). */
function hueColour(hue: number): [number, number, number] {
  const h = frac(hue) * 6;
  const x = 1 - Math.abs((h % 2) - 1);
  const sector = Math.floor(h);
  const table: [number, number, number][] = [
    [1, x, 0],
    [x, 1, 0],
    [0, 1, x],
    [0, x, 1],
    [x, 0, 1],
    [1, 0, x],
  ];
  return table[sector]!;
}

/** Problems with synthetic-data options, each naming the option; empty when they are usable. */
export function syntheticProblems(o: SyntheticOptions): string[] {
  const problems: string[] = [];
  const atLeast = (name: string, v: number, min: number) => {
    if (!(Number.isSafeInteger(v) && v >= min)) problems.push(`${name} must be an integer >= ${min}, got ${v}`);
  };
  atLeast('--classes', o.classes, 2);
  atLeast('--image-size', o.imageSize, SYNTHETIC_MIN_IMAGE_SIZE);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    problems.push(`--seed must be an integer in [0, 4294967295], got ${o.seed}`);
  for (const [name, v] of [
    ['trainSize', o.trainSize],
    ['heldOutSize', o.heldOutSize],
  ] as const)
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1 && v <= MAX_SPLIT_SIZE))
      problems.push(`${name} must be an integer in [1, ${MAX_SPLIT_SIZE}], got ${v}`);
  return problems;
}

/**
 * A deterministic, learnable K-class image task: each class is a coloured shape over a coloured grating (its
 * template), and each image moves, resizes and recolours them, shifts the grating's phase, and adds noise. Image
 * `i` of a split has label `i % classes` (balanced splits) and is drawn from its own random stream: the same options
 * give the same bytes, and no held-out image shares its stream with a training image.
 */
export function syntheticDataset(options: SyntheticOptions): Dataset {
  const problems = syntheticProblems(options);
  if (problems.length) throw new Error(problems.join('; '));
  const { classes, imageSize, seed } = options;
  const classTemplates = templates(classes, seed);
  // Random's stream is its string's hash XOR the seed argument times an odd constant, a bijection of 32-bit values:
  // training image i takes argument i and held-out image j takes -1 - j, so no two images share a stream.
  const split = (size: number, streamOf: (index: number) => number): Split => ({
    size,
    label: (index) => index % classes,
    image: (index, out, offset) => {
      if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) throw new RangeError(`no image ${index} in a split of ${size}`);
      drawImage(classTemplates[index % classes]!, new Random(streamOf(index), `synthetic/${seed}`), imageSize, out, offset);
    },
  });
  return {
    source: 'synthetic',
    classes,
    classNames: Array.from({ length: classes }, (_, c) => `class ${c}`),
    imageSize,
    train: split(options.trainSize ?? SYNTHETIC_DEFAULTS.trainSize, (i) => i),
    heldOut: split(options.heldOutSize ?? SYNTHETIC_DEFAULTS.heldOutSize, (j) => -1 - j),
  };
}

/** Draws one image of template `t` with the nuisances from `rng`, as network input (CHW) at out[offset]. */
function drawImage(t: Template, rng: Random, s: number, out: Float32Array, offset: number): void {
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  const cx = between(-TASK.maxShift, TASK.maxShift);
  const cy = between(-TASK.maxShift, TASK.maxShift);
  const r = t.radius * between(1 - TASK.radiusJitter, 1 + TASK.radiusJitter);
  const phase = between(0, 2 * Math.PI);
  const shapeColour = hueColour(t.hue + between(-TASK.hueJitter, TASK.hueJitter));
  const gratingColour = hueColour(t.hue + 0.5 + between(-TASK.hueJitter, TASK.hueJitter));
  const background = between(0.3, 0.7);
  const gain = [0, 1, 2].map(() => between(1 - TASK.gainJitter, 1 + TASK.gainJitter));
  const shift = [0, 1, 2].map(() => between(-TASK.offsetJitter, TASK.offsetJitter));

  // sin(ku*u + kv*v + phase) = sin(ku*u) cos(kv*v + phase) + cos(ku*u) sin(kv*v + phase): 4S trig calls, not S^2
  const k = 2 * Math.PI * t.frequency;
  const colSin = new Float64Array(s);
  const colCos = new Float64Array(s);
  const coord = new Float64Array(s);
  for (let x = 0; x < s; x++) {
    coord[x] = (x + 0.5) / s - 0.5;
    colSin[x] = Math.sin(k * Math.cos(t.angle) * coord[x]!);
    colCos[x] = Math.cos(k * Math.cos(t.angle) * coord[x]!);
  }
  const plane = s * s;
  for (let y = 0; y < s; y++) {
    const v = coord[y]!;
    const rowSin = Math.sin(k * Math.sin(t.angle) * v + phase);
    const rowCos = Math.cos(k * Math.sin(t.angle) * v + phase);
    for (let x = 0; x < s; x++) {
      const inside = t.shape(coord[x]! - cx, v - cy, r);
      const g = TASK.gratingAmplitude * (colSin[x]! * rowCos + colCos[x]! * rowSin);
      for (let c = 0; c < 3; c++) {
        const base = inside ? shapeColour[c]! : background + g * (2 * gratingColour[c]! - 1);
        // the sum of a draw's two 16-bit halves: triangular noise in [-1, 1), bounded and cheaper than a normal
        const n = rng.nextUint32();
        const noise = ((n & 0xffff) + (n >>> 16)) / 65536 - 1;
        const p = Math.min(1, Math.max(0, base * gain[c]! + shift[c]! + TASK.noise * noise));
        out[offset + c * plane + y * s + x] = toInput(p, c);
      }
    }
  }
}
