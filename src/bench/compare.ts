/**
 * Comparing saved runs: `alexnet-onnx compare`'s ratio table against a baseline run, scripts/compare.mjs's ratio
 * table against the PyTorch eager peer on the same kind of device, the GPU targets' TFLOP/s against the GPU's peak,
 * and the SVG bar chart both write. Tables and chart have a group per mode: forward and forward-backward, and
 * train-step where some entry has one (with a line naming its optimizer). Pure functions over `--json` report entries
 * (`src/bench/compare-input.ts` reads the files).
 */
import { type Align, formatTable } from '../common/table.js';
import { type GpuPeak, gpuPeak } from './peak.js';
import { describeOptimizerReport, peakMbCell } from './report.js';
import { ALL_BENCH_MODES, type LayerTime, type OptimizerReport } from './types.js';

/** The fields of a `--json` report entry (alexnet-onnx's or the PyTorch peer's) that the comparison reads. */
export interface ReportEntry {
  runtime: string;
  ep: string;
  mode: string;
  batch: number;
  mean_s: number;
  sd_s: number;
  device: string;
  /** Model FLOPs per batch (alexnet-onnx's reports; the PyTorch peer's have none). */
  flops_per_batch?: number | null;
  /** Whether TF32 was allowed (CUDA targets); null or absent elsewhere. */
  tf32?: boolean | null;
  /** When the bench run started (report schema 2): tells the runs of an `--append` file apart. */
  started_at?: string;
  /**
   * Peak RSS in bytes (report schema 3): alexnet-onnx's while this mode ran; the peers' since their process started.
   * Null or absent where not measured.
   */
  peak_rss_bytes?: number | null;
  /** The training step's optimizer and learning rate (report schema 4, `train-step` only); null or absent elsewhere. */
  optimizer?: OptimizerReport | null;
  /** Time per layer and direction, per step (`bench --profile`, the TensorFlow peer's `--profile`); absent without. */
  profile?: LayerTime[] | null;
  /** How bench timed `profile` (`profiler`, `prefix`), where the report says so. */
  profile_method?: string | null;
  /** The TensorFlow peer's inter-op threads (1: one op at a time, as ONNX Runtime's sequential executor runs them). */
  inter_op_threads?: number | null;
  /** bench's command line (report schema 2). */
  argv?: string[] | null;
}

/** One bench run of one runtime and EP: a result per mode, and the name it has in tables and charts. */
export interface Run {
  label: string;
  entries: ReportEntry[];
}

/** A table's column heading for a mode's mean. */
const MODE_COLUMN: Record<string, string> = { forward: 'forward ms', 'forward-backward': 'fwd-bwd ms', 'train-step': 'train-step ms' };

/** The modes shown, in `--mode all`'s order: the seeds' two always (as before train-step was), train-step where some entry has it. */
function shownModes(entries: readonly ReportEntry[]): string[] {
  return ALL_BENCH_MODES.filter((m) => m !== 'train-step' || entries.some((e) => e.mode === m));
}

/**
 * The line under a table with train-step results that says which step they time, or, where the targets' optimizers
 * or learning rates differ, each one's (their ratios then compare different steps); undefined without train-step.
 */
function trainStepNote(entries: readonly { name: string; entry: ReportEntry }[]): string | undefined {
  const steps = entries.filter((e) => e.entry.mode === 'train-step');
  if (!steps.length) return undefined;
  const described = steps.map((s) => ({
    name: s.name,
    text: s.entry.optimizer ? describeOptimizerReport(s.entry.optimizer) : 'optimizer unknown',
  }));
  const distinct = [...new Set(described.map((d) => d.text))];
  const what = "train-step = forward, loss, backward and the optimizer update, each step from the last one's parameters";
  if (distinct.length === 1) return `${what}: ${distinct[0]}`;
  return `${what}; the optimizers differ, so train-step ratios compare different steps: ${described.map((d) => `${d.name} ${d.text}`).join('; ')}`;
}

/** The first and last columns are text (left), the others numbers (right). */
const textAtEnds = (header: string[]): Align[] => header.map((_, i) => (i === 0 || i === header.length - 1 ? 'left' : 'right'));

/** `node/cpu`, `browser/webgpu`, `pytorch/cuda`. */
export function targetName(r: ReportEntry): string {
  return `${r.runtime}/${r.ep}`;
}

/** CPU-side EPs are compared with PyTorch on the CPU, GPU-side ones with PyTorch on CUDA. */
export function peerEpFor(ep: string): 'cpu' | 'cuda' {
  return ep === 'cpu' || ep === 'wasm' ? 'cpu' : 'cuda';
}

function byTarget(entries: ReportEntry[]): Map<string, Map<string, ReportEntry>> {
  const targets = new Map<string, Map<string, ReportEntry>>();
  for (const e of entries) {
    const t = targets.get(targetName(e)) ?? new Map<string, ReportEntry>();
    t.set(e.mode, e);
    targets.set(targetName(e), t);
  }
  return targets;
}

