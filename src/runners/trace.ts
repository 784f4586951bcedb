// No Node imports here: a profile is parsed the same wherever ONNX Runtime wrote it (a file, or stdout in Node).
import type { KernelEvent } from './types.js';

/** One event of ONNX Runtime's Chrome-trace profile, as far as the kernel events need it. */
export interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

/**
 * The kernel events of an ONNX Runtime profile (Chrome trace), one per node and run, numbered by the session's
 * `model_run` events from 0. A node event's duration is host time: for a GPU EP only the launch, since kernels run
 * asynchronously (docs/benchmarks.md, "Per-layer times: the two `--profile` methods"). The WebGPU EP also writes the
 * GPU timestamps of each dispatch (category `Api`, named `<node>&<op>&<program>`): where they exist they replace the
 * host time of that EP's nodes, summed per node and run (zero for nodes that dispatch nothing, e.g. Reshape).
 */
export function kernelEventsOf(events: TraceEvent[]): KernelEvent[] {
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

/**
 * The profile onnxruntime-web prints on stdout at `endProfiling()` in Node (its WebAssembly build has no file system
 * to write it to): the JSON array from the first line that opens one to the last `]`.
 */
export function parsePrintedProfile(text: string): TraceEvent[] {
  const start = text.indexOf('[\n');
  const end = text.lastIndexOf(']');
  if (start < 0 || end < start) throw new Error('onnxruntime-web printed no profile');
  return JSON.parse(text.slice(start, end + 1)) as TraceEvent[];
}
