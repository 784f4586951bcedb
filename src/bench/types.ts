import type { Ep, RuntimeName } from '../common/eps.js';
import type { AlexNetOptions } from '../model/alexnet.js';
import type { FormulationKey, FormulationReport } from '../model/formulation.js';
import type { OptimizerSettings } from '../model/optimizer.js';
import type { LossKind, TrainingOptions } from '../model/training.js';
import type { Dim } from '../onnx/types.js';
import type { GraphOptLevel, InputPlacement } from '../runners/types.js';
import type { TimeFormat } from './format.js';

/**
 * What a benchmark times: the forward pass, forward and backward (the gradients of the loss), or a whole training step
 * (forward, backward and the optimizer's update, each step fed the previous step's parameters and state).
 */
export type BenchMode = 'forward' | 'forward-backward' | 'train-step';
/** The seeds' two modes, in the order a default bench runs them (`--mode both`). */
export const BENCH_MODES: readonly BenchMode[] = ['forward', 'forward-backward'];
/** Every mode, in the order `--mode all` runs them. */
export const ALL_BENCH_MODES: readonly BenchMode[] = ['forward', 'forward-backward', 'train-step'];

/** Whether a mode runs the backward pass (its graph has the backward formulations, the loss and `wrt`). */
export function hasBackward(mode: BenchMode): boolean {
  return mode !== 'forward';
}

/**
 * The training step a `train-step` mode times: its optimizer (hyperparameters are constants in the graph), the learning
 * rate fed as its `lr` input, and its loss (`export --train-step`'s: softmax cross-entropy with the FC head, the
 * seeds' l2 without it, unless `--loss` says otherwise). The other training options (`wrt`, the backward
 * formulations) are the bench's own.
 */
export interface TrainStepBench {
  optimizer: OptimizerSettings;
  lr: number;
  loss: LossKind;
}

/**
 * `bench`'s learning rate for `train-step`. It does not change a step's work, only the values; it is small because the
 * seeds' l2 loss is not normalized (about 1e8 at batch 32, 224 px), and SGD on it diverges to NaN at larger rates
 * (docs/benchmarks.md, "Train-step mode"): a timed step should compute finite values, as training does.
 */
export const DEFAULT_BENCH_LR = 1e-9;

/** What a forward-backward step fetches to the host: every gradient (as the seeds), or only their sum of squares. */
export type FetchKind = 'grads' | 'sum';

/**
 * How `--profile` times layers: `profiler` = ONNX Runtime's profiler, summed per layer; `prefix` = sessions of the
 * graph cut after each layer group, timed whole: slower and noisier, but it times the device on every EP.
 */
export type ProfileMethod = 'profiler' | 'prefix';
/** `--profile-method` choices: `auto` picks per runtime and EP (`profileMethodFor`). */
export const PROFILE_METHODS = ['auto', 'profiler', 'prefix'] as const;

/**
 * Where a graph formulation choice came from: `user` (an explicit `--lrn-impl op` ...), `table` (the formulation
 * table's choice for the EP, `auto` without autotune), `autotune` (timed on this machine for this run), `cache` (timed
 * by an earlier run, from the autotune cache), `model` (recorded in a `--model` file).
 */
export type FormulationSource = 'user' | 'table' | 'autotune' | 'cache' | 'model';

/** Each formulation's source in the JSON report, by its `formulation` field name; null where that field is null. */
export type FormulationSourceReport = { [K in keyof FormulationReport]: FormulationSource | null };

/** The seeds' loop: 10 burn-in steps, 100 timed steps, a line every 10. */
export const DEFAULT_LOOP = { steps: 100, burnIn: 10, logEvery: 10 } as const;

/** Seed labels, as in the seeds' `info_string`. */
export const MODE_LABEL: Record<BenchMode, string> = {
  forward: 'Forward',
  'forward-backward': 'Forward-backward',
  'train-step': 'Train-step',
};

/** Everything a benchmark run needs. `model` options apply to built-in models; `modelFile` benches a given file. */
export interface BenchOptions {
  runtime: RuntimeName;
  ep: Ep;
  /** Chromium or Chrome for `runtime: 'browser'` (default: Debian's /usr/bin/chromium). */
  browserPath?: string;
  modes: BenchMode[];
  steps: number;
  burnIn: number;
  logEvery: number;
  threads: number;
  /** ONNX Runtime graph optimization level. */
  graphOpt: GraphOptLevel;
  /** CUDA EP only: allow TF32 tensor-core math (false: strict fp32, as PyTorch with allow_tf32 off). */
  tf32: boolean;
  input: InputPlacement;
  fetch: FetchKind;
  model: AlexNetOptions;
  training: TrainingOptions;
  /**
   * The `train-step` mode's optimizer, learning rate and loss (`benchOptions` fills in the defaults: sgd, with
   * `DEFAULT_BENCH_LR`). A `--model` training-step file keeps its own optimizer and loss; only `lr` applies to it.
   */
  trainStep?: TrainStepBench;
  /**
   * A file to bench, with its metadata and its `images` input's dimensions read once (each mode parses the bytes
   * afresh: the images edit changes the proto).
   */
  modelFile?: { path: string; bytes: Uint8Array; metadata: Record<string, string>; images: Dim[] };
  /**
   * Where each formulation choice in `model` and `training` came from (`benchOptions` and the CLI fill it in; autotune
   * updates it). A key left out is reported as unknown (null).
   */
  formulationSource?: Partial<Record<FormulationKey, FormulationSource>>;
  /** After timing, time layers over this many more steps in fresh sessions (0 = off). */
  profileSteps: number;
  /** How `--profile` times layers (see `profileMethodFor`). */
  profileMethod: ProfileMethod | 'auto';
  /** Keep the first run's outputs in the results (for comparing runtimes). */
  collectOutputs?: boolean;
  /** How the seeds' lines give times (default `seeds`: exactly as the seeds). */
  format?: TimeFormat;
  /** The command line that asked for the run, for the report's `argv` (the CLI gives its own; null when absent). */
  argv?: string[];
}

