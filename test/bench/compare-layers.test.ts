import { describe, expect, it } from 'vitest';
import type { ReportEntry, Run } from '../../src/bench/compare.js';
import { formatLayerComparison, mergeLayerOrder, profileSource } from '../../src/bench/compare-layers.js';
import type { LayerTime } from '../../src/bench/types.js';
import { reportEntry } from '../helpers/report-entry.js';

const layer = (name: string, forward_ms: number, backward_ms = 0): LayerTime => ({ layer: name, forward_ms, backward_ms });

const entry = (runtime: string, mode: string, profile?: LayerTime[], over: Partial<ReportEntry> = {}): ReportEntry =>
  reportEntry({ runtime, mode, ...(profile ? { profile } : {}), ...over });

const run = (label: string, entries: ReportEntry[]): Run => ({ label, entries });

/** The table lines of a formatted comparison, each split into its cells. */
const cellsOf = (text: string): string[][] => text.split('\n').map((l) => l.trim().split(/\s{2,}/));

const OURS = run('node/cpu', [
  entry('node', 'forward', [layer('conv1', 9.234), layer('pool1', 0.5), layer('conv2', 31), layer('(runtime)', 6.5)], {
    profile_method: 'profiler',
  }),
  entry(
    'node',
    'forward-backward',
    [layer('conv1', 11, 23.7), layer('pool1', 0.7, 19.6), layer('conv2', 31.3, 75.9), layer('loss', 0.05, 0.4)],
    {
      argv: ['alexnet-onnx', 'bench', '--profile', '5', '--profile-method', 'prefix'],
    },
  ),
]);
const TF = run('tensorflow/cpu', [
  entry('tensorflow', 'forward', [layer('conv1', 9.8), layer('pool1', 1.1), layer('conv2', 25.7), layer('fc6', 3), layer('(other)', 0.2)], {
    inter_op_threads: 1,
  }),
  entry('tensorflow', 'forward-backward', [layer('conv1', 9.4, 20.8), layer('conv2', 26, 55.9), layer('loss', 0.1, 0.2)], {
    inter_op_threads: 2,
  }),
]);
const TORCH = run('pytorch/cpu', [entry('pytorch', 'forward'), entry('pytorch', 'forward-backward')]);

describe('per-layer comparison', () => {
  it("merges the runs' layers in network order, each list's order kept", () => {
    expect(
      mergeLayerOrder([
        ['conv1', 'pool5', 'loss', '(runtime)'],
        ['conv1', 'pool5', 'fc6', 'fc7', 'loss', '(other)'],
      ]),
    ).toEqual(['conv1', 'pool5', 'fc6', 'fc7', 'loss', '(runtime)', '(other)']);
    expect(mergeLayerOrder([[], ['b', 'c'], ['a', 'c']])).toEqual(['b', 'a', 'c']);
  });

  it('puts the runs side by side per mode: forward only in forward mode, - for a missing layer, a total row', () => {
    const text = formatLayerComparison([OURS, TF, TORCH])!;
    const [forward, backward] = text.split('\n\n');
    const f = cellsOf(forward!);
    expect(f[0]).toEqual(['Forward per layer, ms per step (mean of the profiled steps):']);
    expect(f[1]).toEqual(['node/cpu: ONNX Runtime profiler, kernel time']);
    expect(f[2]).toEqual(['tensorflow/cpu: TensorFlow step stats, 1 inter-op thread: one op at a time, as ONNX Runtime runs them']);
    expect(f.slice(3)).toEqual([
      ['layer', 'node/cpu fwd ms', 'tensorflow/cpu fwd ms'],
      ['conv1', '9.23', '9.80'],
      ['pool1', '0.50', '1.10'],
      ['conv2', '31.00', '25.70'],
      ['fc6', '-', '3.00'],
      ['(runtime)', '6.50', '-'],
      ['(other)', '-', '0.20'],
      ['total', '47.23', '39.80'],
    ]);
    const b = cellsOf(backward!);
    expect(b[0]).toEqual(['Forward-backward per layer, ms per step (mean of the profiled steps):']);
    // the method from the command line where the report has no profile_method
    expect(b[1]![0]).toMatch(/^node\/cpu: prefix timing: /);
    expect(b[2]![0]).toMatch(/^tensorflow\/cpu: TensorFlow step stats, 2 inter-op threads: overlapping ops each count in full$/);
    expect(b.slice(3, -1)).toEqual([
      ['layer', 'node/cpu fwd ms', 'node/cpu bwd ms', 'tensorflow/cpu fwd ms', 'tensorflow/cpu bwd ms'],
      ['conv1', '11.00', '23.70', '9.40', '20.80'],
      ['pool1', '0.70', '19.60', '-', '-'],
      ['conv2', '31.30', '75.90', '26.00', '55.90'],
      ['loss', '0.05', '0.40', '0.10', '0.20'],
      ['total', '43.05', '119.60', '35.50', '76.90'],
    ]);
    // the run without a profile is named once, with the reason, and has no columns
    expect(text.match(/pytorch/g)).toHaveLength(1);
    expect(text.split('\n').at(-1)).toBe('no per-layer times: pytorch/cpu (the PyTorch peer has no per-layer profile)');
  });

  it('names columns as asked, - for a run that profiled another mode only, and shows train-step where profiled', () => {
    const fbOnly = run('b.json', [
      entry('node', 'forward'),
      entry('node', 'forward-backward', [layer('conv1', 1, 2)]),
      entry('node', 'train-step', [layer('conv1', 1, 2), layer('optimizer', 0, 3)], { optimizer: { kind: 'sgd', lr: 0.1 } }),
    ]);
    const text = formatLayerComparison([OURS, fbOnly], (_, i) => `#${i + 1}`)!;
    const forward = cellsOf(text.split('\n\n')[0]!);
    expect(forward[1]).toEqual(['#1 = node/cpu node/cpu: ONNX Runtime profiler, kernel time']);
    expect(forward[2]).toEqual(['#2 = b.json node/cpu: no profile for this mode']);
    expect(forward[3]).toEqual(['layer', '#1 fwd ms', '#2 fwd ms']);
    expect(forward.at(-1)).toEqual(['total', '47.23', '-']);
    const step = cellsOf(text.split('\n\n')[2]!);
    expect(step[0]).toEqual(['Train-step per layer, ms per step (mean of the profiled steps):']);
    // #1 has no train-step at all: no column
    expect(step[2]).toEqual(['layer', '#2 fwd ms', '#2 bwd ms']);
    expect(step.at(-1)).toEqual(['total', '1.00', '5.00']);
    expect(text).not.toMatch(/no per-layer times/);
  });

  it('says so when a report does not record how bench profiled, and is undefined without any profile', () => {
    expect(profileSource(entry('node', 'forward', [layer('conv1', 1)]))).toMatch(/method not recorded in the report/);
    expect(profileSource(entry('node', 'forward', [layer('conv1', 1)], { ep: 'webgpu', argv: ['--profile-method=profiler'] }))).toBe(
      'ONNX Runtime profiler, GPU time from WebGPU timestamps',
    );
    expect(profileSource(entry('tensorflow', 'forward', [layer('conv1', 1)]))).toMatch(/default inter-op threads/);
    expect(formatLayerComparison([TORCH, run('x', [entry('node', 'forward')])])).toBeUndefined();
  });
});
