import { describe, expect, it } from 'vitest';
import { compareChartSvg, formatCompareTable, type ReportEntry } from '../../src/bench/compare.js';

const e = (runtime: string, ep: string, mode: string, ms: number, device = 'dev'): ReportEntry => ({ runtime, ep, mode, batch: 8, mean_s: ms / 1000, sd_s: ms / 10000, device });

const REPORTS = [
  e('node', 'cpu', 'forward', 150),
  e('node', 'cpu', 'forward-backward', 500),
  e('web', 'wasm', 'forward', 300),
  e('node', 'cuda', 'forward', 3.3, 'H100'),
  e('pytorch', 'cpu', 'forward', 200),
  e('pytorch', 'cpu', 'forward-backward', 400),
];

describe('comparison table and chart', () => {
  it('divides each mean by PyTorch on the same kind of device, n/a where that was not measured', () => {
    const rows = formatCompareTable(REPORTS).split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['runtime/EP', 'forward ms', 'x PyTorch', 'fwd-bwd ms', 'x PyTorch', 'device']);
    expect(rows[1]).toEqual(['node/cpu', '150.00 +/- 15.00', '0.75', '500.00 +/- 50.00', '1.25', 'dev']);
    expect(rows[2]).toEqual(['web/wasm', '300.00 +/- 30.00', '1.50', 'n/a', 'n/a', 'dev']);
    // no PyTorch on CUDA in these reports
    expect(rows[3]).toEqual(['node/cuda', '3.30 +/- 0.33', 'n/a', 'n/a', 'n/a', 'H100']);
    expect(rows[4]!.slice(0, 3)).toEqual(['pytorch/cpu', '200.00 +/- 20.00', '1 (peer)']);
  });

  it('draws one bar per target and mode on a log scale, the same bytes for the same reports', () => {
    const svg = compareChartSvg(REPORTS, 'title <b>');
    expect(svg).toBe(compareChartSvg(REPORTS, 'title <b>'));
    expect(svg.match(/<rect x="130" y="\d+" width="[\d.]+" height="12"/g)).toHaveLength(REPORTS.length);
    expect(svg).toContain('title &lt;b&gt;');
    expect(svg).toContain('>1 ms</text>');
    expect(svg).toContain('>1000 ms</text>');
    const width = (ms: string): number => Number(new RegExp(`<rect x="130" y="\\d+" width="([\\d.]+)"[^>]*/>\\n<line[^>]*/>\\n<text[^>]*>${ms}</text>`).exec(svg)![1]);
    // log scale: 10x the time is a fixed step longer
    expect(width('300.0') - width('150.0')).toBeCloseTo(width('400.0') - width('200.0'), 0);
  });
});
