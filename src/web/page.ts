/**
 * The benchmark page: controls, live step lines, statistics and a chart of step durations. The CLI's `--runtime
 * browser` drives the same page through `window.alexnet.runJob`. Browser code: no Node imports.
 */

import { SUMMARY_HEADER, summaryCells } from '../bench/report.js';
import { summarize } from '../bench/statistics.js';
import type { BrowserJob, BrowserJobResult, JobResponse } from '../runners/page-protocol.js';
import { fallbackWarning, placementFromLog } from '../runners/placement.js';
import { checkEp, installLogTee, runJob } from './run-job.js';

installLogTee();

declare global {
  interface Window {
    alexnet: { runJob(job: BrowserJob): Promise<BrowserJobResult> };
    /** Exposed by Playwright when the CLI drives the page. */
    alexnetReport?: (line: string) => void;
  }
}

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const logBox = el<HTMLPreElement>('log');

function report(line: string): void {
  logBox.textContent += `${line}\n`;
  logBox.scrollTop = logBox.scrollHeight;
  window.alexnetReport?.(line);
}

function notice(text: string, kind: 'notice' | 'error' = 'notice'): void {
  const p = document.createElement('p');
  p.className = kind === 'error' ? 'notice error' : 'notice';
  p.textContent = text;
  el('notices').append(p);
}

window.alexnet = { runJob: (job) => runJob(job, report) };

interface Finished {
  label: string;
  durations: number[];
}

const COLORS = ['#1f77b4', '#d62728'];

/** A line chart of step durations in ms, one line per mode. */
function chart(runs: Finished[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const W = 640;
  const H = 260;
  const pad = { l: 56, r: 12, t: 14, b: 36 };
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(H));
  svg.setAttribute('role', 'img');
  const all = runs.flatMap((r) => r.durations.map((d) => d * 1000));
  const max = Math.max(...all) * 1.05;
  const steps = Math.max(...runs.map((r) => r.durations.length));
  const x = (i: number): number => pad.l + ((W - pad.l - pad.r) * i) / Math.max(1, steps - 1);
  const y = (ms: number): number => H - pad.b - ((H - pad.t - pad.b) * ms) / max;
  const text = (tx: number, ty: number, s: string, anchor = 'middle'): void => {
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', String(tx));
    t.setAttribute('y', String(ty));
    t.setAttribute('font-size', '11');
    t.setAttribute('text-anchor', anchor);
    t.textContent = s;
    svg.append(t);
  };
  const axis = document.createElementNS(ns, 'path');
  axis.setAttribute('d', `M${pad.l},${pad.t} V${H - pad.b} H${W - pad.r}`);
  axis.setAttribute('stroke', '#888');
  axis.setAttribute('fill', 'none');
  svg.append(axis);
  for (const f of [0, 0.5, 1]) text(pad.l - 6, y(max * f) + 4, `${(max * f).toFixed(1)} ms`, 'end');
  text(pad.l, H - pad.b + 14, '0');
  text(W - pad.r, H - pad.b + 14, String(steps - 1));
  text((W + pad.l) / 2, H - 6, 'timed step');
  runs.forEach((r, k) => {
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', r.durations.map((d, i) => `${x(i).toFixed(1)},${y(d * 1000).toFixed(1)}`).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', COLORS[k % COLORS.length]!);
    line.setAttribute('stroke-width', '1.5');
    svg.append(line);
    text(W - pad.r - 4, pad.t + 12 + 14 * k, r.label, 'end');
    svg.lastElementChild!.setAttribute('fill', COLORS[k % COLORS.length]!);
  });
  return svg;
}

function resultsTable(rows: { label: string; r: BrowserJobResult; info: JobResponse['info'] }[]): HTMLTableElement {
  const table = document.createElement('table');
  const tr = (cells: string[], tag: 'th' | 'td'): HTMLTableRowElement => {
    const row = document.createElement('tr');
    for (const c of cells) {
      const cell = document.createElement(tag);
      cell.textContent = c;
      row.append(cell);
    }
    return row;
  };
  table.append(tr(SUMMARY_HEADER, 'th'));
  for (const { label, r, info } of rows) {
    table.append(tr(summaryCells(label, summarize(r.durations), info.batch, info.flopsPerBatch, r.sessionCreateS, r.firstRunS), 'td'));
  }
  return table;
}

async function fetchJob(form: FormData, mode: string): Promise<JobResponse> {
  const q = new URLSearchParams();
  for (const [k, v] of form) if (k !== 'mode') q.set(k, String(v));
  q.set('mode', mode);
  for (;;) {
    el('status').textContent = `Building the ${mode} model…`;
    const r = await fetch(`/api/job?${q}`);
    // the server builds one job at a time: a busy answer says when to ask again
    const retryAfter = r.status === 503 ? Number(r.headers.get('Retry-After')) : 0;
    if (retryAfter > 0) {
      el('status').textContent = `Waiting: ${await r.text()}`;
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      continue;
    }
    if (!r.ok) throw new Error(await r.text());
    return (await r.json()) as JobResponse;
  }
}

async function onRun(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = new FormData(el<HTMLFormElement>('controls'));
  const mode = String(form.get('mode'));
  const ep = String(form.get('ep'));
  const modes = mode === 'both' ? ['forward', 'forward-backward'] : [mode];
  const button = el<HTMLButtonElement>('run');
  button.disabled = true;
  logBox.textContent = '';
  el('results').replaceChildren();
  el('chart').replaceChildren();
  const rows: { label: string; r: BrowserJobResult; info: JobResponse['info'] }[] = [];
  try {
    for (const m of modes) {
      const { job, info } = await fetchJob(form, m);
      el('status').textContent = `Running ${m} on ${ep}: batch ${info.batch}, ${info.formulation}…`;
      const r = await runJob(job, report);
      rows.push({ label: m, r, info });
      report(fallbackWarning(placementFromLog(r.placementLog), job.ep) ?? `all nodes ran on ${ep}`);
      el('results').replaceChildren(
        resultsTable(rows),
        Object.assign(document.createElement('p'), {
          textContent: `ONNX Runtime ${r.ortVersion} (onnxruntime-web), EP ${ep}, device: ${r.device}`,
        }),
      );
      el('chart').replaceChildren(chart(rows.map((x) => ({ label: x.label, durations: x.r.durations }))));
    }
    el('status').textContent = 'Done.';
  } catch (err) {
    el('status').textContent = 'Failed.';
    notice((err as Error).message ?? String(err), 'error');
  } finally {
    button.disabled = false;
  }
}

async function start(): Promise<void> {
  if (!crossOriginIsolated) {
    notice(
      'This page is not cross-origin isolated (the COOP/COEP headers did not arrive), so WebAssembly runs on one thread. Open it from `alexnet-onnx serve` directly, not through a proxy that drops headers.',
    );
  }
  const webgpu = await checkEp('webgpu');
  if (webgpu.problem) {
    notice(`WebGPU is not available: ${webgpu.problem}. The webgpu EP is disabled; wasm works.`);
    const option = el<HTMLSelectElement>('ep').querySelector<HTMLOptionElement>('option[value=webgpu]')!;
    option.disabled = true;
  }
  el('controls').addEventListener('submit', (e) => void onRun(e as SubmitEvent));
  el('status').textContent =
    `Ready. WebAssembly threads available: ${crossOriginIsolated ? navigator.hardwareConcurrency : 1}${webgpu.adapter ? `; WebGPU adapter: ${webgpu.adapter}` : ''}.`;
}

void start();
