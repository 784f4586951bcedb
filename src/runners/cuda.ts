import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nvidiaGpu } from './devices.js';
import { EpUnavailableError } from './errors.js';
import { ortNodeBinDir, ortNodeVersion } from './packages.js';

/** The CUDA 13 build of the ONNX Runtime 1.29.0 CUDA EP on the npm registry. */
export const DEFAULT_CUDA_EP_SOURCE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';

/** The provider libraries onnxruntime-node loads for `executionProviders: ['cuda']`. */
export const CUDA_EP_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];

/** Checks what the CUDA EP needs before ONNX Runtime tries (and fails with a long native message). */
export function checkCudaSetup(): void {
  const dir = ortNodeBinDir();
  const missing = CUDA_EP_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new EpUnavailableError(
      `the CUDA execution provider is not installed (${missing.join(', ')} missing in ${dir}): run 'alexnet-onnx setup cuda'`,
    );
  }
  if (!nvidiaGpu())
    throw new EpUnavailableError('no NVIDIA GPU or driver found (nvidia-smi failed): the CUDA EP needs an NVIDIA GPU with its driver');
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
export function setCudaTf32(tf32: boolean, env: Record<string, string | undefined> = process.env): void {
  if (processTf32 !== undefined && processTf32 !== tf32) {
    throw new Error(
      `this process already runs the CUDA EP with ${describeTf32(processTf32)}: cuBLAS and cuDNN read the TF32 setting once per process, so time ${describeTf32(tf32)} in another process`,
    );
  }
  if (tf32 && env.NVIDIA_TF32_OVERRIDE === '0') {
    throw new EpUnavailableError(
      '--tf32 asks for TF32, but NVIDIA_TF32_OVERRIDE=0 in the environment turns it off in cuBLAS and cuDNN: unset it',
    );
  }
  if (!tf32) env.NVIDIA_TF32_OVERRIDE = '0';
  processTf32 = tf32;
}

/** What `setupCuda` installed, from where, and the matching versions. */
export interface CudaSetupResult {
  source: string;
  into: string;
  files: string[];
  epVersion: string;
  ortVersion: string;
}

/** The ONNX Runtime version a provider library was built from: the first `1.NN.N` string in it. */
export function providerVersion(path: string): string | undefined {
  return /1\.[1-9]\d\.\d+/.exec(readFileSync(path).toString('latin1'))?.[0];
}

function findFiles(dir: string, names: string[]): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (names.includes(entry) && !found.has(entry)) found.set(entry, p);
    }
  };
  walk(dir);
  return found;
}

/**
 * Installs the CUDA EP provider libraries next to onnxruntime-node's native library, from a folder, an npm tarball
 * (.tgz), or an npm package spec (fetched with `npm pack`, which needs only the npm registry). Refuses a provider
 * built from another ONNX Runtime version than onnxruntime-node's: the two must match exactly.
 */
export function setupCuda(
  source = DEFAULT_CUDA_EP_SOURCE,
  into = ortNodeBinDir(),
  log: (line: string) => void = () => {},
): CudaSetupResult {
  const work = mkdtempSync(join(tmpdir(), 'alexnet-onnx-cuda-'));
  try {
    let dir: string;
    if (existsSync(source) && statSync(source).isDirectory()) dir = source;
    else {
      let tgz = source;
      if (!existsSync(source)) {
        log(`fetching ${source} from the npm registry (npm pack) ...`);
        const name = execFileSync('npm', ['pack', source, '--silent', '--pack-destination', work], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        })
          .trim()
          .split('\n')
          .pop()!;
        tgz = join(work, name);
      }
      log(`extracting ${tgz} ...`);
      execFileSync('tar', ['-xzf', tgz, '-C', work, '--wildcards', '*libonnxruntime_providers_*.so'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      dir = work;
    }
    const found = findFiles(dir, CUDA_EP_FILES);
    const missing = CUDA_EP_FILES.filter((f) => !found.has(f));
    if (missing.length) throw new Error(`${source} does not contain ${missing.join(', ')}`);
    const epVersion = providerVersion(found.get(CUDA_EP_FILES[0]!)!);
    const ortVersion = ortNodeVersion();
    if (epVersion !== ortVersion) {
      throw new Error(
        `${source} holds a CUDA EP built from ONNX Runtime ${epVersion ?? '(unknown version)'}, but onnxruntime-node is ${ortVersion}: they must match`,
      );
    }
    for (const f of CUDA_EP_FILES) copyFileSync(found.get(f)!, join(into, f));
    return { source, into, files: CUDA_EP_FILES, epVersion, ortVersion };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