/** One run per runtime/EP, named by it (`node/cpu`), in the order they first come: scripts/compare.mjs's runs. */
export function runsByTarget(entries: ReportEntry[]): Run[] {
  return [...byTarget(entries)].map(([label, modes]) => ({ label, entries: [...modes.values()] }));
}

const meanCell = (r: ReportEntry | undefined): string => (r ? `${(r.mean_s * 1000).toFixed(2)} +/- ${(r.sd_s * 1000).toFixed(2)}` : 'n/a');

/** The line under both tables that says what their `peak MB` columns hold. */
export const PEAK_NOTE =
  'peak MB = peak RSS while the mode ran (alexnet-onnx: that mode alone; the PyTorch and TensorFlow peers: since their process started, so forward-backward includes forward)';

/**
 * `alexnet-onnx compare`'s table, like torch.utils.benchmark's Compare: one row per run, each mode's mean ms, its
 * ratio to the same mode of the run numbered `baseline` (0-based; below 1: faster than the baseline) and its peak
 * memory, then a line naming the baseline, {@link PEAK_NOTE}, the train-step optimizer line where there is one and,
 * where the runs' batches differ, a note that per-batch times then time different work.
 */
export function formatRatioTable(runs: Run[], baseline = 0): string {
  const base = runs[baseline];
  if (!base) throw new RangeError(`no run ${baseline + 1} among ${runs.length}`);
  const modeOf = (run: Run, mode: string): ReportEntry | undefined => run.entries.find((e) => e.mode === mode);
  const modes = shownModes(runs.flatMap((r) => r.entries));
  const header = ['#', 'run', 'runtime/EP', 'batch', ...modes.flatMap((m) => [MODE_COLUMN[m]!, 'x baseline', 'peak MB']), 'device'];
  const rows = runs.map((run, i) => {
    const first = run.entries[0]!;
    const cells = [String(i + 1), run.label, targetName(first), String(first.batch)];
    for (const mode of modes) {
      const r = modeOf(run, mode);
      const b = modeOf(base, mode);
      cells.push(meanCell(r), i === baseline ? (r ? 'baseline' : 'n/a') : r && b ? (r.mean_s / b.mean_s).toFixed(2) : 'n/a');
      cells.push(peakMbCell(r?.peak_rss_bytes));
    }
    cells.push(first.device);
    return cells;
  });
  const align: Align[] = header.map((_, i) => (i === 1 || i === 2 || i === header.length - 1 ? 'left' : 'right'));
  const b0 = base.entries[0]!;
  const lines = [
    formatTable(header, rows, align),
    `baseline: #${baseline + 1} ${base.label} (${targetName(b0)}, batch ${b0.batch}); x baseline = mean / the baseline's mean (below 1: faster)`,
    PEAK_NOTE,
  ];
  const step = trainStepNote(runs.flatMap((run, i) => run.entries.map((entry) => ({ name: `#${i + 1}`, entry }))));
  if (step) lines.push(step);
  const batches = [...new Set(runs.map((r) => r.entries[0]!.batch))];
  if (batches.length > 1)
    lines.push(`note: the runs have different batches (${batches.join(', ')}): a batch's time is then different work`);
  return lines.join('\n');
}

/** The peers a target is divided by: PyTorch eager on the same kind of device, the seeds' program on TensorFlow (CPU). */
const PEERS = [
  { runtime: 'pytorch', column: 'x PyTorch' },
  { runtime: 'tensorflow', column: 'x TF' },
] as const;
const isPeer = (name: string): boolean => PEERS.some((p) => name.startsWith(`${p.runtime}/`));

/**
 * One row per target: mean ms per mode, its ratio to each peer on the same kind of device (below 1: faster than the
 * peer): PyTorch always, TensorFlow when the entries have a TensorFlow run, and its peak memory; then
 * {@link PEAK_NOTE} and the train-step optimizer line where there is one. `n/a` where that peer or mode was not
 * measured.
 */
export function formatCompareTable(entries: ReportEntry[]): string {
  const targets = byTarget(entries);
  const peers = PEERS.filter((p) => p.runtime === 'pytorch' || [...targets.keys()].some((t) => t.startsWith(`${p.runtime}/`)));
  const modes = shownModes(entries);
  const header = ['runtime/EP'];
  for (const mode of modes) header.push(MODE_COLUMN[mode]!, ...peers.map((p) => p.column), 'peak MB');
  header.push('device');
  const rows: string[][] = [];
  for (const [name, results] of targets) {
    const ep = name.split('/')[1]!;
    const cells: string[] = [name];
    for (const mode of modes) {
      const r = results.get(mode);
      cells.push(meanCell(r));
      for (const peer of peers) {
        const p = isPeer(name) ? undefined : targets.get(`${peer.runtime}/${peerEpFor(ep)}`)?.get(mode);
        cells.push(name.startsWith(`${peer.runtime}/`) ? '1 (peer)' : r && p ? (r.mean_s / p.mean_s).toFixed(2) : 'n/a');
      }
      cells.push(peakMbCell(r?.peak_rss_bytes));
    }
    cells.push([...results.values()][0]!.device);
    rows.push(cells);
  }
  const step = trainStepNote(entries.map((entry) => ({ name: targetName(entry), entry })));
  return [formatTable(header, rows, textAtEnds(header)), PEAK_NOTE, ...(step ? [step] : [])].join('\n');
}

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

