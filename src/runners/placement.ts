import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Placement } from './types.js';

/** One kernel event of ONNX Runtime's Chrome-trace profile. */
export interface KernelEvent {
  node: string;
  op: string;
  provider: string;
  /** Microseconds. */
  dur: number;
  /** Which profiled `run()` it belongs to, from 0. */
  run: number;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

/** Reads the kernel events of an ONNX Runtime profile file (Chrome trace JSON), each tagged with its run. */
export function readProfile(path: string): KernelEvent[] {
  const events = JSON.parse(readFileSync(path, 'utf8')) as TraceEvent[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.ts ?? 0).sort((a, b) => a - b);
  const runOf = (ts: number): number => {
    let r = 0;
    while (r + 1 < runs.length && runs[r + 1]! <= ts) r++;
    return r;
  };
  return events
    .filter((e) => e.cat === 'Node' && e.args?.provider && e.name?.endsWith('_kernel_time'))
    .map((e) => ({ node: e.name!.slice(0, -'_kernel_time'.length), op: e.args!.op_name ?? '', provider: e.args!.provider!, dur: e.dur ?? 0, run: runOf(e.ts ?? 0) }));
}

/** The newest profile file ONNX Runtime wrote for `prefix` (its `profileFilePrefix`), removed after reading. */
export function takeNewestProfile(prefix: string): KernelEvent[] {
  const dir = dirname(prefix);
  const files = readdirSync(dir).filter((f) => f.startsWith(basename(prefix)) && f.endsWith('.json')).map((f) => join(dir, f));
  if (!files.length) throw new Error(`ONNX Runtime wrote no profile ${prefix}*.json`);
  files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const events = readProfile(files[0]!);
  for (const f of files) rmSync(f, { force: true });
  return events;
}

/** Node -> provider from kernel events. */
export function placementOf(events: KernelEvent[]): Placement {
  const p: Placement = new Map();
  for (const e of events) p.set(e.node, { op: e.op, provider: e.provider });
  return p;
}

/** Short ORT provider names: CPUExecutionProvider -> cpu, CUDAExecutionProvider -> cuda, WebGpuExecutionProvider -> webgpu. */
export function shortProvider(provider: string): string {
  return provider.replace(/ExecutionProvider$/, '').toLowerCase();
}

/**
 * Nodes ONNX Runtime ran on another provider than the one asked for, as `name (Op)`, sorted. Nodes that ORT inserts
 * itself (e.g. layout Transposes named `..._token_N`) count too: they ran on the CPU all the same.
 */
export function fallbackNodes(placement: Placement, ep: string): string[] {
  const out: string[] = [];
  for (const [node, { op, provider }] of placement) if (shortProvider(provider) !== ep) out.push(`${node} (${op})`);
  return out.sort();
}
