/**
 * Runs a benchmark job with onnxruntime-web and the same timing loop as the Node runtimes (`performance.now()` around
 * each awaited `session.run`). It runs in the page's job worker (`job-worker.ts`), off the page's main thread.
 * Browser code: no Node imports, and nothing that needs a window (workers have none).
 */
import type { Tensor } from 'onnxruntime-common';
import { timeLoop } from '../bench/harness.js';
import type { WebEp } from '../common/eps.js';
import { feedbackOutputOptions, stepFeeds } from '../runners/feedback.js';
import { describeWasmThreads, ORT_WEB_BUILDS, OrtLogCapture, type OrtWeb, webSessionOptions } from '../runners/ort-web-common.js';
import type { BrowserJob, BrowserJobResult, JobProgress } from '../runners/page-protocol.js';

export type { JobProgress } from '../runners/page-protocol.js';

/** Where the server puts onnxruntime-web's files. */
const ORT_BASE = '/ort/';

const logCapture = new OrtLogCapture();

/**
 * onnxruntime-web's WebAssembly module binds `console.error`/`console.log` when it loads; wrapping them first hands
 * ORT's log to `logCapture` (node placements) instead of flooding the console. Call before loading ORT, in the
 * global scope that loads it.
 */
export function installLogTee(): void {
  for (const key of ['error', 'log'] as const) {
    const original = console[key].bind(console);
    console[key] = (...args: unknown[]): void => {
      if (!logCapture.offer(args.map(String).join(' '))) original(...args);
    };
  }
}

const loaded = new Map<WebEp, Promise<OrtWeb>>();

/** onnxruntime-web's build for `ep` (see `ORT_WEB_BUILDS`), from the server's copy of its `dist/`, imported once. */
function loadOrt(ep: WebEp): Promise<OrtWeb> {
  let p = loaded.get(ep);
  if (!p) {
    p = (import(/* @vite-ignore */ `${ORT_BASE}${ORT_WEB_BUILDS[ep].file}`) as Promise<{ default?: OrtWeb } & OrtWeb>).then(
      (m) => m.default ?? m,
    );
    loaded.set(ep, p);
  }
  return p;
}

/** Why this page cannot run `ep`, or undefined when it can. Also says what the adapter is. */
export async function checkEp(ep: string): Promise<{ problem?: string; adapter?: string }> {
  if (ep !== 'webgpu') return {};
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    return {
      problem:
        'this browser has no WebGPU (navigator.gpu is missing): use a recent Chrome or Edge over https or localhost; Chromium on Linux needs --enable-unsafe-webgpu',
    };
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter)
    return {
      problem:
        'this browser found no WebGPU adapter (navigator.gpu.requestAdapter() returned null): check the GPU driver, or start Chromium with --enable-unsafe-webgpu',
    };
  const info = adapter.info;
  const name = [info.description || info.device, info.vendor, info.architecture].filter(Boolean).join(', ');
  return { adapter: name || (info.isFallbackAdapter ? 'software adapter' : 'unnamed adapter') };
}

/** A tensor's bytes as base64, for a page binding's JSON. */
export function toBase64(data: Float32Array | BigInt64Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The body of a GET from the page server, or an error naming the URL and status. */
export async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return r.arrayBuffer();
}

/**
 * onnxruntime-web's build for `ep`, with its files from the page server and its WebAssembly threads: `threads`, else
 * (once) one per core where the page is cross-origin isolated, one where it is not.
 */
export async function setUpOrt(ep: WebEp, threads: number): Promise<OrtWeb> {
  const ort = await loadOrt(ep);
  ort.env.wasm.wasmPaths = ORT_BASE;
  if (threads) ort.env.wasm.numThreads = threads;
  else if (ort.env.wasm.numThreads === undefined) ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
  return ort;
}

/**
 * The device line of the page's sessions: the browser (`version`: Playwright's full one), then the WebGPU adapter or
 * the logical cores, with the WebAssembly threads `ort` runs.
 */
