import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { KernelEvent } from './types.js';

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

/**
 * Reads the kernel events of an ONNX Runtime profile file (Chrome trace JSON), one per node and run. A node event's
 * duration is host time: for a GPU EP only the launch, since kernels run asynchronously (docs/benchmarks.md,
 * "Per-layer times: the two `--profile` methods"). The WebGPU EP also writes the GPU timestamps of each dispatch
 * (category `Api`, named `<node>&<op>&<program>`): where they exist they replace the host time of that EP's nodes,
 * summed per node and run (zero for nodes that dispatch nothing, e.g. Reshape).
 */
export function readProfile(path: string): KernelEvent[] {
  const events = JSON.parse(readFileSync(path, 'utf8')) as TraceEvent[];
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => e.ts ?? 0)
    .sort((a, b) => a - b);
  const runOf = (ts: number): number => {
    let r = 0;
    while (r + 1 < runs.length && runs[r + 1]! <= ts) r++;
    return r;
  };
  const gpu = new Map<string, number>();
  for (const e of events) {
    if (e.cat !== 'Api' || !e.name?.includes('&')) continue;
    const key = `${runOf(e.ts ?? 0)}/${e.name.split('&')[0]}`;
    gpu.set(key, (gpu.get(key) ?? 0) + (e.dur ?? 0));
  }
  const gpuTimed = gpu.size > 0;
  return events
    .filter((e) => e.cat === 'Node' && e.args?.provider && e.name?.endsWith('_kernel_time'))
    .map((e) => {
      const node = e.name!.slice(0, -'_kernel_time'.length);
      const run = runOf(e.ts ?? 0);
      const onGpu = gpuTimed && e.args!.provider === 'WebGpuExecutionProvider';
      return {
        node,
        op: e.args!.op_name ?? '',
        provider: e.args!.provider!,
        dur: onGpu ? (gpu.get(`${run}/${node}`) ?? 0) : (e.dur ?? 0),
        run,
        clock: onGpu ? 'gpu' : 'host',
      } as KernelEvent;
    });
}

/** The newest profile file ONNX Runtime wrote for `prefix` (its `profileFilePrefix`), removed after reading. */
export function takeNewestProfile(prefix: string): KernelEvent[] {
  const dir = dirname(prefix);
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(basename(prefix)) && f.endsWith('.json'))
    .map((f) => join(dir, f));
  if (!files.length) throw new Error(`ONNX Runtime wrote no profile ${prefix}*.json`);
  files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const events = readProfile(files[0]!);
  for (const f of files) rmSync(f, { force: true });
  return events;
}
