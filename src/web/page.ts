/**
 * The benchmark page: controls, live step lines and step counter, a Stop button, statistics and a chart of step
 * durations. Jobs run in a worker (`worker-client.ts`), so the page keeps drawing while one runs. The CLI's
 * `--runtime browser` drives the same page through `window.alexnet.runJob`. Browser code: no Node imports.
 */

import { SUMMARY_HEADER, summaryCells } from '../bench/report.js';
import { summarize } from '../bench/statistics.js';
import type { BrowserJob, BrowserJobResult, JobResponse, PageControls, RunCheck } from '../runners/page-protocol.js';
import { fallbackWarning, placementFromLog } from '../runners/placement.js';
import { durationChart } from './chart.js';
import { checkEp, type JobProgress } from './run-job.js';
import { JobRunner, RunStopped } from './worker-client.js';

declare global {
  interface Window {
    alexnet: { runJob(job: BrowserJob): Promise<BrowserJobResult> };
    /** Exposed by Playwright when the CLI drives the page. */
    alexnetReport?: (line: string) => void;
    /** Exposed by Playwright when the CLI drives the page: the job's phases and steps. */
    alexnetProgress?: (p: JobProgress) => void;
  }
}

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const logBox = el<HTMLPreElement>('log');
const runner = new JobRunner();

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

const setStatus = (text: string): void => {
  el('status').textContent = text;
};
const setProgress = (text: string): void => {
  el('progress').textContent = text;
};

const PHASES = { loading: 'loading the model', session: 'creating the session', 'first run': 'first run' } as const;

/** The step counter's line for `mode`: `step 37 / 110, forward`, or the phase before the steps. */
function progressLine(mode: string, p: JobProgress): string {
  if (p.phase !== 'steps') return `${mode}: ${PHASES[p.phase]}`;
  return `step ${p.step} / ${p.of}, ${mode}${p.step <= p.burnIn ? ' (burn-in)' : ''}`;
}

/** Where a stopped run was: `at step 37 / 110`, or the phase it was in. */
function whereLine(p: JobProgress): string {
  return p.phase === 'steps' ? `at step ${p.step} / ${p.of}` : `while ${PHASES[p.phase]}`;
}

function progress(mode: string, p: JobProgress): void {
  setProgress(progressLine(mode, p));
  window.alexnetProgress?.(p);
}

window.alexnet = { runJob: (job) => runner.run(job, { log: report, progress: (p) => progress(job.label, p) }) };

interface Row {
  mode: string;
  r: BrowserJobResult;
  info: JobResponse['info'];
}

function resultsTable(rows: Row[]): HTMLTableElement {
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
  for (const { mode, r, info } of rows) {
    table.append(tr(summaryCells(mode, summarize(r.durations), info.batch, info.flopsPerBatch, r.sessionCreateS, r.firstRunS), 'td'));
  }
  return table;
}

function showResults(rows: Row[], ep: string): void {
  const last = rows.at(-1)!.r;
  el('results').replaceChildren(
    resultsTable(rows),
    Object.assign(document.createElement('p'), {
      textContent: `ONNX Runtime ${last.ortVersion} (onnxruntime-web), EP ${ep}, device: ${last.device}`,
    }),
  );
  el('chart').replaceChildren(durationChart(rows.map((x) => ({ label: x.mode, durations: x.r.durations }))));
}

/** The server's answer (a busy 503 included), or its message thrown: for refused controls, `bench`'s own line. */
async function api(path: string, signal: AbortSignal): Promise<Response> {
  const r = await fetch(path, { signal });
  if (!r.ok && r.status !== 503) throw new Error(await r.text());
  return r;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    const stop = (): void => {
      clearTimeout(timer);
      reject(new RunStopped());
    };
    signal.addEventListener('abort', stop, { once: true });
  });

async function fetchJob(query: URLSearchParams, mode: string, signal: AbortSignal): Promise<JobResponse> {
  const q = new URLSearchParams(query);
  q.set('mode', mode);
  for (;;) {
    setProgress(`${mode}: building the model on the server`);
    const r = await api(`/api/job?${q}`, signal);
    if (r.ok) return (await r.json()) as JobResponse;
    // the server builds one job at a time: a busy answer says when to ask again
    setStatus(`Waiting: ${await r.text()}`);
    await sleep(Number(r.headers.get('Retry-After') || 1) * 1000, signal);
  }
}

