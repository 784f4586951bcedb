import fs from 'node:fs';
import { cpus } from 'node:os';
import v8 from 'node:v8';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { Ep, WebEp } from '../common/eps.js';
import { cpuDescription } from './devices.js';
import { explainEpError } from './errors.js';
import { feedbackOutputOptions, stepFeeds } from './feedback.js';
import { installNodeWebGpu } from './node-webgpu.js';
import { describeWasmThreads, ORT_WEB_BUILDS, OrtLogCapture, type OrtWeb, webSessionOptions } from './ort-web-common.js';
import { ortWebVersion } from './packages.js';
import { placementFromLog } from './placement.js';
import { kernelEventsOf, parsePrintedProfile, type TraceEvent } from './trace.js';
import type { KernelEvent, Placement, Runner, RunnerOptions } from './types.js';

/** onnxruntime-web's build for `ep` (see `ORT_WEB_BUILDS`). */
async function loadOrt(ep: WebEp): Promise<OrtWeb> {
  const mod = (await import(ORT_WEB_BUILDS[ep].module)) as { default?: OrtWeb } & OrtWeb;
  return mod.default ?? mod;
}

type WasmCompiler = 'liftoff' | 'turbofan';
let wasmCompiler: WasmCompiler | undefined;

/**
 * Which V8 compiler builds onnxruntime-web's WebAssembly in this process; V8's default tiering (Liftoff first, hot
 * functions recompiled by TurboFan in the background) suits neither build:
 * - The WebGPU build is an asyncify module that TurboFan takes very long over, and Node blocks its event loop until
 *   that background work drains, so session creation stalls; the GPU does the arithmetic, so the baseline compiler
 *   (`--liftoff-only`) is enough.
 * - The WebAssembly-only build's CPU kernels need TurboFan, and with tiering they get it only after some steps, past
 *   the seeds' burn-in; `--no-liftoff` costs some start-up instead.
 * (docs/benchmarks.md, "Choices for onnxruntime-web measured here".) V8 flags are per process and act when a module
 * compiles, so the other build is refused in this process.
 */
function useWasmCompiler(compiler: WasmCompiler): void {
  if (wasmCompiler === compiler) return;
  if (wasmCompiler) {
    throw new Error(
      `this process compiles WebAssembly with ${wasmCompiler === 'liftoff' ? "V8's Liftoff only (for onnxruntime-web's WebGPU build)" : "V8's TurboFan only (for onnxruntime-web's WebAssembly build)"}: time --ep ${wasmCompiler === 'liftoff' ? 'wasm' : 'webgpu'} in a separate process`,
    );
  }
  v8.setFlagsFromString(compiler === 'liftoff' ? '--liftoff-only' : '--no-liftoff');
  wasmCompiler = compiler;
}

/** Default WebAssembly threads in Node for `wasm`: one per core (onnxruntime-web's own default here is 1). */
export function defaultWasmThreads(): number {
  return cpus().length;
}

const logCapture = new OrtLogCapture();
/** What onnxruntime-web writes on stdout while `endPrintedProfile` runs; undefined the rest of the time. */
let printedProfile: string[] | undefined;

/**
 * onnxruntime-web's WebAssembly module writes ORT's log to stderr with `fs.writeSync(2, ...)` in Node, and its profile
 * to stdout with `fs.writeSync(1, ...)`: this tee hands the log to `logCapture` and the profile to `printedProfile`
 * first (the profile is a large JSON array, not for the user's terminal); other writes pass through.
 */
