/**
 * Seeded random numbers for weights and input images. Each tensor gets its own stream derived from (seed, name),
 * so adding a layer never changes another layer's values, and `--head fc` shares its conv weights with `--head none`.
 * xoshiro128** with splitmix32 seeding; Box-Muller normals. V8 implements Math.log/sqrt/cos with fdlibm ports, so the
 * values are the same on every machine.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number, stream: string) {
    let x = (hashString(stream) ^ Math.imul(seed | 0, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in (0, 1]: never 0, so log() is finite. */
  uniform(): number {
    return (this.nextUint32() + 1) / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Normal with the given stddev, redrawn when beyond two stddevs, as tf.truncated_normal does. */
  truncatedNormal(stddev: number): number {
    for (;;) {
      const z = this.normal();
      if (Math.abs(z) <= 2) return z * stddev;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A float32 tensor of truncated normals (stddev), from the stream for `name`. */
export function truncatedNormalTensor(seed: number, name: string, count: number, stddev: number): Float32Array {
  const rng = new Random(seed, name);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.truncatedNormal(stddev);
  return out;
}

/** A float32 tensor of normals (stddev), like tf.random_normal; used for the benchmark's image batch. */
export function normalTensor(seed: number, name: string, count: number, stddev: number): Float32Array {
  const rng = new Random(seed, name);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * stddev;
  return out;
}
