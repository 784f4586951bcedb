import { expect } from 'vitest';
import type { ModeResult } from '../../src/bench/types.js';

/** Largest |a - b| over the largest |b|: a scale-free error for comparing runtimes. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return err / scale;
}

/** |a - b| / |b| in the L2 norm: a few values that moved differently barely count (AdamW's first steps are about
 * lr * sign(g), so one gradient near zero can flip a weight's step). */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let [d, n] = [0, 0];
  for (let i = 0; i < b.length; i++) [d, n] = [d + (a[i]! - b[i]!) ** 2, n + b[i]! ** 2];
  return Math.sqrt(d / n);
}

/** Every output of the first run of `got` matches `want`'s within `tolerance` (relative to the largest value). */
export function expectSameOutputs(got: ModeResult, want: ModeResult, tolerance: number): void {
  const names = Object.keys(want.outputs!).sort();
  expect(Object.keys(got.outputs!).sort()).toEqual(names);
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) {
    expect(got.outputs![name]!.dims, name).toEqual(want.outputs![name]!.dims);
    expect(relativeError(got.outputs![name]!.data, want.outputs![name]!.data), `${got.runtime}/${got.ep} ${got.mode} ${name}`).toBeLessThan(
      tolerance,
    );
  }
}
