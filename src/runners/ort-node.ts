import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from 'onnxruntime-common';
import ort from 'onnxruntime-node';
import type { NodeEp } from '../common/eps.js';
import { checkCudaSetup, describeTf32, setCudaTf32 } from './cuda.js';
import { cpuDescription, nvidiaGpu } from './devices.js';
import { explainEpError } from './errors.js';
import { feedbackOutputOptions, stepFeeds } from './feedback.js';
import { ortNodeVersion } from './packages.js';
import { placementOf } from './placement.js';
import { takeNewestProfile } from './profile-file.js';
import type { KernelEvent, Runner, RunnerOptions } from './types.js';

/** The device line of an onnxruntime-node EP: the CPU model, or the GPU (with CUDA's TF32 setting, or Dawn's driver). */
export function describeDevice(ep: NodeEp, tf32: boolean): string {
  if (ep === 'cpu') return cpuDescription();
  const gpu = nvidiaGpu();
  if (ep === 'cuda') return `${gpu ?? 'unknown NVIDIA GPU'}, ${describeTf32(tf32)}`;
  const icd = process.env.VK_DRIVER_FILES ? ` via ${process.env.VK_DRIVER_FILES}` : '';
  return `${gpu ?? 'WebGPU adapter'} (Dawn over Vulkan${icd})`;
}

function executionProviders(ep: NodeEp): ort.InferenceSession.SessionOptions['executionProviders'] {
  switch (ep) {
    case 'cpu':
      return ['cpu'];
    case 'cuda':
      return [{ name: 'cuda' }];
    case 'webgpu':
      return ['webgpu'];
  }
}

let sessionCounter = 0;

/**
 * Session options that cut the CPU EP's peak memory without slowing its steps (docs/benchmarks.md, "Peak memory"). ORT's
 * memory pattern plans one block for all of a run's tensors after the first run, but the arena keeps the first
 * run's chunks as well, so the second run holds both: off, later runs reuse the first run's chunks. The GPU EPs keep
 * ORT's defaults: not measured there.
 */
function memoryOptions(ep: NodeEp): ort.InferenceSession.SessionOptions {
  return ep === 'cpu' ? { enableMemPattern: false } : {};
}

/**
 * Readies onnxruntime-node for sessions on `ep`: the CUDA EP's libraries and its TF32 setting (refused on other EPs),
 * and no telemetry log file. Every onnxruntime-node session (bench's runner, `train`'s sessions) goes through it.
 */
export function prepareNodeEp(ep: NodeEp, tf32: boolean): void {
  if (ep === 'cuda') {
    checkCudaSetup();
    setCudaTf32(tf32);
  } else if (tf32) throw new Error(`TF32 is a CUDA EP setting, not one of the ${ep} EP`);
  // onnxruntime-node's Linux build starts Microsoft's telemetry SDK with its first session, which leaves a
  // `mat-debug-<pid>.log` in the temporary folder on every run; the variable, read at that moment, turns it off.
  // A value the user set is kept.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
}

/** The session options every onnxruntime-node session shares: the EP, threads (0: ORT's default), optimization level and memory options. */
export function nodeSessionOptions(ep: NodeEp, threads: number, graphOpt: RunnerOptions['graphOpt']): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(ep),
    ...(threads ? { intraOpNumThreads: threads } : {}),
    graphOptimizationLevel: graphOpt,
    ...memoryOptions(ep),
    logSeverityLevel: 3,
  };
}

/** Opens an onnxruntime-node session on the chosen EP, profiling every run until the placement or kernel events are read. */
export async function createNodeRunner(o: RunnerOptions): Promise<Runner> {
  if (o.ep === 'wasm') throw new Error("the 'wasm' EP belongs to onnxruntime-web (--runtime web or browser)");
  const ep = o.ep;
  prepareNodeEp(ep, o.tf32);
  mkdirSync(o.profileDir, { recursive: true });
  const profilePrefix = join(o.profileDir, `ort-${process.pid}-${sessionCounter++}`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(o.model, {
      ...nodeSessionOptions(ep, o.threads, o.graphOpt),
      enableProfiling: true,
      profileFilePrefix: profilePrefix,
      ...feedbackOutputOptions(ep, o.feedback),
    });
  } catch (err) {
    throw explainEpError(ep, err);
  }
  const feeds = stepFeeds(o.feeds, o, (v) => new ort.Tensor('int64', BigInt64Array.of(v), []));
  let events: KernelEvent[] | undefined;
  let ran = false;
  const readProfileOnce = (): KernelEvent[] => {
    if (!events) {
      if (!ran) throw new Error('the profile needs one run first');
      session.endProfiling();
      events = takeNewestProfile(profilePrefix);
    }
    return events;
  };
  return {
    runtime: 'node',
    ep,
    ortVersion: ortNodeVersion(),
    device: describeDevice(ep, o.tf32),
    async run(): Promise<Record<string, Tensor>> {
      const out = (await session.run(feeds.next(), o.fetches)) as Record<string, Tensor>;
      ran = true;
      feeds.fedBack(out);
      return out;
    },
    placement: () => placementOf(readProfileOnce()),
    kernelEvents: readProfileOnce,
    async release(): Promise<void> {
      if (!events && ran) readProfileOnce();
      feeds.release();
      await session.release();
    },
  };
}
