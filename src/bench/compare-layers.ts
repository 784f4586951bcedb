/**
 * The per-layer part of a comparison: where runs carry `profile` (`bench --profile`, the TensorFlow peer's
 * `--profile`), one table per mode with each run's forward (and backward) ms per layer side by side, so that a gap
 * between two runtimes shows in the layers that make it. `alexnet-onnx compare` and scripts/compare.mjs print it
 * after their other tables. Pure functions over report entries, like src/bench/compare.ts.
 */
import { type Align, formatTable } from '../common/table.js';
import { type ReportEntry, type Run, targetName } from './compare.js';
import { describeProfileMethod } from './report.js';
import { ALL_BENCH_MODES, type BenchMode, hasBackward, type LayerTime, MODE_LABEL } from './types.js';

/** What bench's `--profile-method` values time, in the words bench's own per-layer table uses. */
function benchMethod(method: string, ep: string): string | undefined {
  return method === 'profiler' || method === 'prefix' ? describeProfileMethod(method, ep) : undefined;
}

/** The `--profile-method` a command line gave (`--profile-method X` or `--profile-method=X`), or undefined. */
function methodInArgv(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--profile-method');
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith('--profile-method='))?.slice('--profile-method='.length);
}

/**
 * How an entry's `profile` was timed: TensorFlow's step stats (with its inter-op threads: with more than one,
 * overlapping ops each count in full, so its layers can add up to more than a step), or bench's method as the report
 * records it (`profile_method`), else as its command line gave it; without either, that the report does not say.
 */
export function profileSource(e: ReportEntry): string {
  if (e.runtime === 'tensorflow') {
    const n = e.inter_op_threads;
    return n === 1
      ? 'TensorFlow step stats, 1 inter-op thread: one op at a time, as ONNX Runtime runs them'
      : `TensorFlow step stats, ${n ?? 'default'} inter-op threads: overlapping ops each count in full`;
  }
  const given = e.profile_method ?? methodInArgv(e.argv ?? []);
  const method = given === undefined ? undefined : benchMethod(given, e.ep);
  return method ?? 'bench --profile, method not recorded in the report (--profile-method auto)';
}

/** Why a run has no per-layer times: the PyTorch peer has no `--profile`; anything else ran without it. */
function whyNoProfile(run: Run): string {
  return run.entries.some((e) => e.runtime === 'pytorch') ? 'the PyTorch peer has no per-layer profile' : 'run without --profile';
}

/**
 * Every layer of `lists` once, in network order: each list's order kept, a layer an earlier list lacks placed right
 * after the one before it in its own list (TensorFlow's fc6-fc8 after pool5), or before the next one where it comes
 * first; the rows that are no layer, `(runtime)` and `(other)`, come last.
 */
export function mergeLayerOrder(lists: readonly (readonly string[])[]): string[] {
  const catchAll = (l: string): boolean => l.startsWith('(');
  const merged: string[] = [];
  for (const list of lists.map((l) => l.filter((x) => !catchAll(x)))) {
    list.forEach((layer, i) => {
      if (merged.includes(layer)) return;
      const at = i > 0 ? merged.indexOf(list[i - 1]!) + 1 : merged.indexOf(list.find((l) => merged.includes(l)) ?? '');
      merged.splice(at < 0 ? merged.length : at, 0, layer);
    });
  }
  const rest = lists.flat().filter(catchAll);
  return [...merged, ...rest.filter((l, i) => rest.indexOf(l) === i)];
}

const ms = (x: number): string => x.toFixed(2);

/** One mode's table: a column (two with a backward) per profiled run, a row per layer, a total row. */
function modeTable(mode: BenchMode, runs: readonly { name: string; run: Run }[]): string {
  const profiles = runs.map(({ run }) => run.entries.find((e) => e.mode === mode)?.profile ?? undefined);
  const backward = hasBackward(mode);
  const header = ['layer'];
  for (const { name } of runs) header.push(`${name} fwd ms`, ...(backward ? [`${name} bwd ms`] : []));
  const cells = (p: LayerTime[] | undefined, row: (times: LayerTime[]) => LayerTime | undefined): string[] => {
    const r = p ? row(p) : undefined;
    const out = [r ? ms(r.forward_ms) : '-'];
    if (backward) out.push(r ? ms(r.backward_ms) : '-');
    return out;
  };
  const layers = mergeLayerOrder(profiles.map((p) => (p ?? []).map((r) => r.layer)));
  const rows = layers.map((layer) => [layer, ...profiles.flatMap((p) => cells(p, (times) => times.find((t) => t.layer === layer)))]);
  const total = (times: LayerTime[]): LayerTime => ({
    layer: 'total',
    forward_ms: times.reduce((s, t) => s + t.forward_ms, 0),
    backward_ms: times.reduce((s, t) => s + t.backward_ms, 0),
  });
  rows.push(['total', ...profiles.flatMap((p) => cells(p, total))]);
  const align: Align[] = header.map((_, i) => (i === 0 ? 'left' : 'right'));
  return formatTable(header, rows, align);
}

/**
 * The per-layer tables of runs that carry `profile`: for each mode some run profiled, a line naming each profiled run
 * and how its layers were timed ({@link profileSource}), then a row per layer (the runs' layers merged in network
 * order), a column per run and direction (forward, and backward for modes with one), ms per step, and a total row;
 * `-` where a run has no profile for that mode or no such layer. Runs that profiled no mode are named once at the end
 * with the reason. `name` gives a run's column name (default: its label). Undefined when no run has a profile.
 */
export function formatLayerComparison(runs: readonly Run[], name: (run: Run, i: number) => string = (r) => r.label): string | undefined {
  const named = runs.map((run, i) => ({ name: name(run, i), run }));
  const profiled = named.filter(({ run }) => run.entries.some((e) => e.profile?.length));
  if (!profiled.length) return undefined;
  const out: string[] = [];
  for (const mode of ALL_BENCH_MODES) {
    const here = profiled.filter(({ run }) => run.entries.some((e) => e.mode === mode));
    if (!here.some(({ run }) => run.entries.some((e) => e.mode === mode && e.profile?.length))) continue;
    const sources = here.map(({ name, run }) => {
      const e = run.entries.find((x) => x.mode === mode)!;
      const what = e.profile?.length ? profileSource(e) : 'no profile for this mode';
      return `  ${name === targetName(e) ? name : `${name} = ${run.label} ${targetName(e)}`}: ${what}`;
    });
    out.push('', `${MODE_LABEL[mode]} per layer, ms per step (mean of the profiled steps):`, ...sources, modeTable(mode, here));
  }
  const without = named.filter((n) => !profiled.includes(n));
  if (without.length) out.push(`no per-layer times: ${without.map(({ name, run }) => `${name} (${whyNoProfile(run)})`).join(', ')}`);
  return out.slice(1).join('\n');
}