/** Time per step in one layer, split by direction, in milliseconds. */
export interface LayerTime {
  layer: string;
  forward_ms: number;
  backward_ms: number;
}

/**
 * The `--json` report's version. 2: what tells runs apart (model, tool, machine, command line, start time) was added,
 * and "not applicable" is null everywhere; reports without the field are version 1 (`-` in `formulation`). 3: each
 * mode's peak memory (`peak_rss_bytes`) and where each formulation choice came from (`formulation_source`) were added.
 * 4: the `train-step` mode and its `optimizer` were added (`loss` and `wrt` are also set for it).
 */
export const REPORT_SCHEMA = 4;

/**
 * A training step's optimizer in the report, hyperparameters in snake_case: sgd `momentum`, `nesterov`,
 * `weight_decay`; adamw `beta1`, `beta2`, `eps`, `weight_decay`; `lr` is the learning rate fed.
 */
export type OptimizerReport = { kind: OptimizerSettings['optimizer']; lr: number } & Record<string, number | boolean | string>;

/**
 * One mode's result. The field names and their flat layout are the `--json` report's, which other tools read
 * (scripts/compare.mjs, src/bench/compare.ts, the PyTorch peer writes the same): add fields, never rename one.
 * "Not applicable" and "unknown" are null, never a string.
 */
export interface ModeResult {
  /** {@link REPORT_SCHEMA}. */
  schema: number;
  runtime: string;
  ep: string;
  mode: BenchMode;
  batch: number;
  steps: number;
  burn_in: number;
  mean_s: number;
  sd_s: number;
  min_s: number;
  p50_s: number;
  p90_s: number;
  p99_s: number;
  max_s: number;
  images_per_s: number;
  gflops_per_s: number | null;
  flops_per_batch: number | null;
  session_create_s: number;
  first_run_s: number;
  /**
   * Peak resident memory of the bench process while this mode ran (from building its graph to the end of its timed
   * steps, `--profile` excluded), in bytes: Linux's exact peak, reset as the mode begins (`src/bench/rss.ts`). Null
   * where it is not known: `--runtime browser` (the page runs in Chromium's renderer process) and systems without a
   * resettable peak.
   */
  peak_rss_bytes: number | null;
  ort_version: string;
  device: string;
  fallback_nodes: string[];
  input: InputPlacement;
  fetch: string[];
  threads: number;
  graph_opt: GraphOptLevel;
  /** CUDA EP: whether TF32 was allowed; null on other EPs. */
  tf32: boolean | null;
  model: string;
  formulation: FormulationReport;
  /** Where each `formulation` choice came from (see {@link FormulationSource}); null where the choice is. */
  formulation_source: FormulationSourceReport;
  /** Side length of the square images. */
  image_size: number;
  /** LRN preset (`tf-benchmark`, `paper`, `none`); its implementation is `formulation.lrn_impl`. */
  lrn: string | null;
  /** `none` (ends at pool5) or `fc`. */
  head: string | null;
  /** Classes of the FC head; null without it. */
  classes: number | null;
  /** Dropout rate of fc6 and fc7. */
  dropout: number | null;
  /** The loss of a forward-backward or training step; null in forward mode. */
  loss: string | null;
  /** What the gradients are taken of (`conv`, `all`); null in forward mode. */
  wrt: string | null;
  /** The training step's optimizer and learning rate (`train-step`); null in the other modes. */
  optimizer: OptimizerReport | null;
  /** Seed of the weights. */
  seed: number | null;
  /** `alexnet-onnx`. */
  tool: string;
  tool_version: string;
  /** `process.version`: `v20.19.0`. */
  node_version: string;
  /** `os.platform()` and `os.release()`: `linux`, `6.1.0-28-amd64`. */
  os_platform: string;
  os_release: string;
  /** This machine's CPU model and logical cores. */
  cpu: string;
  cpu_cores: number;
  /** The NVIDIA GPU and driver that nvidia-smi reports; null where there is none. */
  gpu: string | null;
  /** The command line (the CLI's arguments after `alexnet-onnx`, which leads); null for a library call that gave none. */
  argv: string[] | null;
  /** When the run (all its modes) started, ISO 8601 UTC. */
  started_at: string;
  /** When this mode's timing ended, ISO 8601 UTC. */
  date: string;
  durations_s: number[];
  /** Time per layer and direction, per step (with --profile): from ONNX Runtime's profiler, or step-time differences. */
  profile?: LayerTime[];
  /** How `profile` was timed (with --profile): `--profile-method`, `auto` resolved. */
  profile_method?: ProfileMethod;
  /** The first run's outputs, with `collectOutputs` only (not in the CLI's JSON). */
  outputs?: Record<string, { dims: number[]; data: ArrayLike<number> }>;
}
