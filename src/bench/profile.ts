import { formatTable } from '../common/table.js';
import { finalLayer, GRAD_SQ_SUM, LOSS, layerOf } from '../model/names.js';
import { parseModel } from '../onnx/parse.js';
import { graphBytes } from '../onnx/prune.js';
import type { BrowserBench } from '../runners/browser.js';
import type { KernelEvent } from '../runners/types.js';
import { timeLoop } from './harness.js';
import { layerGroups, PROBE, prefixGraph, prefixRows, profileRow, UPDATE_ROW } from './prefix-profile.js';
import type { PreparedMode } from './prepare.js';
import { type Loop, openRunner, pageJob } from './session.js';
import { summarize } from './statistics.js';
import type { BenchOptions, LayerTime } from './types.js';

/**
 * Sums kernel time per layer and direction over the given runs and divides by their number, so each row is the
 * time of one step. Rows follow the network's order (first appearance in the forward pass).
 */
export function perLayer(events: KernelEvent[], runs: number, final: string): LayerTime[] {
  const rows = new Map<string, LayerTime>();
  for (const e of events) {
    const named = layerOf(e.node, final);
    const { row: layer, backward } = profileRow(named.layer, named.backward);
    const row = rows.get(layer) ?? { layer, forward_ms: 0, backward_ms: 0 };
    if (backward) row.backward_ms += e.dur / 1000 / runs;
    else row.forward_ms += e.dur / 1000 / runs;
    rows.set(layer, row);
  }
  const order = (l: string): number => {
    const m = /^(conv|lrn|pool|fc)(\d+)$/.exec(l);
    if (m) return Number(m[2]) * 10 + { conv: 0, lrn: 1, pool: 2, fc: 0 }[m[1] as 'conv']!;
    return { flatten: 55, [LOSS]: 200, [GRAD_SQ_SUM]: 300, [UPDATE_ROW]: 350, '(runtime)': 400 }[l] ?? 500;
  };
  return [...rows.values()].sort((a, b) => order(a.layer) - order(b.layer));
}

/**
 * A per-layer table as convnet-benchmarks prints it: forward and backward per layer, with totals. A forward-only
 * profile (no row with backward time) has no backward column: a column of zeros would read as a measurement.
 */
export function formatLayerTable(rows: LayerTime[], title: string): string {
  const withBackward = rows.some((r) => r.backward_ms !== 0);
  const total = rows.reduce((s, r) => s + r.forward_ms + r.backward_ms, 0);
  const line = (layer: string, f: number, b: number, share: string) =>
    withBackward ? [layer, f.toFixed(2), b.toFixed(2), share] : [layer, f.toFixed(2), share];
  const cells = rows.map((r) =>
    line(r.layer, r.forward_ms, r.backward_ms, `${(total ? ((r.forward_ms + r.backward_ms) / total) * 100 : 0).toFixed(1)}%`),
  );
  const f = rows.reduce((s, r) => s + r.forward_ms, 0);
  const b = rows.reduce((s, r) => s + r.backward_ms, 0);
  cells.push(line('total', f, b, '100%'));
  const header = withBackward ? ['layer', 'forward ms', 'backward ms', 'share'] : ['layer', 'forward ms', 'share'];
  return `${title}\n${formatTable(header, cells)}`;
}

/**
 * A separate session with profiling on: one warm-up run, then `profileSteps` profiled ones, summed per layer.
 * Separate so the timed loop runs without profiler overhead.
 */
export async function profileLayers(o: BenchOptions, p: PreparedMode, profileDir: string): Promise<LayerTime[]> {
  const runner = await openRunner(o, p, profileDir);
  try {
    for (let i = 0; i <= o.profileSteps; i++) await runner.run();
    if (!runner.kernelEvents) throw new Error(`--profile-method profiler: the ${o.runtime} runtime has no profile to read; use prefix`);
    const events = runner.kernelEvents().filter((e) => e.run > 0);
    if (o.ep === 'webgpu' && !events.some((e) => e.clock === 'gpu')) {
      throw new Error(
        "--profile on webgpu: this WebGPU adapter gave ONNX Runtime no GPU timestamps (no 'timestamp-query' feature), and its kernel events time only the launches on the host: use --profile-method prefix",
      );
    }
    return perLayer(events, o.profileSteps, finalLayer(p.parsed.metadata['alexnet.head']));
  } finally {
    await runner.release();
  }
}

/**
 * Per-layer times from whole-step times: for k = 0 .. all layer groups, a session of the graph of the first k groups
 * (`prefixGraph`), `profileSteps` timed steps after one untimed, one session at a time; then the whole step again.
 * In this process, or as page jobs in the browser.
 */
export async function profileByPrefixes(
  o: BenchOptions,
  p: PreparedMode,
  profileDir: string,
  browser: BrowserBench | undefined,
): Promise<LayerTime[]> {
  // parsed from the bytes, not taken from `p.parsed`: with `--input device` the images initializer is only in these
  const parsed = parseModel(p.bytes);
  const groups = layerGroups(parsed.graph, p.fetches, finalLayer(parsed.metadata['alexnet.head']));
  const loop: Loop = { label: '', burnIn: 1, steps: o.profileSteps, logEvery: o.profileSteps };
  // a cut is timed without feedback (its outputs are probes); the whole step as bench runs it, with its feedback
  const timeModel = async (bytes: Uint8Array, feeds: PreparedMode['feeds'], fetches: string[], whole = false): Promise<number> => {
    const step = whole ? { feedback: p.feedback, counter: p.counter } : { feedback: [], counter: undefined };
    if (browser) {
      return summarize((await browser.runJob(pageJob(o, fetches, loop, step), bytes, feeds, () => {})).durations).mean * 1000;
    }
    const runner = await openRunner(o, { ...p, bytes, feeds, fetches, ...step }, profileDir);
    try {
      await runner.run();
      // ends the runner's profiling of the first run, which would slow every later one
      runner.placement();
      return (await timeLoop(() => runner.run(), { ...loop, log: () => {} })).stats.mean * 1000;
    } finally {
      await runner.release();
    }
  };
  const prefixMs: number[] = [];
  for (let k = 0; k <= groups.length; k++) {
    const cut = prefixGraph(parsed.graph, groups, k);
    const feeds = Object.fromEntries(Object.entries(p.feeds).filter(([name]) => cut.inputs.some((i) => i.name === name)));
    prefixMs.push(await timeModel(graphBytes(parsed, cut), feeds, [PROBE]));
  }
  return prefixRows(groups, prefixMs, await timeModel(p.bytes, p.feeds, p.fetches, true));
}
