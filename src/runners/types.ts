import type { Tensor } from 'onnxruntime-common';
import type { KernelEvent } from './placement.js';

/** The runtimes alexnet-onnx can time. `node` = onnxruntime-node. */
export type RuntimeName = 'node';

/** Execution providers of onnxruntime-node. */
export type NodeEp = 'cpu' | 'cuda' | 'webgpu';

/** Where the image batch lives during a run. */
export type InputPlacement = 'device' | 'host';

/** What a runner needs to open a session. */
export interface RunnerOptions {
  ep: NodeEp;
  /** The model as ONNX bytes. */
  model: Uint8Array;
  /** Inputs fed on every step (empty when the images are resident in the model, see `--input device`). */
  feeds: Record<string, Tensor>;
  /** Outputs fetched to the host on every step. */
  fetches: string[];
  /** CPU intra-op threads (0 = ONNX Runtime's default). */
  threads: number;
  /** Directory for ONNX Runtime's profile of the first run (which nodes ran on which EP). */
  profileDir: string;
}

/** Where ONNX Runtime ran each node during the profiled run: node name -> execution provider. */
export type Placement = Map<string, { op: string; provider: string }>;

/**
 * One runtime with one session: feed, run, fetch, release. No timing code lives here: the harness times `run()`.
 */
export interface Runner {
  readonly runtime: RuntimeName;
  readonly ep: string;
  readonly ortVersion: string;
  /** A description of the device (CPU model, GPU name). */
  readonly device: string;
  /** Runs one step; resolves when the fetched outputs are on the host. */
  run(): Promise<Record<string, Tensor>>;
  /**
   * Ends profiling and returns the kernel events of every run made so far (each tagged with its run). The harness
   * calls it after the first run, so the timed runs are not profiled; a profiling pass calls it after several.
   */
  profile(): KernelEvent[];
  release(): Promise<void>;
}
