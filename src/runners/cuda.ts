import { execFileSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
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
    // Dirent types do not follow links, so a linked folder (or a loop of them) is not walked into
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (names.includes(entry.name) && !found.has(entry.name)) found.set(entry.name, p);
    }
  };
  walk(dir);
  return found;
}

/** What `setup cuda --from` names: a folder, an npm tarball, or a package on the npm registry. */
export type CudaSourceKind = 'folder' | 'tarball' | 'npm';

const TARBALL = /\.(tgz|tar\.gz)$/;
/** An npm package name, scoped or not, with an optional version, range or tag after `@`. */
const NPM_SPEC = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(@[^\s/]+)?$/i;

/** A slash that is not a scope's, a leading `.`, `/` or `~`, or a tarball's name: meant as a path, never a package. */
function looksLikePath(source: string): boolean {
  const unscoped = source.startsWith('@') ? source.slice(source.indexOf('/') + 1) : source;
  return /^[./~]/.test(source) || unscoped.includes('/') || source.includes('\\') || TARBALL.test(source);
}

/**
 * The kind of a CUDA EP source, checked before anything is fetched: `npm pack` tries a missing folder as a GitHub
 * repository and fails without saying why, so a path that does not exist is refused here. Throws an error whose
 * message starts with `source` (or, for an empty one, says it needs a value).
 */
export function cudaSourceKind(source: string): CudaSourceKind {
  if (!source) throw new Error('needs a value: a folder, an npm tarball (.tgz) or an npm package spec');
  if (existsSync(source)) {
    if (statSync(source).isDirectory()) return 'folder';
    if (TARBALL.test(source)) return 'tarball';
    throw new Error(`${source} is a file but not an npm tarball (.tgz or .tar.gz)`);
  }
  if (looksLikePath(source)) throw new Error(`${source}: no such file or folder`);
  if (!NPM_SPEC.test(source))
    throw new Error(`${source} is neither a folder, an npm tarball (.tgz) nor an npm package spec (name or name@version)`);
  return 'npm';
}