/** Stops the run in progress: the fetch or wait it is in, or the worker running its job. */
let stopRun: (() => void) | undefined;

async function onRun(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const query = new URLSearchParams();
  for (const [k, v] of new FormData(el<HTMLFormElement>('controls'))) query.set(k, String(v));
  const ep = query.get('ep') ?? '';
  const [run, stop] = [el<HTMLButtonElement>('run'), el<HTMLButtonElement>('stop')];
  const stopping = new AbortController();
  stopRun = () => {
    stopping.abort();
    runner.stop();
  };
  run.disabled = true;
  stop.disabled = false;
  for (const e of el('notices').querySelectorAll('.error')) e.remove();
  logBox.textContent = '';
  el('results').replaceChildren();
  el('chart').replaceChildren();
  const rows: Row[] = [];
  let mode = '';
  let where = 'while checking the controls';
  try {
    setStatus('Checking the controls…');
    // bench refuses a whole run before timing anything, so the page does too: every mode is checked first
    const { modes } = (await (await api(`/api/check?${query}`, stopping.signal)).json()) as RunCheck;
    for (mode of modes) {
      where = 'while the server built the model';
      const { job, info } = await fetchJob(query, mode, stopping.signal);
      setStatus(`Running ${mode} on ${ep}: batch ${info.batch}, ${info.formulation}…`);
      const progress = (p: JobProgress): void => {
        setProgress(progressLine(mode, p));
        where = whereLine(p);
      };
      const r = await runner.run(job, { log: report, progress });
      rows.push({ mode, r, info });
      report(fallbackWarning(placementFromLog(r.placementLog), job.ep) ?? `all nodes ran on ${ep}`);
      showResults(rows, ep);
    }
    setStatus('Done.');
    setProgress('');
  } catch (err) {
    if (stopping.signal.aborted) {
      const kept = rows.length ? `; the results of ${rows.map((x) => x.mode).join(', ')} are kept` : '';
      setStatus(`Stopped${mode ? ` ${mode}` : ''} ${where}${kept}.`);
    } else {
      setStatus('Failed.');
      notice((err as Error).message ?? String(err), 'error');
    }
    setProgress('');
  } finally {
    stopRun = undefined;
    run.disabled = false;
    stop.disabled = true;
  }
}

/** Fills the controls with the server's choices and `bench`'s defaults; false when there is no job API here. */
async function fillControls(): Promise<boolean> {
  const r = await fetch('/api/controls');
  if (!r.ok) return false;
  const { defaults, choices } = (await r.json()) as PageControls;
  for (const [name, list] of Object.entries(choices)) {
    el<HTMLSelectElement>(name).replaceChildren(...list.map((c) => new Option(c, c)));
  }
  for (const [name, value] of Object.entries(defaults)) {
    const control = el<HTMLInputElement | HTMLSelectElement>(name);
    control.value = value;
    if (control instanceof HTMLInputElement) control.placeholder = value;
  }
  return true;
}

async function start(): Promise<void> {
  if (!crossOriginIsolated) {
    notice(
      'This page is not cross-origin isolated (the COOP/COEP headers did not arrive), so WebAssembly runs on one thread. Open it from `alexnet-onnx serve` directly, not through a proxy that drops headers.',
    );
  }
  const [webgpu, controls] = await Promise.all([checkEp('webgpu'), fillControls()]);
  if (!controls) {
    setStatus(
      'Ready for jobs from alexnet-onnx bench --runtime browser (this server has no controls: open the page from alexnet-onnx serve).',
    );
    return;
  }
  if (webgpu.problem) {
    notice(`WebGPU is not available: ${webgpu.problem}. The webgpu EP is disabled; wasm works.`);
    el<HTMLSelectElement>('ep').querySelector<HTMLOptionElement>('option[value=webgpu]')!.disabled = true;
  }
  el('controls').addEventListener('submit', (e) => void onRun(e as SubmitEvent));
  el('stop').addEventListener('click', () => stopRun?.());
  el<HTMLButtonElement>('run').disabled = false;
  setStatus(
    `Ready. WebAssembly threads available: ${crossOriginIsolated ? navigator.hardwareConcurrency : 1}${webgpu.adapter ? `; WebGPU adapter: ${webgpu.adapter}` : ''}.`,
  );
}

void start();
