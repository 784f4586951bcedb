import type { ReportEntry } from '../../src/bench/compare.js';

/** A saved report's entry as the comparison reads it: node/cpu forward at batch 8, 100 +/- 10 ms, unless `over` says. */
export function reportEntry(over: Partial<ReportEntry> = {}): ReportEntry {
  return { runtime: 'node', ep: 'cpu', mode: 'forward', batch: 8, mean_s: 0.1, sd_s: 0.01, device: 'dev', ...over };
}
