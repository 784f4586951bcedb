import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { PYTHON } from './python.js';

/** Where the browser tests expect Debian's Chromium (the CLI's default --browser). */
const CHROMIUM = '/usr/bin/chromium';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a Vulkan ICD JSON with a WebGPU-capable driver (lavapipe), or '' when none could be set up. */
    vulkanIcd: string;
    /** Why there is none, for skip messages. */
    vulkanIcdProblem: string;
  }
}

function ensurePythonReferences(): void {
  const probe = (): boolean => {
    try {
      execFileSync(PYTHON, ['-c', 'import onnx, torch, numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (probe()) return;
  const install = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-onnx python3-torch python3-numpy';
  if (process.getuid?.() !== 0) throw new Error(`tests need Debian's python3-onnx and python3-torch: run as root: ${install}`);
  console.log(`installing test references: ${install}`);
  execFileSync('bash', ['-c', install], { stdio: 'inherit' });
  if (!probe()) throw new Error(`python3-onnx/python3-torch still not importable by ${PYTHON} after: ${install}`);
}

/** Debian's Chromium for the browser tests (we never download a browser), installed here when missing. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const install = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium';
  if (process.getuid?.() !== 0) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: run as root: ${install}`);
  console.log(`installing the test browser: ${install}`);
  execFileSync('bash', ['-c', install], { stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} still missing after: ${install}`);
}

/** A WebGPU adapter for the WebGPU tests: the machine's own (VK_DRIVER_FILES), or lavapipe set up by our script. */
function vulkanIcd(): { icd: string; problem: string } {
  if (process.env.VK_DRIVER_FILES) return { icd: process.env.VK_DRIVER_FILES, problem: '' };
  const script = fileURLToPath(new URL('../../scripts/setup-lavapipe.sh', import.meta.url));
  try {
    const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    return { icd: out.trim().split('\n').pop()!, problem: '' };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    return { icd: '', problem: `no Vulkan driver for WebGPU: scripts/setup-lavapipe.sh failed: ${stderr.trim().split('\n').pop()}` };
  }
}

/**
 * The tests use Debian's python3-onnx and python3-torch (under /usr/bin/python3, not a pyenv python) as independent
 * references and Debian's chromium for the browser tests, installed here when missing (as root on Debian), and Mesa's
 * lavapipe for WebGPU on a CPU-only machine.
 */
export default function setup(project: TestProject): () => void {
  ensurePythonReferences();
  ensureChromium();
  const { icd, problem } = vulkanIcd();
  project.provide('vulkanIcd', icd);
  project.provide('vulkanIcdProblem', problem);
  // bench's autotune cache: a fresh folder for this test run (the workers and the CLIs they spawn inherit it), so no
  // test reads what an earlier run on this machine, or the user's own bench runs, cached
  const cache = mkdtempSync(join(tmpdir(), 'alexnet-onnx-test-cache-'));
  process.env.XDG_CACHE_HOME = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}
