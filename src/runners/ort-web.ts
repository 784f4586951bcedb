import fs, { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { describeWasmThreads } from '../bench/report.js';
import { ORT_LOG_LINE, placementFromLog } from './placement.js';
import { installNodeWebGpu } from './node-webgpu.js';
import { cpuDescription, explainEpError } from './ort-node.js';
import type { Placement, Runner, RunnerOptions, WebEp } from './types.js';

const require = createRequire(import.meta.url);

/** The part of onnxruntime-web's module this runner uses (each build bundles its own copy of onnxruntime-common). */
interface OrtWeb {
  InferenceSession: { create(model: Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> };
  env: { wasm: { numThreads?: number }; versions: { web?: string } };
}

/** onnxruntime-web's package folder (its `exports` hide package.json, so it is found from the main file). */
export function ortWebDir(): string {
  return dirname(dirname(require.resolve('onnxruntime-web')));
}

/** onnxruntime-web's version, from its package.json. */
export function ortWebVersion(): string {
  return (JSON.parse(readFileSync(join(ortWebDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * In Node, `onnxruntime-web` is the WebAssembly-only build; `onnxruntime-web/webgpu` is ORT's native WebGPU EP compiled
 * to WebAssembly (asyncify), which falls back to ORT's CPU kernels for ops it lacks.
 */
async function loadOrt(ep: WebEp): Promise<OrtWeb> {
  const mod = ep === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web');
  return ((mod as { default?: OrtWeb }).default ?? mod) as OrtWeb;
}

type WasmCompiler = 'liftoff' | 'turbofan';
let wasmCompiler: WasmCompiler | undefined;

/**
 * Which V8 compiler builds onnxruntime-web's WebAssembly in this process; V8's default tiering (Liftoff first, hot
 * functions recompiled by TurboFan in the background) suits neither build:
 * - The WebGPU build is an asyncify module that TurboFan takes very long over, and Node blocks its event loop until
 *   that background work drains. Measured here (Node 20.20.2, batch 1, 57x57, lavapipe): session creation 36.0 s
 *   with tiering, 1.3 s with Liftoff only, and the steps were not slower (forward 168 ms vs 299 ms). The GPU does
 *   the arithmetic, so the baseline compiler (`--liftoff-only`) is enough.
 * - The WebAssembly-only build's CPU kernels need TurboFan (2.4x slower under Liftoff, measured), and with tiering
 *   they get it only after some steps: batch 1, 67x67, 2 threads, the first 30 steps fell from 62 ms to 5 ms, past
 *   the seeds' 10 burn-in steps; with `--no-liftoff` every step took 5 ms, for about 1.6 s more start-up.
 * V8 flags are per process and act when a module compiles, so the other build is refused in this process.
 */
function useWasmCompiler(compiler: WasmCompiler): void {
  if (wasmCompiler === compiler) return;
  if (wasmCompiler) {
    throw new Error(`this process compiles WebAssembly with ${wasmCompiler === 'liftoff' ? "V8's Liftoff only (for onnxruntime-web's WebGPU build)" : "V8's TurboFan only (for onnxruntime-web's WebAssembly build)"}: time --ep ${wasmCompiler === 'liftoff' ? 'wasm' : 'webgpu'} in a separate process`);
  }
  v8.setFlagsFromString(compiler === 'liftoff' ? '--liftoff-only' : '--no-liftoff');
  wasmCompiler = compiler;
}

/** Default WebAssembly threads in Node for `wasm`: one per core (onnxruntime-web's own default here is 1). */
export function defaultWasmThreads(): number {
  return cpus().length;
}

let logSink: string[] | undefined;

/**
 * onnxruntime-web's WebAssembly module writes ORT's log to stderr with `fs.writeSync(2, ...)` in Node. This tee lets a
 * session creation collect its verbose log (for node placements) without printing it; other writes pass through.
 */
function installLogTee(): void {
  const fsModule = fs as { writeSync: typeof fs.writeSync & { alexnetTee?: boolean } };
  if (fsModule.writeSync.alexnetTee) return;
  const original = fsModule.writeSync;
  const tee = ((fd: number, data: unknown, ...rest: unknown[]) => {
    if (logSink && fd === 2 && typeof data === 'string' && ORT_LOG_LINE.test(data)) {
      logSink.push(...data.split('\n').filter(Boolean));
      return Buffer.byteLength(data);
    }
    return (original as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync & { alexnetTee?: boolean };
  tee.alexnetTee = true;
  fsModule.writeSync = tee;
}

/** Creates a session with ORT's verbose log captured, returns where each node was placed, and releases it. */
async function probePlacement(ort: OrtWeb, model: Uint8Array, options: InferenceSession.SessionOptions): Promise<Placement> {
  const lines: string[] = [];
  logSink = lines;
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, { ...options, logSeverityLevel: 0 });
  } finally {
    logSink = undefined;
  }
  await session.release();
  return placementFromLog(lines);
}

/** Threads each build (wasm, webgpu) was initialized with: each has its own WebAssembly instance. */
const threadsInUse = new Map<WebEp, number>();

/**
 * Opens an onnxruntime-web session in Node on `wasm` or `webgpu` (Dawn from the npm `webgpu` package).
 *
 * The placement comes from a first session created with ORT's verbose log on and released at once: the timed session
 * runs with the log off, since at that level the WebGPU EP logs every shader dispatch.
 */
export async function createWebRunner(o: RunnerOptions): Promise<Runner> {
  if (o.ep !== 'wasm' && o.ep !== 'webgpu') throw new Error(`onnxruntime-web has no '${o.ep}' EP here (wasm or webgpu)`);
  const ep: WebEp = o.ep;
  // Measured: with more than one thread the WebGPU build fails to load in Node ("TypeError: fetch failed": its thread
  // loader fetches its own script by file: URL).
  if (ep === 'webgpu' && o.threads > 1) throw new Error('onnxruntime-web\'s WebGPU build runs its WebAssembly on one thread in Node: use --threads 1 (or 0)');
  useWasmCompiler(ep === 'webgpu' ? 'liftoff' : 'turbofan');
  installLogTee();
  let adapter = '';
  if (ep === 'webgpu') adapter = await installNodeWebGpu();
  const ort = await loadOrt(ep);
  const threads = ep === 'webgpu' ? 1 : o.threads || defaultWasmThreads();
  const before = threadsInUse.get(ep);
  if (before !== undefined && before !== threads) {
    throw new Error(`onnxruntime-web fixes its WebAssembly threads once per process: already ${before}, asked for ${threads}`);
  }
  ort.env.wasm.numThreads = threads;
  const options: InferenceSession.SessionOptions = { executionProviders: [ep], graphOptimizationLevel: o.graphOpt, logSeverityLevel: 3 };
  let placement: Placement;
  let session: InferenceSession;
  try {
    placement = await probePlacement(ort, o.model, options);
    session = await ort.InferenceSession.create(o.model, options);
  } catch (err) {
    throw explainEpError(ep, err);
  }
  const used = ort.env.wasm.numThreads ?? threads;
  threadsInUse.set(ep, used);
  const wasm = describeWasmThreads(used);
  return {
    runtime: 'web',
    ep,
    ortVersion: ort.env.versions.web ?? ortWebVersion(),
    device: ep === 'webgpu' ? `${adapter} (Dawn, npm webgpu; ${wasm}, V8 Liftoff only, for CPU nodes)` : `${cpuDescription()} (${wasm}, V8 TurboFan only)`,
    async run(): Promise<Record<string, Tensor>> {
      return (await session.run(o.feeds, o.fetches)) as Record<string, Tensor>;
    },
    placement: () => placement,
    release: () => session.release(),
  };
}
