import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { kernelEventsOf, type TraceEvent } from './trace.js';
import type { KernelEvent } from './types.js';

/** Reads the kernel events of an ONNX Runtime profile file (Chrome trace JSON): see `kernelEventsOf`. */
export function readProfile(path: string): KernelEvent[] {
  return kernelEventsOf(JSON.parse(readFileSync(path, 'utf8')) as TraceEvent[]);
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
