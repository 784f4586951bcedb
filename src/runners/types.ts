import type { Tensor } from 'onnxruntime-common';
import type { Ep, RuntimeName } from '../common/eps.js';

/** ONNX Runtime's graph optimization levels (`all` is its default and ours). */
export type GraphOptLevel = 'disabled' | 'basic' | 'extended' | 'all';
/** Every graph optimization level, for `--graph-opt`. */
export const GRAPH_OPT_LEVELS: readonly GraphOptLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** Where the image batch lives during a run. */
export type InputPlacement = 'device' | 'host';

/** An input of a training step and the output fed back into it at the next run (`conv1.weight` <- `conv1.weight.next`). */
export interface Feedback {
  input: string;
  output: string;
}

/** What a runner needs to open a session. */
export interface RunnerOptions {
  ep: Ep;
  /** The model as ONNX bytes. */
  model: Uint8Array;
  /** Inputs fed on every step (empty when the images are resident in the model, see `--input device`). */
  feeds: Record<string, Tensor>;
  /** Outputs fetched on every step (to the host, but for those fed back on a GPU EP, see `feedback`). */
  fetches: string[];
  /**
   * A training step's state: after each run, every `output` (which `fetches` must name) is fed as its `input` at the
   * next run instead of the tensor fed before, so that each step starts from the previous step's parameters and
   * optimizer state, as training does. On WebGPU those outputs stay on the device (`preferredOutputLocation`), and each
   * one replaced is released; on the CPU and WebAssembly EPs they are host tensors, fed back as they are.
   */
  feedback?: Feedback[];
  /** An int64 scalar input fed the run's number, 1 at the first run (the training step's `step`, which AdamW reads). */
  counter?: string;
  /** CPU threads: intra-op threads on onnxruntime-node, WebAssembly threads on onnxruntime-web (0 = default). */
  threads: number;
  graphOpt: GraphOptLevel;
  /** CUDA EP only: allow TF32 tensor-core math in cuBLAS and cuDNN (false: strict fp32). */
  tf32: boolean;
  /** Directory for ONNX Runtime's profile of the first run (which nodes ran on which EP). */
  profileDir: string;
}

/** One kernel event of ONNX Runtime's Chrome-trace profile. */
export interface KernelEvent {
  node: string;
  op: string;
  provider: string;
  /** Microseconds. */
  dur: number;
  /** Which profiled `run()` it belongs to, from 0. */
  run: number;
  /**
   * What `dur` measures: `host` = the kernel's call on the CPU (the whole kernel on the CPU EP, only the launch on a
   * GPU EP); `gpu` = GPU timestamps of the node's dispatches (the WebGPU EP with timestamp queries).
   */
  clock: 'host' | 'gpu';
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
   * (onnxruntime-node, onnxruntime-web in Node); undefined otherwise. Profiling stops at the first call.
   */
  kernelEvents?(): KernelEvent[];
  release(): Promise<void>;
}
