/** Summary statistics of a sample, in the sample's unit. */
export interface Statistics {
  n: number;
  mean: number;
  /** Population standard deviation (divide by n), as the seeds compute it: sqrt(E[x^2] - E[x]^2). */
  sd: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Percentile with linear interpolation between closest ranks (numpy's default, "type 7"), on a sorted sample.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new Error('percentile of an empty sample');
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Mean, population sd, min, percentiles and max of a non-empty sample. A pure function. */
export function summarize(samples: readonly number[]): Statistics {
  const n = samples.length;
  if (!n) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  // Two-pass variance: the seeds' E[x^2] - mean^2 can go slightly negative from rounding.
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  return {
    n,
    mean,
    sd: Math.sqrt(variance),
    min: sorted[0]!,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[n - 1]!,
  };
}