/**
 * The GPU targets' achieved TFLOP/s and share of the GPU's peak: FP32 always, dense TF32 where TF32 was allowed. The
 * FLOPs are the model's, counted on alexnet-onnx's graph for that mode and batch, so the PyTorch peer's row uses the
 * same count. `peakFor` finds the peak from a device line (default: the datasheet table); undefined when no GPU
 * target was measured.
 */
export function formatThroughputTable(
  entries: ReportEntry[],
  peakFor: (device: string) => GpuPeak | undefined = gpuPeak,
): string | undefined {
  const gpu = entries.filter((e) => peerEpFor(e.ep) === 'cuda');
  if (!gpu.length) return undefined;
  const flopsOf = (e: ReportEntry): number | undefined =>
    e.flops_per_batch ?? entries.find((o) => o.mode === e.mode && o.batch === e.batch && o.flops_per_batch)?.flops_per_batch ?? undefined;
  const rows = gpu.map((e) => {
    const flops = flopsOf(e);
    const tflops = flops === undefined ? undefined : flops / e.mean_s / 1e12;
    const peak = peakFor(e.device);
    const share = (of: number | undefined): string => (tflops === undefined || of === undefined ? 'n/a' : percent(tflops / of));
    return [
      targetName(e),
      e.mode,
      e.tf32 ? 'TF32 allowed' : 'fp32',
      tflops === undefined ? 'n/a' : tflops.toFixed(2),
      share(peak?.fp32),
      e.tf32 ? share(peak?.tf32) : '-',
      peak ? `${peak.gpu}: FP32 ${peak.fp32}, TF32 ${peak.tf32} TFLOP/s` : `no peak known for ${e.device}`,
    ];
  });
  const header = ['runtime/EP', 'mode', 'math', 'TFLOP/s', '% FP32 peak', '% TF32 peak', 'peak (datasheet)'];
  return formatTable(header, rows, textAtEnds(header));
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A horizontal bar chart of mean ms per run and mode (log scale, since CPU and GPU differ by orders of magnitude),
 * with the sd as a whisker and the value printed at each bar. Same input, same bytes.
 */
export function compareChartSvg(runs: Run[], title: string): string {
  const entries = runs.flatMap((r) => r.entries);
  const bar = 14;
  const gap = 10;
  // room for the longest run name at about 6.2 px a character (11 px sans-serif)
  const left = Math.max(130, 12 + Math.ceil(6.2 * Math.max(...runs.map((r) => r.label.length))));
  const width = left + 590;
  const plot = width - left - 90;
  const top = 44;
  const modes = shownModes(entries);
  const height = top + runs.length * (modes.length * bar + gap) + 40;
  const all = entries.map((e) => e.mean_s * 1000);
  // Axis ends and grid lines on the 1-2-5 series.
  const ticks: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(Math.min(...all))); ticks.length < 60; decade *= 10)
    ticks.push(decade, 2 * decade, 5 * decade);
  const top1 = Math.max(...all.map((v, i) => v + entries[i]!.sd_s * 1000));
  const lo = ticks[0]!;
  const hi = ticks.find((t) => t >= top1)!;
  const x = (ms: number): number => left + (plot * Math.log10(Math.max(ms, lo) / lo)) / Math.log10(hi / lo);
  const colors: Record<string, string> = { forward: '#4c78a8', 'forward-backward': '#e45756', 'train-step': '#54a24b' };
  // legend entries at the widths of their names
  const legend = modes.map((mode, k) => {
    const at = left + [0, 80, 200][k]!;
    return `<rect x="${at}" y="26" width="10" height="10" fill="${colors[mode]}"/><text x="${at + 14}" y="35">${mode}</text>`;
  });
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
    ...legend,
  ];
  for (const tick of ticks.filter((t) => t <= hi)) {
    const gx = x(tick).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${height - 16}" text-anchor="middle">${tick >= 1 ? tick.toFixed(0) : tick.toPrecision(1)} ms</text>`);
  }
  runs.forEach((run, i) => {
    const y0 = top + i * (modes.length * bar + gap);
    out.push(`<text x="${left - 6}" y="${y0 + (modes.length * bar) / 2 + 4}" text-anchor="end">${esc(run.label)}</text>`);
    modes.forEach((mode, k) => {
      const r = run.entries.find((e) => e.mode === mode);
      if (!r) return;
      const y = y0 + k * bar;
      const ms = r.mean_s * 1000;
      const sd = r.sd_s * 1000;
      out.push(`<rect x="${left}" y="${y}" width="${(x(ms) - left).toFixed(1)}" height="${bar - 2}" fill="${colors[mode]}"/>`);
      out.push(
        `<line x1="${x(Math.max(ms - sd, lo)).toFixed(1)}" y1="${y + bar / 2 - 1}" x2="${x(ms + sd).toFixed(1)}" y2="${y + bar / 2 - 1}" stroke="#333"/>`,
      );
      out.push(`<text x="${(x(ms + sd) + 4).toFixed(1)}" y="${y + bar - 4}">${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
