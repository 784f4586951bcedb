import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from 'onnxruntime-common';
import ort from 'onnxruntime-node';
import type { NodeEp } from '../common/eps.js';
import { checkCudaSetup, describeTf32, setCudaTf32 } from './cuda.js';
import { cpuDescription, nvidiaGpu } from './devices.js';
import { explainEpError } from './errors.js';
import { ortNodeVersion } from './packages.js';
import { placementOf } from './placement.js';
import { takeNewestProfile } from './profile-file.js';
import type { KernelEvent, Runner, RunnerOptions } from './types.js';

function describeDevice(ep: string, tf32: boolean): string {
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

/** Opens an onnxruntime-node session on the chosen EP, profiling every run until the placement or kernel events are read. */
export async function createNodeRunner(o: RunnerOptions): Promise<Runner> {
  if (o.ep === 'wasm') throw new Error("the 'wasm' EP belongs to onnxruntime-web (--runtime web or browser)");
  const ep = o.ep;
  if (ep === 'cuda') {
    checkCudaSetup();
    setCudaTf32(o.tf32);
  } else if (o.tf32) throw new Error(`TF32 is a CUDA EP setting, not one of the ${ep} EP`);
  // onnxruntime-node's Linux build starts Microsoft's telemetry SDK with its first session, which leaves a
  // `mat-debug-<pid>.log` in the temporary folder on every run; the variable, read at that moment, turns it off.
  // A value the user set is kept.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  mkdirSync(o.profileDir, { recursive: true });
  const profilePrefix = join(o.profileDir, `ort-${process.pid}-${sessionCounter++}`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(o.model, {
      executionProviders: executionProviders(ep),
      ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
      graphOptimizationLevel: o.graphOpt,
      ...memoryOptions(ep),
      enableProfiling: true,
      profileFilePrefix: profilePrefix,
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw explainEpError(ep, err);
  }
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
      const out = await session.run(o.feeds, o.fetches);
      ran = true;
      return out as Record<string, Tensor>;
    },
    placement: () => placementOf(readProfileOnce()),
    kernelEvents: readProfileOnce,
    async release(): Promise<void> {
      if (!events && ran) readProfileOnce();
      await session.release();
    },
  };
}
