import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CUDA_EP_FILES, ortNodeBinDir, ortNodeVersion } from './ort-node.js';

/** The CUDA 13 build of the ONNX Runtime 1.29.0 CUDA EP on the npm registry. */
export const DEFAULT_CUDA_EP_SOURCE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';

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
export function setupCuda(source = DEFAULT_CUDA_EP_SOURCE, into = ortNodeBinDir(), log: (line: string) => void = () => {}): CudaSetupResult {
  const work = mkdtempSync(join(tmpdir(), 'alexnet-onnx-cuda-'));
  try {
    let dir: string;
    if (existsSync(source) && statSync(source).isDirectory()) dir = source;
    else {
      let tgz = source;
      if (!existsSync(source)) {
        log(`fetching ${source} from the npm registry (npm pack) ...`);
        const name = execFileSync('npm', ['pack', source, '--silent', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop()!;
        tgz = join(work, name);
      }
      log(`extracting ${tgz} ...`);
      execFileSync('tar', ['-xzf', tgz, '-C', work, '--wildcards', '*libonnxruntime_providers_*.so'], { stdio: ['ignore', 'ignore', 'pipe'] });
      dir = work;
    }
    const found = findFiles(dir, CUDA_EP_FILES);
    const missing = CUDA_EP_FILES.filter((f) => !found.has(f));
    if (missing.length) throw new Error(`${source} does not contain ${missing.join(', ')}`);
    const epVersion = providerVersion(found.get(CUDA_EP_FILES[0]!)!);
    const ortVersion = ortNodeVersion();
    if (epVersion !== ortVersion) {
      throw new Error(`${source} holds a CUDA EP built from ONNX Runtime ${epVersion ?? '(unknown version)'}, but onnxruntime-node is ${ortVersion}: they must match`);
    }
    for (const f of CUDA_EP_FILES) copyFileSync(found.get(f)!, join(into, f));
    return { source, into, files: CUDA_EP_FILES, epVersion, ortVersion };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
