import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { KernelEvent } from './placement.js';

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