export function pageDevice(ort: OrtWeb, ep: WebEp, adapter: string | undefined, version?: string): string {
  const wasm = describeWasmThreads(ort.env.wasm.numThreads ?? 1, crossOriginIsolated ? '' : ', not cross-origin isolated');
  return ep === 'webgpu'
    ? `${browserName(version)}, WebGPU adapter: ${adapter} (${wasm} for CPU nodes)`
    : `${browserName(version)}, ${navigator.hardwareConcurrency} logical cores (${wasm})`;
}

/** The browser and its version from the user agent; `version` (Playwright's full one) replaces the agent's. */
function browserName(version?: string): string {
  const m = /(HeadlessChrome|Chrome|Chromium|Firefox|Version)\/([\d.]+)/.exec(navigator.userAgent);
  return m ? `${m[1]} ${version ?? m[2]}` : navigator.userAgent;
}

/** Where a job's output goes while it runs. */
export interface JobReporter {
  /** Each step line, the summary line and any warning, as they happen. */
  log(line: string): void;
  /** Each phase as it starts, and the loop's steps as each of its phases begins and each step ends (between steps, untimed). */
  progress(p: JobProgress): void;
}

/** Runs `job` in this global scope (the job worker); `report` hears its lines and progress as they happen. */
export async function runJob(job: BrowserJob, report: JobReporter): Promise<BrowserJobResult> {
  const { problem, adapter } = await checkEp(job.ep);
  if (problem) throw new Error(problem);
  report.progress({ phase: 'loading' });
  const ort = await setUpOrt(job.ep, job.threads);
  const model = new Uint8Array(await fetchBytes(job.modelUrl));
  const feeds: Record<string, Tensor> = {};
  for (const f of job.feeds) {
    const bytes = await fetchBytes(f.url);
    feeds[f.name] = new ort.Tensor(f.type, f.type === 'int64' ? new BigInt64Array(bytes) : new Float32Array(bytes), f.dims);
  }
  const options = webSessionOptions(job.ep, job.graphOpt);

  report.progress({ phase: 'session' });
  const placementLog = await logCapture.placementLog(ort, model, options);
  const created = performance.now();
  const session = await ort.InferenceSession.create(model, { ...options, ...feedbackOutputOptions(job.ep, job.feedback) });
  const sessionCreateS = (performance.now() - created) / 1000;
  // a training step is fed the previous step's outputs (kept on the GPU on webgpu) and its number
  const stepped = stepFeeds(feeds, job, (v) => new ort.Tensor('int64', BigInt64Array.of(v), []));
  const step = async (): Promise<Record<string, Tensor>> => {
    const out = (await session.run(stepped.next(), job.fetches)) as Record<string, Tensor>;
    stepped.fedBack(out);
    return out;
  };
  try {
    report.progress({ phase: 'first run' });
    const first = performance.now();
    const out = await step();
    const firstRunS = (performance.now() - first) / 1000;
    const of = job.burnIn + job.steps;
    const loop = await timeLoop(step, {
      label: job.label,
      burnIn: job.burnIn,
      steps: job.steps,
      logEvery: job.logEvery,
      format: job.format,
      log: (line) => report.log(line),
      onStep: (phase, done, _total, durationS) =>
        report.progress({ phase: 'steps', step: phase === 'burn-in' ? done : job.burnIn + done, of, burnIn: job.burnIn, durationS }),
    });
    const threads = ort.env.wasm.numThreads ?? 1;
    const device = pageDevice(ort, job.ep, adapter);
    const result: BrowserJobResult = {
      ortVersion: ort.env.versions.web ?? 'unknown',
      device,
      threads,
      crossOriginIsolated,
      placementLog,
      sessionCreateS,
      firstRunS,
      durations: loop.durations,
    };
    if (job.collectOutputs) {
      result.outputs = {};
      for (const [name, t] of Object.entries(out))
        if (t.location === 'cpu') result.outputs[name] = { dims: [...t.dims], base64: toBase64(t.data as Float32Array) };
    }
    return result;
  } finally {
    stepped.release();
    await session.release();
  }
}
