import type { Tensor } from 'onnxruntime-common';
import type { KernelEvent } from './placement.js';

/**
 * The runtimes alexnet-onnx can time: `node` = onnxruntime-node, `web` = onnxruntime-web in Node, `browser` =
 * onnxruntime-web in a page in headless Chromium.
 */
export type RuntimeName = 'node' | 'web' | 'browser';

/** Execution providers of onnxruntime-node. */
export type NodeEp = 'cpu' | 'cuda' | 'webgpu';

/** Execution providers of onnxruntime-web. */
export type WebEp = 'wasm' | 'webgpu';

/** Any execution provider this tool can time. */
export type Ep = NodeEp | WebEp;

/** Which EPs each runtime has; the first is the default. */
export const RUNTIME_EPS: Record<RuntimeName, readonly Ep[]> = {
  node: ['cpu', 'cuda', 'webgpu'],
  web: ['wasm', 'webgpu'],
  browser: ['wasm', 'webgpu'],
};

/** ONNX Runtime's graph optimization levels (`all` is its default and ours). */
export type GraphOptLevel = 'disabled' | 'basic' | 'extended' | 'all';
export const GRAPH_OPT_LEVELS: readonly GraphOptLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** Where the image batch lives during a run. */
export type InputPlacement = 'device' | 'host';

/** What a runner needs to open a session. */
export interface RunnerOptions {
  ep: Ep;
  /** The model as ONNX bytes. */
  model: Uint8Array;
  /** Inputs fed on every step (empty when the images are resident in the model, see `--input device`). */
  feeds: Record<string, Tensor>;
  /** Outputs fetched to the host on every step. */
  fetches: string[];
  /** CPU threads: intra-op threads on onnxruntime-node, WebAssembly threads on onnxruntime-web (0 = default). */
  threads: number;
  graphOpt: GraphOptLevel;
  /** CUDA EP only: allow TF32 tensor-core math in cuBLAS and cuDNN (false: strict fp32). */
  tf32: boolean;
  /** Directory for ONNX Runtime's profile of the first run (which nodes ran on which EP). */
  profileDir: string;
}

/** Where ONNX Runtime ran each node: node name -> execution provider. */
export type Placement = Map<string, { op: string; provider: string }>;

/**
 * One runtime with one session: feed, run, fetch, release. No timing code lives here: the harness times `run()`.
 */
export interface Runner {
  readonly runtime: RuntimeName;
  readonly ep: Ep;
  readonly ortVersion: string;
  /** A description of the device (CPU model, GPU name, threads). */
  readonly device: string;
  /** Runs one step; resolves when the fetched outputs are on the host. */
  run(): Promise<Record<string, Tensor>>;
  /** Which EP ran each node, as ONNX Runtime reported it for this session (needs one run first). */
  placement(): Placement;
  /**
   * Kernel events of every run made so far (each tagged with its run), where the runtime has a profiler we can read
   * (onnxruntime-node); undefined otherwise. Profiling stops at the first call.
   */
  kernelEvents?(): KernelEvent[];
  release(): Promise<void>;
}