/** Fetches an npm package's tarball into `dest` and returns its path; a failure says what npm said. */
function npmPack(spec: string, dest: string): string {
  try {
    const out = execFileSync('npm', ['pack', spec, '--loglevel', 'error', '--pack-destination', dest], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return join(dest, out.trim().split('\n').pop()!);
  } catch (err) {
    throw new Error(`npm pack ${spec} failed: ${npmErrors(err) || (err as Error).message}`);
  }
}

/** The first `npm error` lines of a failed npm command's stderr, joined into one. */
function npmErrors(err: unknown): string {
  return String((err as { stderr?: unknown }).stderr ?? '')
    .split('\n')
    .map((l) => /^npm (?:error|ERR!) (.+)/.exec(l.trim())?.[1]?.trim())
    .filter((l): l is string => !!l)
    .slice(0, 2)
    .join('; ');
}

/** Extracts the provider libraries of an npm tarball into `dir`; a tarball with none of them extracts nothing. */
function extractProviders(tgz: string, dir: string): void {
  try {
    execFileSync('tar', ['-xzf', tgz, '-C', dir, '--wildcards', '*libonnxruntime_providers_*.so'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    // tar fails when no member matches: the check for the provider files then names what is missing
    if (!/Not found in archive/.test(stderr)) throw new Error(`cannot extract ${tgz}: ${stderr.split('\n')[0] || (err as Error).message}`);
  }
}

/** ELF `e_machine` of the CPUs onnxruntime-node ships for. */
const ELF_MACHINE: Partial<Record<string, number>> = { x64: 62, arm64: 183 };

/**
 * Why `path` (called `name` in the message) is not a shared library this process could load, or undefined: the ELF
 * magic, type `ET_DYN` and this CPU's machine, read from the header. Anything else (a text file that happens to hold a
 * version string) would be installed and fail only when the CUDA EP loads it.
 */
export function sharedObjectProblem(path: string, name = path): string | undefined {
  const head = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n < head.length || head.readUInt32BE(0) !== 0x7f454c46) return `${name} is not an ELF file`;
  const little = head[5] === 1;
  const type = little ? head.readUInt16LE(16) : head.readUInt16BE(16);
  if (type !== 3) return `${name} is an ELF file but not a shared library (e_type ${type}, ET_DYN is 3)`;
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
  const want = ELF_MACHINE[process.arch];
  if (want !== undefined && machine !== want) return `${name} is built for another CPU (ELF machine ${machine}), not ${process.arch}`;
  return undefined;
}

function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies each `[name, from]` into `into` as `name`, all or none: every file goes to a temporary name in `into` first,
 * then each is renamed over its target (a rename within a folder is atomic). On any failure the temporaries and the
 * files already renamed in are removed and what was there before is put back, so a provider is never half-installed.
 */
export function installFiles(files: [name: string, from: string][], into: string): void {
  for (const [name] of files) {
    const target = join(into, name);
    if (present(target) && lstatSync(target).isDirectory()) throw new Error(`${target} is a folder: remove it first`);
  }
  const temp = (name: string, kind: string): string => join(into, `.${name}.${process.pid}.${kind}`);
  const staged: string[] = [];
  const placed: string[] = [];
  const saved: [backup: string, target: string][] = [];
  try {
    for (const [name, from] of files) {
      staged.push(temp(name, 'tmp'));
      copyFileSync(from, temp(name, 'tmp'));
    }
    for (const [name] of files) {
      const target = join(into, name);
      if (present(target)) {
        renameSync(target, temp(name, 'old'));
        saved.push([temp(name, 'old'), target]);
      }
      renameSync(temp(name, 'tmp'), target);
      placed.push(target);
    }
  } catch (err) {
    for (const p of [...staged, ...placed]) rmSync(p, { force: true });
    for (const [backup, target] of saved) renameSync(backup, target);
    throw err;
  }
  for (const [backup] of saved) rmSync(backup, { force: true });
}

/**
 * Installs the CUDA EP provider libraries next to onnxruntime-node's native library, from a folder, an npm tarball
 * (.tgz), or an npm package spec (fetched with `npm pack`, which needs only the npm registry). Refuses a provider
 * built from another ONNX Runtime version than onnxruntime-node's (the two must match exactly), and files that are
 * not shared libraries; installs both files or neither.
 */
export function setupCuda(
  source = DEFAULT_CUDA_EP_SOURCE,
  into = ortNodeBinDir(),
  log: (line: string) => void = () => {},
): CudaSetupResult {
  const kind = cudaSourceKind(source);
  if (!existsSync(into) || !statSync(into).isDirectory()) throw new Error(`${into}: no such folder to install into`);
  const work = mkdtempSync(join(tmpdir(), 'alexnet-onnx-cuda-'));
  try {
    let dir = source;
    if (kind !== 'folder') {
      let tgz = source;
      if (kind === 'npm') {
        log(`fetching ${source} from the npm registry (npm pack) ...`);
        tgz = npmPack(source, work);
      }
      log(`extracting ${tgz} ...`);
      extractProviders(tgz, work);
      dir = work;
    }
    const found = findFiles(dir, CUDA_EP_FILES);
    const missing = CUDA_EP_FILES.filter((f) => !found.has(f));
    if (missing.length) throw new Error(`${source} does not contain ${missing.join(', ')}`);
    for (const f of CUDA_EP_FILES) {
      const problem = sharedObjectProblem(found.get(f)!, relative(dir, found.get(f)!));
      if (problem) throw new Error(`${source}: ${problem}`);
    }
    const epVersion = providerVersion(found.get(CUDA_EP_FILES[0]!)!);
    const ortVersion = ortNodeVersion();
    if (epVersion !== ortVersion) {
      throw new Error(
        `${source} holds a CUDA EP built from ONNX Runtime ${epVersion ?? '(unknown version)'}, but onnxruntime-node is ${ortVersion}: they must match`,
      );
    }
    installFiles(
      CUDA_EP_FILES.map((f) => [f, found.get(f)!]),
      into,
    );
    return { source, into, files: CUDA_EP_FILES, epVersion, ortVersion };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
