import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CUDA_EP_FILES, checkCudaSetup, cudaSourceKind, setupCuda, sharedObjectProblem } from '../../src/runners/cuda.js';
import { EpUnavailableError } from '../../src/runners/errors.js';
import { ortNodeVersion } from '../../src/runners/packages.js';
import { tempDir } from '../helpers/cli.js';

/** Makes the Nth copy or rename (from 0) of the code under test fail, as a full disk would; -1: none. */
const failing = vi.hoisted(() => ({ copy: -1, rename: -1, copies: 0, renames: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fail = (what: string) => Object.assign(new Error(`ENOSPC: no space left on device, ${what}`), { code: 'ENOSPC' });
  return {
    ...fs,
    copyFileSync: (...a: Parameters<typeof fs.copyFileSync>) => {
      if (failing.copies++ === failing.copy) throw fail('copyfile');
      fs.copyFileSync(...a);
    },
    renameSync: (...a: Parameters<typeof fs.renameSync>) => {
      if (failing.renames++ === failing.rename) throw fail('rename');
      fs.renameSync(...a);
    },
  };
});

describe('CUDA EP set-up', () => {
  it('says how to install the CUDA EP when its libraries are missing', () => {
    expect(() => checkCudaSetup()).toThrow(EpUnavailableError);
    expect(() => checkCudaSetup()).toThrow(/the CUDA execution provider is not installed .*run 'alexnet-onnx setup cuda'/);
  });

  it('turns TF32 off for strict fp32 with NVIDIA_TF32_OVERRIDE=0, once per process', async () => {
    vi.resetModules();
    const { setCudaTf32 } = await import('../../src/runners/cuda.js');
    const env: NodeJS.ProcessEnv = {};
    setCudaTf32(false, env);
    expect(env.NVIDIA_TF32_OVERRIDE).toBe('0');
    setCudaTf32(false, env);
    expect(() => setCudaTf32(true, {})).toThrow(/already runs the CUDA EP with TF32 off .* in another process/);
  });

  it('leaves TF32 to the CUDA EP with --tf32, and refuses it when the environment turns TF32 off', async () => {
    vi.resetModules();
    const { setCudaTf32 } = await import('../../src/runners/cuda.js');
    expect(() => setCudaTf32(true, { NVIDIA_TF32_OVERRIDE: '0' })).toThrow(
      /NVIDIA_TF32_OVERRIDE=0 in the environment turns it off.*unset it/,
    );
    const env: NodeJS.ProcessEnv = {};
    setCudaTf32(true, env);
    expect(env).toEqual({});
  });
});

/** A 64-bit little-endian ELF header of type `type` (3: ET_DYN) for this CPU, then `text`. */
function fakeElf(text: string, type = 3): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0x7f454c46, 0);
  h[4] = 2;
  h[5] = 1;
  h[6] = 1;
  h.writeUInt16LE(type, 16);
  h.writeUInt16LE(process.arch === 'arm64' ? 183 : 62, 18);
  return Buffer.concat([h, Buffer.from(text)]);
}

/** A source folder laid out as the npm package (`package/runtimes/...`) holding both provider files. */
function providerFolder(contents: (name: string) => Buffer | string): string {
  const dir = tempDir('alexnet-onnx-cuda-src-');
  const lib = join(dir, 'package', 'runtimes', 'linux-x64', 'native');
  mkdirSync(lib, { recursive: true });
  for (const f of CUDA_EP_FILES) writeFileSync(join(lib, f), contents(f));
  return dir;
}

function tarball(dir: string): string {
  const tgz = join(tempDir('alexnet-onnx-cuda-tgz-'), 'provider.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', dir, 'package']);
  return tgz;
}

/** A target folder holding an earlier install of both files. */
function installedBefore(): string {
  const into = tempDir('alexnet-onnx-cuda-into-');
  for (const f of CUDA_EP_FILES) writeFileSync(join(into, f), `old ${f}`);
  return into;
}

const goodProvider = (f: string) => fakeElf(`${f} ONNX Runtime ${ortNodeVersion()}`);

