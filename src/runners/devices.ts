import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** This machine's CPU model and core count, for device lines. */
export function cpuDescription(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`;
}

let gpu: { name: string | undefined } | undefined;

/**
 * GPU name and driver from nvidia-smi, or undefined when there is no NVIDIA driver. Asked once per process: the GPU
 * does not change, and every session's device line, the CUDA set-up check and the report ask again.
 */
export function nvidiaGpu(): string | undefined {
  gpu ??= { name: queryNvidiaSmi() };
  return gpu.name;
}

function queryNvidiaSmi(): string | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
    const [name, driver] = out
      .trim()
      .split('\n')[0]!
      .split(',')
      .map((s) => s.trim());
    return `${name} (driver ${driver})`;
  } catch {
    return undefined;
  }
}
