import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../src/bench/statistics.js';

describe('summarize', () => {
  it('gives the mean, population sd (as the seeds), min, numpy-style percentiles and max', () => {
    const s = summarize([4, 1, 3, 2, 5]);
    expect(s.n).toBe(5);
    expect(s.mean).toBe(3);
    expect(s.sd).toBeCloseTo(Math.sqrt(2), 12); // population: sum((x-3)^2)/5 = 2
    expect([s.min, s.p50, s.max]).toEqual([1, 3, 5]);
    expect(s.p90).toBeCloseTo(4.6, 12); // numpy.percentile([1..5], 90) = 4.6
    expect(s.p99).toBeCloseTo(4.96, 12);
  });

  it('matches numpy on 1..100 and is zero-spread for a constant sample', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = summarize(xs);
    expect(s.mean).toBe(50.5);
    expect(s.sd).toBeCloseTo(28.86607004772212, 10); // numpy.std(range(1, 101))
    expect(s.p50).toBe(50.5);
    expect(s.p90).toBeCloseTo(90.1, 10);
    expect(s.p99).toBeCloseTo(99.01, 10);
    const c = summarize([0.03, 0.03, 0.03]);
    expect(c.sd).toBe(0);
  });

  it('refuses an empty sample', () => {
    expect(() => summarize([])).toThrow(/no samples/);
    expect(() => percentile([], 50)).toThrow(/empty/);
  });
});
