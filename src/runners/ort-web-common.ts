// No Node imports here: the browser page runs onnxruntime-web with these too.
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { WebEp } from '../common/eps.js';
import { ORT_LOG_LINE } from './placement.js';
import type { GraphOptLevel } from './types.js';

/** The part of onnxruntime-web's module the runners use (each build bundles its own copy of onnxruntime-common). */
export interface OrtWeb {
  InferenceSession: { create(model: Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => Tensor;
  env: { wasm: { numThreads?: number; wasmPaths?: string }; versions: { web?: string } };
}

/**
 * The onnxruntime-web build for each EP, as a package specifier (Node) and as a file of its `dist/` (the page): the
 * WebAssembly-only build for `wasm`; for `webgpu`, ORT's native WebGPU EP compiled to WebAssembly (asyncify), which
 * falls back to ORT's CPU kernels for ops it lacks.
 */
export const ORT_WEB_BUILDS: Record<WebEp, { module: string; file: string }> = {
  wasm: { module: 'onnxruntime-web', file: 'ort.wasm.min.mjs' },
  webgpu: { module: 'onnxruntime-web/webgpu', file: 'ort.webgpu.min.mjs' },
};

/**
 * onnxruntime-web's session options, the same in Node and in the page: the EP, the graph optimization level, and the
 * log at errors only (at lower levels the WebGPU EP logs every shader dispatch).
 */
export function webSessionOptions(ep: WebEp, graphOpt: GraphOptLevel): InferenceSession.SessionOptions {
  return { executionProviders: [ep], graphOptimizationLevel: graphOpt, logSeverityLevel: 3 };
}

/** `WebAssembly SIMD, 2 threads` and what limits them, for device lines. */
export function describeWasmThreads(threads: number, note = ''): string {
  return `WebAssembly SIMD, ${threads} thread${threads === 1 ? '' : 's'}${note}`;
}

/**
 * Collects ONNX Runtime's own log lines while a capture runs. onnxruntime-web writes its log to stderr in Node and to
 * the console in a page; each runner tees that output into `offer`, which keeps ORT's lines during a capture (so the
 * verbose log of a placement probe is read, not printed) and lets everything else through.
 */
export class OrtLogCapture {
  private lines: string[] | undefined;

  /** Takes `text` if a capture is running and it is ORT's log; returns whether it was taken. */
  offer(text: string): boolean {
    if (!this.lines || !ORT_LOG_LINE.test(text)) return false;
    this.lines.push(...text.split('\n').filter(Boolean));
    return true;
  }

  /**
   * Creates and releases a session with ORT's verbose log on, and returns the log lines that say where each node was
   * placed. The timed session runs with the log off: at the verbose level the WebGPU EP logs every dispatch.
   */
  async placementLog(ort: OrtWeb, model: Uint8Array, options: InferenceSession.SessionOptions): Promise<string[]> {
    const lines: string[] = [];
    this.lines = lines;
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, { ...options, logSeverityLevel: 0 });
    } finally {
      this.lines = undefined;
    }
    await session.release();
    return lines.filter((l) => l.includes('VerifyEachNodeIsAssignedToAnEp'));
  }
}