describe('setup cuda', () => {
  beforeEach(() => {
    Object.assign(failing, { copy: -1, rename: -1, copies: 0, renames: 0 });
  });

  it('takes a folder, a .tgz or an npm package spec, and refuses a path that does not exist before npm sees it', () => {
    const dir = providerFolder(goodProvider);
    expect(cudaSourceKind(dir)).toBe('folder');
    expect(cudaSourceKind(tarball(dir))).toBe('tarball');
    for (const spec of ['onnxruntime-node', 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9', '@scope/name@^1.2', 'a@latest'])
      expect(cudaSourceKind(spec), spec).toBe('npm');
    for (const path of ['./gone', '/no/such/dir', 'gone/', 'missing-dir/sub', '@scope/name/extra', 'gone.tgz', 'gone.tar.gz', '~/x'])
      expect(() => cudaSourceKind(path), path).toThrow(`${path}: no such file or folder`);
    const notTarball = join(dir, 'notes.txt');
    writeFileSync(notTarball, 'x');
    expect(() => cudaSourceKind(notTarball)).toThrow(/is a file but not an npm tarball/);
    expect(() => cudaSourceKind('not a spec!')).toThrow(/is neither a folder, an npm tarball \(\.tgz\) nor an npm package spec/);
    expect(() => cudaSourceKind('')).toThrow(/needs a value/);
    // setupCuda checks the same, before fetching anything
    expect(() => setupCuda('./gone', tempDir())).toThrow('./gone: no such file or folder');
  });

  it('installs both libraries from a folder or a tarball, leaving nothing else in the target folder', () => {
    const dir = providerFolder(goodProvider);
    for (const source of [dir, tarball(dir)]) {
      const into = installedBefore();
      const r = setupCuda(source, into);
      expect(r.epVersion).toBe(ortNodeVersion());
      expect(readdirSync(into).sort()).toEqual([...CUDA_EP_FILES].sort());
      for (const f of CUDA_EP_FILES) expect(readFileSync(join(into, f))).toEqual(goodProvider(f));
    }
  });

  it('refuses files that are not ELF shared objects, even with the right version string in them', () => {
    const text = providerFolder((f) => `${f} ONNX Runtime ${ortNodeVersion()}`);
    for (const source of [text, tarball(text)]) {
      const into = installedBefore();
      expect(() => setupCuda(source, into)).toThrow(/libonnxruntime_providers_\w+\.so is not an ELF file/);
      expect(readFileSync(join(into, CUDA_EP_FILES[0]!), 'utf8')).toBe(`old ${CUDA_EP_FILES[0]}`);
    }
    const executable = providerFolder((f) => fakeElf(`${f} ONNX Runtime ${ortNodeVersion()}`, 2));
    expect(() => setupCuda(executable, tempDir())).toThrow(/is an ELF file but not a shared library \(e_type 2, ET_DYN is 3\)/);
    const p = join(executable, 'short');
    writeFileSync(p, '\x7fELF');
    expect(sharedObjectProblem(p, 'short')).toBe('short is not an ELF file');
  });

  // renames: over an earlier install each file first moves the old one aside, so the second rename into place is the 4th
  it.each([
    ['the second copy', { copy: 1 }, { copy: 1 }],
    ['the second rename into place', { rename: 3 }, { rename: 1 }],
  ])('installs both files or neither: a failure at %s leaves the earlier install as it was', (_, fail, failIntoEmpty) => {
    const source = providerFolder(goodProvider);
    const into = installedBefore();
    Object.assign(failing, fail);
    expect(() => setupCuda(source, into)).toThrow(/ENOSPC/);
    expect(readdirSync(into).sort()).toEqual([...CUDA_EP_FILES].sort());
    for (const f of CUDA_EP_FILES) expect(readFileSync(join(into, f), 'utf8')).toBe(`old ${f}`);
    // and into an empty folder, nothing at all
    Object.assign(failing, { copy: -1, rename: -1, copies: 0, renames: 0, ...failIntoEmpty });
    const empty = tempDir('alexnet-onnx-cuda-into-');
    expect(() => setupCuda(source, empty)).toThrow(/ENOSPC/);
    expect(readdirSync(empty)).toEqual([]);
  });
});
