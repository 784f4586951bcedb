/**
 * The page's chart of step durations: one line per mode, ms on a y axis from 0, timed steps on the x axis, the legend
 * above the plot (never over a line). Browser code: no Node imports; `niceTicks` is plain arithmetic.
 */

/** One mode's timed step durations, in seconds. */
export interface ChartRun {
  label: string;
  durations: number[];
}

/**
 * Evenly spaced round ticks from 0 for an axis up to `max`: steps of 1, 2 or 5 times a power of ten, about `count` of
 * them. `cover`: the last tick reaches `max` or beyond (a value axis); otherwise none passes it (the step axis).
 * `integer`: whole-number steps (steps are counted).
 */
export function niceTicks(max: number, count: number, o: { cover: boolean; integer?: boolean }): { ticks: number[]; decimals: number } {
  const span = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9))!;
  if (o.integer) step = Math.max(1, Math.round(step));
  const n = o.cover ? Math.ceil(span / step - 1e-9) : Math.floor(span / step + 1e-9);
  // i * step, not a running sum: 0.1 + 0.2 is not 0.3
  const ticks = Array.from({ length: n + 1 }, (_, i) => i * step);
  return { ticks, decimals: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
}

/** Colours of the modes' lines, in order (colour-blind safe). */
export const COLORS = ['#1f77b4', '#d62728', '#2ca02c'];

const NS = 'http://www.w3.org/2000/svg';
const FONT = 11;
/** Width of a digit at `FONT` px in the page's sans-serif, generously: labels must never be cut off. */
const CHAR_W = 7;

/** A line chart of `runs`' step durations in ms. */
export function durationChart(runs: ChartRun[]): SVGSVGElement {
  const W = 720;
  const H = 300;
  const svg = el('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
  const all = runs.flatMap((r) => r.durations.map((d) => d * 1000));
  const y = niceTicks(Math.max(...all), 5, { cover: true });
  const xMax = Math.max(1, ...runs.map((r) => r.durations.length - 1));
  const x = niceTicks(xMax, 8, { cover: false, integer: true });
  const yLabels = y.ticks.map((t) => t.toFixed(y.decimals));
  // room on the left for the longest y label and the rotated axis title; above for the legend
  const pad = { l: 28 + CHAR_W * Math.max(...yLabels.map((s) => s.length)), r: 16, t: 34, b: 42 };
  const yMax = y.ticks.at(-1)!;
  const px = (i: number): number => pad.l + ((W - pad.l - pad.r) * i) / xMax;
  const py = (ms: number): number => H - pad.b - ((H - pad.t - pad.b) * ms) / yMax;
  const text = (tx: number, ty: number, s: string, attrs: Record<string, string | number> = {}): void => {
    const t = el('text', { x: tx, y: ty, 'font-size': FONT, 'text-anchor': 'middle', ...attrs });
    t.textContent = s;
    svg.append(t);
  };
  svg.append(el('rect', { class: 'plot', x: pad.l, y: pad.t, width: W - pad.l - pad.r, height: H - pad.t - pad.b, fill: 'none' }));
  y.ticks.forEach((t, i) => {
    svg.append(el('path', { d: `M${pad.l},${py(t)} H${W - pad.r}`, stroke: i === 0 ? '#888' : '#eee', fill: 'none' }));
    text(pad.l - 6, py(t) + 4, yLabels[i]!, { 'text-anchor': 'end', class: 'y-tick' });
  });
  for (const t of x.ticks) {
    svg.append(el('path', { d: `M${px(t)},${H - pad.b} v5`, stroke: '#888' }));
    text(px(t), H - pad.b + 17, String(t), { class: 'x-tick' });
  }
  svg.append(el('path', { d: `M${pad.l},${pad.t} V${H - pad.b}`, stroke: '#888', fill: 'none' }));
  text((pad.l + W - pad.r) / 2, H - 8, 'timed step');
  const midY = (pad.t + H - pad.b) / 2;
  text(12, midY, 'ms per step', { transform: `rotate(-90 12 ${midY})`, class: 'y-title' });
  let legendX = pad.l;
  runs.forEach((r, k) => {
    const color = COLORS[k % COLORS.length]!;
    const points = r.durations.map((d, i) => `${px(i).toFixed(1)},${py(d * 1000).toFixed(1)}`);
    svg.append(el('polyline', { points: points.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5 }));
    // a dot per step where there are few: a single step draws no line
    if (r.durations.length <= 30)
      for (const p of points) svg.append(el('circle', { cx: p.split(',')[0]!, cy: p.split(',')[1]!, r: 2.5, fill: color }));
    const legend = el('g', { class: 'legend' });
    legend.append(el('path', { d: `M${legendX},${pad.t - 14} h18`, stroke: color, 'stroke-width': 3 }));
    svg.append(legend);
    const label = el('text', { x: legendX + 24, y: pad.t - 10, 'font-size': FONT, fill: color });
    label.textContent = r.label;
    legend.append(label);
    legendX += 24 + CHAR_W * r.label.length + 20;
  });
  return svg;
}

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}
