import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import type { Tensor } from 'onnxruntime-common';
import { placementOf, type KernelEvent } from './placement.js';
import { takeNewestProfile } from './profile-file.js';
import type { NodeEp, Runner, RunnerOptions } from './types.js';

const require = createRequire(import.meta.url);

/** A problem with the set-up of an execution provider (missing library, GPU, driver); the message says how to fix it. */
export class EpUnavailableError extends Error {
  override name = 'EpUnavailableError';
}

/** The provider libraries onnxruntime-node loads for `executionProviders: ['cuda']`. */
export const CUDA_EP_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

/** Why a WebGPU EP found no adapter, and what to install; `dawn` names the Dawn in use. */
export function noWebGpuAdapter(dawn: string): EpUnavailableError {
  return new EpUnavailableError(
    `no WebGPU adapter: ${dawn} found no usable Vulkan driver. Install the GPU vendor's Vulkan driver (NVIDIA: the driver's Vulkan ICD), ` +
      'or for a CPU-only test Mesa >= 24 lavapipe with VK_DRIVER_FILES pointing at its ICD JSON (scripts/setup-lavapipe.sh)',
  );
}

/** This machine's CPU model and core count, for device lines. */
export function cpuDescription(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`;
}

/** onnxruntime-node's version, from its package.json. */
export function ortNodeVersion(): string {
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** Folder holding onnxruntime-node's native library, where it also looks for EP provider libraries. */
export function ortNodeBinDir(): string {
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** GPU name and driver from nvidia-smi, or undefined when there is no NVIDIA driver. */
export function nvidiaGpu(): string | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
    const [name, driver] = out.trim().split('\n')[0]!.split(',').map((s) => s.trim());
    return `${name} (driver ${driver})`;
  } catch {
    return undefined;
  }
}

/** Checks what the CUDA EP needs before ONNX Runtime tries (and fails with a long native message). */
export function checkCudaSetup(): void {
  const dir = ortNodeBinDir();
  const missing = CUDA_EP_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new EpUnavailableError(`the CUDA execution provider is not installed (${missing.join(', ')} missing in ${dir}): run 'alexnet-onnx setup cuda'`);
  }
  if (!nvidiaGpu()) throw new EpUnavailableError('no NVIDIA GPU or driver found (nvidia-smi failed): the CUDA EP needs an NVIDIA GPU with its driver');
}

/** Rewrites ONNX Runtime's session-creation errors for an EP into one line that says what is missing. */
export function explainEpError(ep: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (ep === 'webgpu' && /adapter/i.test(msg)) return noWebGpuAdapter('Dawn');
  if (ep === 'cuda') {
    const lib = /(lib(?:cudnn|cublas|cublasLt|cudart|cufft|curand|nvrtc)[\w.]*\.so[\w.]*)/.exec(msg)?.[1];
    if (lib) {
      const what = lib.startsWith('libcudnn') ? 'cuDNN 9' : 'the CUDA 13 runtime';
      return new EpUnavailableError(`the CUDA EP cannot load ${lib}: install ${what} and put it on the library path (LD_LIBRARY_PATH)`);
    }
    if (/providers_(cuda|shared)/.test(msg)) return new EpUnavailableError(`the CUDA execution provider failed to load: run 'alexnet-onnx setup cuda' (${firstLine(msg)})`);
    if (/no CUDA-capable device|CUDA driver version|cudaGetDeviceCount/i.test(msg)) return new EpUnavailableError(`no usable CUDA device: ${firstLine(msg)}`);
  }
  return err instanceof Error ? err : new Error(msg);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}

/** The CUDA EP's math mode, for device lines. */
export function describeTf32(tf32: boolean): string {
  return tf32 ? 'TF32 allowed (CUDA EP default)' : 'TF32 off (NVIDIA_TF32_OVERRIDE=0)';
}

let processTf32: boolean | undefined;

/**
 * Sets TF32 for the CUDA EP before its first session. ONNX Runtime's CUDA EP allows TF32 by default (provider option
 * `use_tf32`, default 1: onnxruntime pull requests 19357 and 19426), and onnxruntime-node 1.29.0 passes it no option
 * but the device id, so strict fp32 needs NVIDIA's `NVIDIA_TF32_OVERRIDE=0`, which turns TF32 off in cuBLAS and
 * cuDNN. They read it once per process, so the first CUDA session fixes the choice and a different one later in
 * the same process is refused rather than silently ignored.
 */
export function setCudaTf32(tf32: boolean, env: NodeJS.ProcessEnv = process.env): void {
  if (processTf32 !== undefined && processTf32 !== tf32) {
    throw new Error(`this process already runs the CUDA EP with ${describeTf32(processTf32)}: cuBLAS and cuDNN read the TF32 setting once per process, so time ${describeTf32(tf32)} in another process`);
  }
  if (tf32 && env.NVIDIA_TF32_OVERRIDE === '0') {
    throw new EpUnavailableError('--tf32 asks for TF32, but NVIDIA_TF32_OVERRIDE=0 in the environment turns it off in cuBLAS and cuDNN: unset it');
  }
  if (!tf32) env.NVIDIA_TF32_OVERRIDE = '0';
  processTf32 = tf32;
}

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

/** Opens an onnxruntime-node session on the chosen EP, profiling every run until the placement or kernel events are read. */
export async function createNodeRunner(o: RunnerOptions): Promise<Runner> {
  if (o.ep === 'wasm') throw new Error("the 'wasm' EP belongs to onnxruntime-web (--runtime web or browser)");
  const ep = o.ep;
  if (ep === 'cuda') {
    checkCudaSetup();
    setCudaTf32(o.tf32);
  } else if (o.tf32) throw new Error(`TF32 is a CUDA EP setting, not one of the ${ep} EP`);
  mkdirSync(o.profileDir, { recursive: true });
  const profilePrefix = join(o.profileDir, `ort-${process.pid}-${sessionCounter++}`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(o.model, {
      executionProviders: executionProviders(ep),
      ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
      graphOptimizationLevel: o.graphOpt,
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
