// No Node imports here: the browser page uses these functions too.
import type { KernelEvent, Placement } from './types.js';

/** Node -> provider from kernel events. */
export function placementOf(events: KernelEvent[]): Placement {
  const p: Placement = new Map();
  for (const e of events) p.set(e.node, { op: e.op, provider: e.provider });
  return p;
}

/**
 * Short ORT provider names: CPUExecutionProvider -> cpu, CUDAExecutionProvider -> cuda, WebGpuExecutionProvider ->
 * webgpu. onnxruntime-web's `wasm` EP is ORT's CPU EP compiled to WebAssembly.
 */
export function shortProvider(provider: string): string {
  return provider.replace(/ExecutionProvider$/, '').toLowerCase();
}

/** The short provider name ONNX Runtime reports for nodes that ran on `ep`. */
export function providerOf(ep: string): string {
  return ep === 'wasm' ? 'cpu' : ep;
}

/**
 * Nodes ONNX Runtime ran on another provider than the one asked for, as `name (Op)`, sorted. Nodes that ORT inserts
 * itself (e.g. layout Transposes named `..._token_N`) count too: they ran on the CPU all the same.
 */
export function fallbackNodes(placement: Placement, ep: string): string[] {
  const out: string[] = [];
  for (const [node, { op, provider }] of placement) if (shortProvider(provider) !== providerOf(ep)) out.push(`${node} (${op})`);
  return out.sort();
}

/** The warning line naming the nodes that did not run on `ep`, or undefined when all did. */
export function fallbackWarning(placement: Placement, ep: string): string | undefined {
  const fallback = fallbackNodes(placement, ep);
  return fallback.length ? `warning: ${fallback.length} node(s) ran on the CPU, not on ${ep}: ${fallback.join(', ')}` : undefined;
}

/** A line of ONNX Runtime's own log (`[V:onnxruntime:...`), as onnxruntime-web prints it. */
export const ORT_LOG_LINE = /\[[VIWEF]:onnxruntime/;

/**
 * Node -> provider from ONNX Runtime's verbose session log (`VerifyEachNodeIsAssignedToAnEp`), for runtimes whose
 * profile we do not read before the timed runs (onnxruntime-web prints it only when profiling ends). When ORT says only "All
 * nodes placed on [X]. Number of nodes: N", the placement holds one entry `all N nodes` for X.
 */
export function placementFromLog(lines: string[]): Placement {
  const p: Placement = new Map();
  let provider: string | undefined;
  for (const line of lines) {
    const at = line.indexOf('VerifyEachNodeIsAssignedToAnEp]');
    if (at < 0) {
      provider = undefined;
      continue;
    }
    const text = line.slice(at + 'VerifyEachNodeIsAssignedToAnEp]'.length);
    const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(text);
    const some = /Node\(s\) placed on \[(\w+)\]/.exec(text);
    const node = /^\s+(\w+) \((.*)\)\s*$/.exec(text);
    if (all) {
      p.set(`all ${all[2]} nodes`, { op: '*', provider: all[1]! });
      provider = undefined;
    } else if (some) {
      provider = some[1];
    } else if (node && provider) {
      p.set(node[2]!, { op: node[1]!, provider });
    }
  }
  if (!p.size) throw new Error("ONNX Runtime's verbose log had no node placements (VerifyEachNodeIsAssignedToAnEp)");
  return p;
}