function installLogTee(): void {
  const fsModule = fs as { writeSync: typeof fs.writeSync & { alexnetTee?: boolean } };
  if (fsModule.writeSync.alexnetTee) return;
  const original = fsModule.writeSync;
  const tee = ((fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 2 && typeof data === 'string' && logCapture.offer(data)) return Buffer.byteLength(data);
    if (fd === 1 && typeof data === 'string' && printedProfile) {
      printedProfile.push(data);
      return Buffer.byteLength(data);
    }
    return (original as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync & { alexnetTee?: boolean };
  tee.alexnetTee = true;
  fsModule.writeSync = tee;
}

/**
 * Ends the profiling of `session` and returns the profile onnxruntime-web printed meanwhile. Its `endProfiling` prints
 * before it returns (the WebAssembly call is synchronous), so nothing is printed after the tee lets go.
 */
function endPrintedProfile(session: InferenceSession): TraceEvent[] {
  const chunks: string[] = [];
  printedProfile = chunks;
  try {
    session.endProfiling();
  } finally {
    printedProfile = undefined;
  }
  return parsePrintedProfile(chunks.join(''));
}

/** `ep` as one of onnxruntime-web's EPs (wasm, webgpu), or an error naming them. */
export function webEp(ep: Ep): WebEp {
  if (ep !== 'wasm' && ep !== 'webgpu') throw new Error(`onnxruntime-web has no '${ep}' EP here (wasm or webgpu)`);
  return ep;
}

/** Threads each build (wasm, webgpu) was initialized with: each has its own WebAssembly instance. */
const threadsInUse = new Map<WebEp, number>();

/** onnxruntime-web loaded and set up in this process for one EP (`loadWebRuntime`). */
export interface WebRuntime {
  /** The build's module: its sessions and tensors. */
  ort: OrtWeb;
  ortVersion: string;
  /** The device line: the CPU or the WebGPU adapter, and the WebAssembly threads. */
  device: string;
}

/**
 * Loads onnxruntime-web's build for `ep` and sets this process up for it, once: V8's WebAssembly compiler for the
 * build, ORT's log tee, Dawn's `navigator.gpu` for WebGPU, and `threads` WebAssembly threads (0: one per core), which
 * ORT fixes for the whole process.
 */
export async function loadWebRuntime(ep: WebEp, threads: number): Promise<WebRuntime> {
  // With more than one thread the WebGPU build fails to load in Node ("TypeError: fetch failed": its thread
  // loader fetches its own script by file: URL).
  if (ep === 'webgpu' && threads > 1)
    throw new Error("onnxruntime-web's WebGPU build runs its WebAssembly on one thread in Node: use --threads 1 (or 0)");
  useWasmCompiler(ep === 'webgpu' ? 'liftoff' : 'turbofan');
  installLogTee();
  let adapter = '';
  if (ep === 'webgpu') adapter = await installNodeWebGpu();
  const ort = await loadOrt(ep);
  const used = ep === 'webgpu' ? 1 : threads || defaultWasmThreads();
  const before = threadsInUse.get(ep);
  if (before !== undefined && before !== used) {
    throw new Error(`onnxruntime-web fixes its WebAssembly threads once per process: already ${before}, asked for ${used}`);
  }
  ort.env.wasm.numThreads = used;
  threadsInUse.set(ep, used);
  const wasm = describeWasmThreads(used);
  return {
    ort,
    ortVersion: ort.env.versions.web ?? ortWebVersion(),
    device:
      ep === 'webgpu'
        ? `${adapter} (Dawn, npm webgpu; ${wasm}, V8 Liftoff only, for CPU nodes)`
        : `${cpuDescription()} (${wasm}, V8 TurboFan only)`,
  };
}

/**
 * Opens an onnxruntime-web session in Node on `wasm` or `webgpu` (Dawn from the npm `webgpu` package).
 *
 * The placement comes from a first session created with ORT's verbose log on and released at once: the timed session
 * runs with the log off, since at that level the WebGPU EP logs every shader dispatch. The timed session profiles
 * every run until the placement or the kernel events are read, as onnxruntime-node's runner does: on `wasm` the kernel
 * events time the kernels themselves (they run on this CPU in the call); on `webgpu` the EP adds the GPU timestamps of
 * each dispatch, as in onnxruntime-node (`kernelEventsOf`).
 */
export async function createWebRunner(o: RunnerOptions): Promise<Runner> {
  const ep = webEp(o.ep);
  const { ort, ortVersion, device } = await loadWebRuntime(ep, o.threads);
  const options = webSessionOptions(ep, o.graphOpt);
  let placement: Placement;
  let session: InferenceSession;
  try {
    placement = placementFromLog(await logCapture.placementLog(ort, o.model, options));
    session = await ort.InferenceSession.create(o.model, {
      ...options,
      enableProfiling: true,
      ...feedbackOutputOptions(ep, o.feedback),
    });
  } catch (err) {
    throw explainEpError(ep, err);
  }
  const feeds = stepFeeds(o.feeds, o, (v) => new ort.Tensor('int64', BigInt64Array.of(v), []));
  let events: KernelEvent[] | undefined;
  let ran = false;
  // ORT also ends a profile when the session is released, which would print it: it is always taken here first
  const endProfileOnce = (): KernelEvent[] => {
    events ??= kernelEventsOf(endPrintedProfile(session));
    return events;
  };
  return {
    runtime: 'web',
    ep,
    ortVersion,
    device,
    async run(): Promise<Record<string, Tensor>> {
      const out = (await session.run(feeds.next(), o.fetches)) as Record<string, Tensor>;
      ran = true;
      feeds.fedBack(out);
      return out;
    },
    placement: () => {
      endProfileOnce();
      return placement;
    },
    kernelEvents: (): KernelEvent[] => {
      if (!ran) throw new Error('the profile needs one run first');
      return endProfileOnce();
    },
    async release(): Promise<void> {
      try {
        endProfileOnce();
      } finally {
        feeds.release();
        await session.release();
      }
    },
  };
}
