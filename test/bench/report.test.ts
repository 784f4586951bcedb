import { describe, expect, it } from 'vitest';
import { formatSummary, peakMbCell } from '../../src/bench/report.js';
import type { ModeResult } from '../../src/bench/types.js';
import { EXPORT_FORMULATION, formulationReport } from '../../src/model/formulation.js';

/** The fields of a result that the summary reads. */
function result(mode: ModeResult['mode'], runtime: string, peak: number | null): ModeResult {
  return {
    runtime,
    ep: runtime === 'node' ? 'cpu' : 'wasm',
    mode,
    batch: 8,
    steps: 10,
    burn_in: 2,
    mean_s: 0.1,
    sd_s: 0.01,
    min_s: 0.09,
    p50_s: 0.1,
    p90_s: 0.11,
    p99_s: 0.12,
    max_s: 0.12,
    flops_per_batch: 1e9,
    session_create_s: 0.2,
    first_run_s: 0.3,
    peak_rss_bytes: peak,
    ort_version: '1.29.0',
    device: 'dev',
    fallback_nodes: [],
    input: 'device',
    fetch: ['output'],
    formulation: formulationReport(EXPORT_FORMULATION, mode === 'forward-backward', 0),
  } as unknown as ModeResult;
}

/** The summary table's rows, each split into its cells. */
const cells = (text: string): string[][] =>
  text
    .split('\n')
    .slice(0, 3)
    .map((l) => l.split(/\s{2,}/));

describe('the summary table', () => {
  it("ends each mode's row with its peak memory in MB", () => {
    const rows = cells(formatSummary([result('forward', 'node', 412.6e6), result('forward-backward', 'node', 803e6)]));
    expect(rows[0]!.at(-1)).toBe('peak MB');
    expect(rows[0]).toHaveLength(13);
    expect(rows[1]!.at(-1)).toBe('413');
    expect(rows[2]!.at(-1)).toBe('803');
  });

  it('says n/a where the peak is unknown, and why for the browser', () => {
    const browser = formatSummary([result('forward', 'browser', null)]);
    expect(cells(browser)[1]!.at(-1)).toBe('n/a');
    expect(browser).toMatch(/\npeak MB: n\/a for --runtime browser: the page runs in Chromium's renderer process/);
    expect(formatSummary([result('forward', 'node', null)])).not.toMatch(/renderer/);
    expect(peakMbCell(undefined)).toBe('n/a');
  });
});
