import type { EvalRecord, StepRecord } from './trainer.js';

/**
 * The loss/accuracy chart of a training run, as a self-contained SVG file: the loss on a log scale (it falls from the
 * hundreds that the seeds' initial weights give to near 0), and the accuracy, of the training batches and held out.
 * Per-step values are noisy (one batch each), so each is drawn faint with its moving average over `window` steps.
 */

const WIDTH = 800;
const PANEL = 220;
const MARGIN = { left: 64, right: 160, top: 40, gap: 48, bottom: 40 };
const COLORS = { loss: '#1f77b4', train: '#ff7f0e', heldOut: '#2ca02c', grid: '#ddd', axis: '#333' };
/** The smallest loss the log scale shows: a batch the network gets right with confidence has a loss of 0 in float32. */
const LOSS_FLOOR = 1e-3;

/** Escapes text for SVG content and attribute values. */
function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The mean of each value and the `window - 1` before it (fewer at the start). */
export function movingAverage(values: readonly number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/** Round tick values for [lo, hi]: about `count` of them, at 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

interface Series {
  points: [number, number][];
  color: string;
  width: number;
  opacity?: number;
  dots?: boolean;
  label?: string;
}

interface Panel {
  top: number;
  title: string;
  /** Value to y inside the panel, 0 at its top. */
  y: (v: number) => number;
  ticks: { value: number; label: string }[];
  series: Series[];
}

function polyline(s: Series, x: (step: number) => number, y: (v: number) => number, top: number): string {
  const pts = s.points.map(([a, b]) => `${x(a).toFixed(1)},${(top + y(b)).toFixed(1)}`);
  const line = `<polyline fill="none" stroke="${s.color}" stroke-width="${s.width}"${s.opacity ? ` stroke-opacity="${s.opacity}"` : ''} points="${pts.join(' ')}"/>`;
  const dots = s.dots ? pts.map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.color}"/>`).join('') : '';
  return line + dots;
}

function drawPanel(p: Panel, x: (step: number) => number, xTicks: number[]): string {
  const [left, right] = [MARGIN.left, WIDTH - MARGIN.right];
  const parts: string[] = [`<text x="${left}" y="${p.top - 8}" font-weight="bold">${escapeXml(p.title)}</text>`];
  for (const t of p.ticks) {
    const y = (p.top + p.y(t.value)).toFixed(1);
    parts.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of xTicks) {
    const px = x(t).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${p.top}" y2="${p.top + PANEL}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${px}" y="${p.top + PANEL + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<rect x="${left}" y="${p.top}" width="${right - left}" height="${PANEL}" fill="none" stroke="${COLORS.axis}"/>`);
  parts.push(...p.series.filter((s) => s.points.length).map((s) => polyline(s, x, p.y, p.top)));
  p.series
    .filter((s) => s.label)
    .forEach((s, i) => {
      const y = p.top + 14 + 18 * i;
      parts.push(`<line x1="${right + 12}" x2="${right + 32}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"/>`);
      parts.push(`<text x="${right + 38}" y="${y}" dominant-baseline="middle">${escapeXml(s.label!)}</text>`);
    });
  return parts.join('\n');
}

const zip = (xs: readonly number[], ys: readonly number[]): [number, number][] => xs.map((x, i) => [x, ys[i]!]);

/** The chart of a run's `history` and held-out `evals` as an SVG document; `window` is the moving average's length. */
export function trainingChart(title: string, history: readonly StepRecord[], evals: readonly EvalRecord[], window: number): string {
  const lastStep = Math.max(1, history.at(-1)?.step ?? 1, evals.at(-1)?.step ?? 1);
  const x = (step: number) => MARGIN.left + ((WIDTH - MARGIN.left - MARGIN.right) * step) / lastStep;
  const steps = history.map((r) => r.step);
  const losses = history.map((r) => Math.max(LOSS_FLOOR, r.loss));
  const exponents = losses.map(Math.log10);
  const [lo, hi] = [Math.floor(Math.min(0, ...exponents)), Math.ceil(Math.max(1, ...exponents))];
  const lossPanel: Panel = {
    top: MARGIN.top + 20,
    title: 'loss (log scale)',
    y: (v) => PANEL * (1 - (Math.log10(Math.max(LOSS_FLOOR, v)) - lo) / (hi - lo)),
    ticks: Array.from({ length: hi - lo + 1 }, (_, i) => ({ value: 10 ** (lo + i), label: String(10 ** (lo + i)) })),
    series: [
      { points: zip(steps, losses), color: COLORS.loss, width: 1, opacity: 0.3 },
      { points: zip(steps, movingAverage(losses, window)), color: COLORS.loss, width: 2, label: `train (mean of ${window})` },
    ],
  };
  const accuracies = history.map((r) => r.accuracy);
  const accuracyPanel: Panel = {
    top: lossPanel.top + PANEL + MARGIN.gap,
    title: 'accuracy',
    y: (v) => PANEL * (1 - v),
    ticks: niceTicks(0, 1).map((v) => ({ value: v, label: v.toFixed(1) })),
    series: [
      { points: zip(steps, accuracies), color: COLORS.train, width: 1, opacity: 0.25 },
      { points: zip(steps, movingAverage(accuracies, window)), color: COLORS.train, width: 2, label: `train (mean of ${window})` },
      { points: evals.map((e) => [e.step, e.accuracy]), color: COLORS.heldOut, width: 2, dots: true, label: 'held out' },
    ],
  };
  const xTicks = niceTicks(0, lastStep, 8);
  const height = accuracyPanel.top + PANEL + MARGIN.bottom;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    drawPanel(lossPanel, x, xTicks),
    drawPanel(accuracyPanel, x, xTicks),
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${height - 6}" text-anchor="middle">step</text>`,
    '</svg>',
    '',
  ].join('\n');
}
