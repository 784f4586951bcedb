import { RUNTIME_EPS } from '../common/eps.js';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../model/alexnet.js';
import {
  type FormulationKey,
  type FormulationReport,
  formulationFor,
  formulationFromMetadata,
  formulationReport,
} from '../model/formulation.js';
import { DEFAULT_TRAINING, formulationOfOptions, type TrainingOptions, withFormulation } from '../model/training.js';
import { BENCH_MODES, type BenchOptions, DEFAULT_LOOP, type ProfileMethod } from './types.js';

/** What `benchOptions` fills in: any field of `BenchOptions`, partial model and training options, and formulation choices. */
export interface BenchRequest extends Partial<Omit<BenchOptions, 'model' | 'training'>> {
  model?: Partial<AlexNetOptions>;
  training?: Partial<TrainingOptions>;
  /** Formulation choices; absent or `auto`: the EP's (`formulationFor`). They replace those in `model` and `training`. */
  formulation?: Partial<Record<FormulationKey, string>>;
}

/**
 * Complete benchmark options with the CLI's defaults: runtime `node`, the runtime's first EP, both modes, the seeds'
 * loop, the seeds' network, and the graph formulation `bench` picks for the EP.
 */
export function benchOptions(r: BenchRequest = {}): BenchOptions {
  const { model, training, formulation, ...rest } = r;
  const runtime = r.runtime ?? 'node';
  const ep = r.ep ?? RUNTIME_EPS[runtime][0]!;
  const f = formulationFor(ep, formulation);
  return {
    modes: [...BENCH_MODES],
    ...DEFAULT_LOOP,
    threads: 0,
    graphOpt: 'all',
    tf32: false,
    input: 'device',
    fetch: 'grads',
    profileSteps: 0,
    profileMethod: 'auto',
    ...rest,
    runtime,
    ep,
    ...withFormulation({ ...DEFAULT_OPTIONS, ...model }, { ...DEFAULT_TRAINING, ...training }, f),
  };
}

/**
 * Whether ONNX Runtime's profiler times kernels on the device here: onnxruntime-node's CPU EP (kernels run in the
 * call) and WebGPU EP (GPU timestamps). Not the CUDA EP: this build's profiler has no CUPTI, so its kernel events
 * time only the launches on the host. Not onnxruntime-web: its profile stays inside the WebAssembly file system.
 */
function profilerTimesDevice(o: BenchOptions): boolean {
  return o.runtime === 'node' && o.ep !== 'cuda';
}

/**
 * The `--profile` method that runs: the one asked for, or for `auto` the profiler where it times the device, since
 * prefix differences also carry each cut session's own offsets (docs/benchmarks.md, "Per-layer times: the two
 * `--profile` methods").
 */
export function profileMethodFor(o: BenchOptions): ProfileMethod {
  if (o.profileMethod !== 'auto') return o.profileMethod;
  return profilerTimesDevice(o) ? 'profiler' : 'prefix';
}

/** The formulation a bench will run, before anything is built: the `--model` file's metadata, or the options. */
export function plannedFormulation(o: BenchOptions): FormulationReport {
  const withGradients = o.modes.includes('forward-backward');
  if (o.modelFile) return formulationFromMetadata(o.modelFile.metadata, withGradients);
  return formulationReport(formulationOfOptions(o.model, o.training), withGradients, o.model.dropout);
}

/**
 * Combinations that cannot run, found before building anything. onnxruntime-web's WebGPU build has no kernel for the
 * training graph's Dropout op (the one with a mask output): session creation fails with "Provider type for Dropout
 * node ... is not set"; `--dropout-impl decomposed` (the automatic choice there) avoids the op.
 */
export function unsupported(o: BenchOptions): string | undefined {
  if (o.tf32 && (o.runtime !== 'node' || o.ep !== 'cuda')) return '--tf32 is a CUDA EP setting: it needs --runtime node --ep cuda';
  if (o.profileSteps > 0 && o.profileMethod === 'profiler' && !profilerTimesDevice(o)) {
    return o.ep === 'cuda'
      ? "--profile-method profiler does not work on the CUDA EP: ONNX Runtime's profiler in this build times each kernel's launch on the host, not its run on the GPU (no CUPTI); use prefix"
      : '--profile-method profiler needs --runtime node: onnxruntime-web keeps its profile inside the WebAssembly file system (in Node and in the browser); use prefix';
  }
  if (o.runtime === 'node' || o.ep !== 'webgpu' || !o.modes.includes('forward-backward')) return undefined;
  if (plannedFormulation(o).dropout_impl === 'op')
    return "onnxruntime-web's WebGPU build has no kernel for the training graph's Dropout op: use --dropout-impl decomposed (or auto)";
  return undefined;
}
