import { describe, expect, it } from 'vitest';
import {
  compareChartSvg,
  formatCompareTable,
  formatRatioTable,
  formatThroughputTable,
  type ReportEntry,
  runsByTarget,
} from '../../src/bench/compare.js';
import { gpuPeak } from '../../src/bench/peak.js';
import type { OptimizerReport } from '../../src/bench/types.js';

const e = (runtime: string, ep: string, mode: string, ms: number, device = 'dev'): ReportEntry => ({
  runtime,
  ep,
  mode,
  batch: 8,
  mean_s: ms / 1000,
  sd_s: ms / 10000,
  device,
});

const REPORTS = [
  { ...e('node', 'cpu', 'forward', 150), peak_rss_bytes: 401.4e6 },
  { ...e('node', 'cpu', 'forward-backward', 500), peak_rss_bytes: 812e6 },
  e('web', 'wasm', 'forward', 300),
  e('node', 'cuda', 'forward', 3.3, 'H100'),
  { ...e('pytorch', 'cpu', 'forward', 200), peak_rss_bytes: null },
  e('pytorch', 'cpu', 'forward-backward', 400),
];

describe('comparison table and chart', () => {
  it('divides each mean by PyTorch on the same kind of device, n/a where that was not measured; peak memory per mode', () => {
    const rows = formatCompareTable(REPORTS)
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['runtime/EP', 'forward ms', 'x PyTorch', 'peak MB', 'fwd-bwd ms', 'x PyTorch', 'peak MB', 'device']);
    expect(rows[1]).toEqual(['node/cpu', '150.00 +/- 15.00', '0.75', '401', '500.00 +/- 50.00', '1.25', '812', 'dev']);
    expect(rows[2]).toEqual(['web/wasm', '300.00 +/- 30.00', '1.50', 'n/a', 'n/a', 'n/a', 'n/a', 'dev']);
    // no PyTorch on CUDA in these reports
    expect(rows[3]).toEqual(['node/cuda', '3.30 +/- 0.33', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'H100']);
    expect(rows[4]!.slice(0, 4)).toEqual(['pytorch/cpu', '200.00 +/- 20.00', '1 (peer)', 'n/a']);
    expect(rows.at(-1)!.join('  ')).toMatch(/^peak MB = peak RSS while the mode ran \(alexnet-onnx: that mode alone; the PyTorch/);
  });

  it("adds a column per mode for the seeds' program on TensorFlow when it was measured, on CPU targets only", () => {
    const withTf = [...REPORTS, e('tensorflow', 'cpu', 'forward', 100), e('tensorflow', 'cpu', 'forward-backward', 250)];
    const rows = formatCompareTable(withTf)
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual([
      'runtime/EP',
      'forward ms',
      'x PyTorch',
      'x TF',
      'peak MB',
      'fwd-bwd ms',
      'x PyTorch',
      'x TF',
      'peak MB',
      'device',
    ]);
    expect(rows[1]).toEqual(['node/cpu', '150.00 +/- 15.00', '0.75', '1.50', '401', '500.00 +/- 50.00', '1.25', '2.00', '812', 'dev']);
    expect(rows[3]).toEqual(['node/cuda', '3.30 +/- 0.33', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'H100']);
    expect(rows[4]).toEqual([
      'pytorch/cpu',
      '200.00 +/- 20.00',
      '1 (peer)',
      'n/a',
      'n/a',
      '400.00 +/- 40.00',
      '1 (peer)',
      'n/a',
      'n/a',
      'dev',
    ]);
    expect(rows[5]).toEqual([
      'tensorflow/cpu',
      '100.00 +/- 10.00',
      'n/a',
      '1 (peer)',
      'n/a',
      '250.00 +/- 25.00',
      'n/a',
      '1 (peer)',
      'n/a',
      'dev',
    ]);
  });

  it("gives the GPU targets' TFLOP/s from the model's FLOPs and their share of the datasheet peak", () => {
    const h100 = 'NVIDIA H100 80GB HBM3 (driver 580.95.05), TF32 off (NVIDIA_TF32_OVERRIDE=0)';
    const gpu: ReportEntry[] = [
      { ...e('node', 'cuda', 'forward', 3.3, h100), flops_per_batch: 42.3e9, tf32: false },
      { ...e('node', 'cuda', 'forward', 2.0, 'NVIDIA H100 PCIe'), flops_per_batch: 42.3e9, tf32: true },
      { ...e('pytorch', 'cuda', 'forward', 1.85, 'NVIDIA H100 80GB HBM3'), tf32: false },
      { ...e('node', 'webgpu', 'forward', 10, 'Some GPU (Dawn over Vulkan)'), flops_per_batch: 42.3e9, tf32: null },
    ];
    expect(formatThroughputTable(REPORTS.filter((r) => r.ep === 'cpu'))).toBeUndefined();
    const rows = formatThroughputTable(gpu)!
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['runtime/EP', 'mode', 'math', 'TFLOP/s', '% FP32 peak', '% TF32 peak', 'peak (datasheet)']);
    // 42.3 GFLOP in 3.3 ms = 12.82 TFLOP/s = 19.1% of the H100 SXM's 67
    expect(rows[1]).toEqual(['node/cuda', 'forward', 'fp32', '12.82', '19.1%', '-', 'H100 SXM: FP32 67, TF32 494.5 TFLOP/s']);
    // 21.15 TFLOP/s: 41.5% of the PCIe card's 51 FP32, 5.6% of its 378 dense TF32
    expect(rows[2]).toEqual(['node/cuda', 'forward', 'TF32 allowed', '21.15', '41.5%', '5.6%', 'H100 PCIe: FP32 51, TF32 378 TFLOP/s']);
    // the PyTorch peer has no FLOP count of its own: it does the same model's work
    expect(rows[3]!.slice(0, 5)).toEqual(['pytorch/cuda', 'forward', 'fp32', '22.86', '34.1%']);
    expect(rows[4]).toEqual(['node/webgpu', 'forward', 'fp32', '4.23', 'n/a', '-', 'no peak known for Some GPU (Dawn over Vulkan)']);
  });

  it('knows the datasheet peaks of the lent GPUs by the names nvidia-smi and PyTorch give them', () => {
    expect(gpuPeak('NVIDIA H100 80GB HBM3')).toEqual({ gpu: 'H100 SXM', fp32: 67, tf32: 494.5 });
    expect(gpuPeak('NVIDIA H100 NVL')?.fp32).toBe(60);
    expect(gpuPeak('NVIDIA H200')?.gpu).toBe('H200 SXM');
    expect(gpuPeak('NVIDIA H200 NVL')?.gpu).toBe('H200 NVL');
    expect(gpuPeak('NVIDIA A10G')).toBeUndefined();
  });

  it('draws one bar per target and mode on a log scale, the same bytes for the same reports', () => {
    const svg = compareChartSvg(runsByTarget(REPORTS), 'title <b>');
    expect(svg).toBe(compareChartSvg(runsByTarget(REPORTS), 'title <b>'));
    expect(svg.match(/<rect x="130" y="\d+" width="[\d.]+" height="12"/g)).toHaveLength(REPORTS.length);
    expect(svg).toContain('title &lt;b&gt;');
    expect(svg).toContain('>1 ms</text>');
    expect(svg).toContain('>1000 ms</text>');
    const width = (ms: string): number =>
      Number(new RegExp(`<rect x="130" y="\\d+" width="([\\d.]+)"[^>]*/>\\n<line[^>]*/>\\n<text[^>]*>${ms}</text>`).exec(svg)![1]);
    // log scale: 10x the time is a fixed step longer
    expect(width('300.0') - width('150.0')).toBeCloseTo(width('400.0') - width('200.0'), 0);
  });

  it("divides each run's mean by the baseline run's, mode by mode, and names the baseline", () => {
    const runs = [
      {
        label: 'cpu.json',
        entries: [e('node', 'cpu', 'forward', 150), { ...e('node', 'cpu', 'forward-backward', 500), peak_rss_bytes: 0.9e9 }],
      },
      { label: 'wasm.json', entries: [e('web', 'wasm', 'forward', 300)] },
      { label: 'series.jsonl#2', entries: [e('node', 'cpu', 'forward', 75), e('node', 'cpu', 'forward-backward', 1000)] },
    ];
    const table = (baseline?: number) =>
      formatRatioTable(runs, baseline)
        .split('\n')
        .map((l) => l.split(/\s{2,}/));
    const first = table();
    expect(first[0]).toEqual([
      '#',
      'run',
      'runtime/EP',
      'batch',
      'forward ms',
      'x baseline',
      'peak MB',
      'fwd-bwd ms',
      'x baseline',
      'peak MB',
      'device',
    ]);
    expect(first[1]).toEqual([
      '1',
      'cpu.json',
      'node/cpu',
      '8',
      '150.00 +/- 15.00',
      'baseline',
      'n/a',
      '500.00 +/- 50.00',
      'baseline',
      '900',
      'dev',
    ]);
    expect(first[2]).toEqual(['2', 'wasm.json', 'web/wasm', '8', '300.00 +/- 30.00', '2.00', 'n/a', 'n/a', 'n/a', 'n/a', 'dev']);
    expect(first[3]).toEqual([
      '3',
      'series.jsonl#2',
      'node/cpu',
      '8',
      '75.00 +/- 7.50',
      '0.50',
      'n/a',
      '1000.00 +/- 100.00',
      '2.00',
      'n/a',
      'dev',
    ]);
    expect(first[4]!.join('  ')).toMatch(/^baseline: #1 cpu\.json \(node\/cpu, batch 8\); x baseline = mean \/ the baseline's mean/);
    expect(first[5]!.join('  ')).toMatch(/^peak MB = peak RSS while the mode ran/);
    expect(first).toHaveLength(6);
    // against the third run; the second has no forward-backward of its own, the baseline's is n/a nowhere
    const third = table(2);
    expect(third[1]!.slice(5, 10)).toEqual(['2.00', 'n/a', '500.00 +/- 50.00', '0.50', '900']);
    expect(third[2]!.slice(5, 9)).toEqual(['4.00', 'n/a', 'n/a', 'n/a']);
    expect(third[3]!.slice(5, 9)).toEqual(['baseline', 'n/a', '1000.00 +/- 100.00', 'baseline']);
    expect(() => formatRatioTable(runs, 3)).toThrow(/no run 4 among 3/);
  });

  it('notes when the runs time different batches', () => {
    const runs = [
      { label: 'a', entries: [e('node', 'cpu', 'forward', 150)] },
      { label: 'b', entries: [{ ...e('node', 'cpu', 'forward', 600), batch: 32 }] },
    ];
    expect(formatRatioTable(runs)).toMatch(/\nnote: the runs have different batches \(8, 32\)/);
    expect(formatRatioTable(runs.slice(0, 1))).not.toMatch(/note:/);
  });

  const SGD = { kind: 'sgd' as const, lr: 0.001, momentum: 0.9, nesterov: false, weight_decay: 0 };
  const step = (runtime: string, ep: string, ms: number, optimizer: OptimizerReport = SGD): ReportEntry => ({
    ...e(runtime, ep, 'train-step', ms),
    optimizer,
    peak_rss_bytes: 900e6,
  });

  it('adds a train-step column group where some target has train-step results, with a line naming the optimizer', () => {
    const lines = formatCompareTable([...REPORTS, step('node', 'cpu', 600), step('pytorch', 'cpu', 480)]).split('\n');
    const rows = lines.map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual([
      'runtime/EP',
      'forward ms',
      'x PyTorch',
      'peak MB',
      'fwd-bwd ms',
      'x PyTorch',
      'peak MB',
      'train-step ms',
      'x PyTorch',
      'peak MB',
      'device',
    ]);
    expect(rows[1]).toEqual([
      'node/cpu',
      '150.00 +/- 15.00',
      '0.75',
      '401',
      '500.00 +/- 50.00',
      '1.25',
      '812',
      '600.00 +/- 60.00',
      '1.25',
      '900',
      'dev',
    ]);
    // a target without train-step results, and the peer's own row
    expect(rows[2]!.slice(7, 10)).toEqual(['n/a', 'n/a', 'n/a']);
    expect(rows[4]!.slice(7, 9)).toEqual(['480.00 +/- 48.00', '1 (peer)']);
    expect(lines.at(-1)).toBe(
      "train-step = forward, loss, backward and the optimizer update, each step from the last one's parameters: sgd (lr 0.001, momentum 0.9, nesterov false, weight_decay 0)",
    );
  });

  it('says so when the targets timed train-steps of different optimizers', () => {
    const adamw = { kind: 'adamw' as const, lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };
    const table = formatCompareTable([step('node', 'cpu', 600), step('pytorch', 'cpu', 480, adamw)]);
    expect(table.split('\n').at(-1)).toMatch(
      /; the optimizers differ, so train-step ratios compare different steps: node\/cpu sgd \(lr 0\.001, .*\); pytorch\/cpu adamw \(lr 0\.001, beta1 0\.9, beta2 0\.999, eps 1e-8, weight_decay 0\.01\)$/,
    );
  });

  it("divides train-step by the baseline's train-step in the ratio table, and draws it as a third bar per run", () => {
    const runs = [
      { label: 'a.json', entries: [e('node', 'cpu', 'forward', 150), step('node', 'cpu', 600)] },
      { label: 'b.json', entries: [e('web', 'wasm', 'forward', 300), step('web', 'wasm', 1200)] },
      { label: 'c.json', entries: [e('node', 'cpu', 'forward', 100)] },
    ];
    const lines = formatRatioTable(runs).split('\n');
    const rows = lines.map((l) => l.split(/\s{2,}/));
    expect(rows[0]!.slice(10, 14)).toEqual(['train-step ms', 'x baseline', 'peak MB', 'device']);
    expect(rows[1]!.slice(10, 13)).toEqual(['600.00 +/- 60.00', 'baseline', '900']);
    expect(rows[2]!.slice(10, 13)).toEqual(['1200.00 +/- 120.00', '2.00', '900']);
    expect(rows[3]!.slice(10, 13)).toEqual(['n/a', 'n/a', 'n/a']);
    expect(lines.at(-1)).toMatch(/^train-step = .*: sgd \(lr 0\.001, /);
    const svg = compareChartSvg(runs, 't');
    expect(svg).toContain('>train-step</text>');
    expect(svg.match(/fill="#54a24b"/g)).toHaveLength(3); // the legend's and two bars
    // three bar rows per run: 3 x 14 px + 10 px apart
    const ys = [...svg.matchAll(/<rect x="130" y="(\d+)" width="[\d.]+" height="12"/g)].map((m) => Number(m[1]));
    expect(ys).toEqual([44, 72, 96, 124, 148]);
  });

  it('makes room in the chart for long run names', () => {
    const runs = [{ label: 'results/2026-11-23/a-very-long-report-name.json: node/cpu', entries: [e('node', 'cpu', 'forward', 150)] }];
    const svg = compareChartSvg(runs, 't');
    const left = Number(/<rect x="(\d+)" y="\d+" width="[\d.]+" height="12"/.exec(svg)![1]);
    expect(left).toBeGreaterThan(6 * runs[0]!.label.length);
    expect(svg).toMatch(new RegExp(`<svg [^>]*width="${left + 590}"`));
  });
});
