import { readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { RUNTIME_EPS } from '../common/eps.js';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../model/alexnet.js';
import {
  FORMULATION_KEYS,
  FORMULATIONS,
  type FormulationKey,
  type FormulationReport,
  formulationFor,
  formulationFromMetadata,
  formulationReport,
  knownFailure,
} from '../model/formulation.js';
import { MAX_ONNX_DATA_BYTES, weightBytes } from '../model/layers.js';
import { estimateMemory } from '../model/memory.js';
import { DEFAULT_TRAINING, formulationOfOptions, type TrainingOptions, withFormulation } from '../model/training.js';
import { defaultTrainStepBench, trainStepOf } from './train-step.js';
import {
  BENCH_MODES,
  type BenchOptions,
  DEFAULT_LOOP,
  type FormulationSource,
  type FormulationSourceReport,
  hasBackward,
  type ProfileMethod,
} from './types.js';

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
  const network = withFormulation({ ...DEFAULT_OPTIONS, ...model }, { ...DEFAULT_TRAINING, ...training }, f);
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
    ...network,
    trainStep: r.trainStep ?? defaultTrainStepBench(network.model),
    formulationSource: formulationSources(formulation),
  };
}

/** Where each formulation choice comes from: `user` for one given (not absent, not `auto`), else the table's. */
export function formulationSources(chosen: Partial<Record<FormulationKey, string>> = {}): Record<FormulationKey, FormulationSource> {
  const given = (k: FormulationKey) => chosen[k] !== undefined && chosen[k] !== 'auto';
  return Object.fromEntries(FORMULATION_KEYS.map((k) => [k, given(k) ? 'user' : 'table'])) as Record<FormulationKey, FormulationSource>;
}

/** Each choice's source in the JSON report: `model` for a `--model` file's; null where the choice is null or its source unknown. */
export function formulationSourceReport(o: BenchOptions, report: FormulationReport): FormulationSourceReport {
  const choices = report as Record<string, string | null>;
  const source = (k: FormulationKey) => (o.modelFile ? 'model' : (o.formulationSource?.[k] ?? null));
  const fields = FORMULATION_KEYS.map((k) => [FORMULATIONS[k].json, choices[FORMULATIONS[k].json] === null ? null : source(k)]);
  return Object.fromEntries(fields) as FormulationSourceReport;
}

/**
 * Whether ONNX Runtime's profiler times kernels on the device here, and bench can read it: the CPU and WebAssembly
 * EPs (kernels run in the call) and the WebGPU EP (GPU timestamps of each dispatch), of onnxruntime-node and of
 * onnxruntime-web in Node (whose runner takes the profile it prints on stdout). Not the CUDA EP: this build's profiler
 * has no CUPTI, so its kernel events time only the launches on the host. Not the browser: there onnxruntime-web
 * prints its profile on the page's console, in another process.
 */
function profilerTimesDevice(o: BenchOptions): boolean {
  return o.runtime !== 'browser' && o.ep !== 'cuda';
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
  const withGradients = o.modes.some(hasBackward);
  if (o.modelFile) return formulationFromMetadata(o.modelFile.metadata, withGradients);
  return formulationReport(formulationOfOptions(o.model, o.training), withGradients, o.model.dropout);
}

/**
 * The line refusing a formulation choice the formulation table knows not to run on this EP and runtime (its
 * `cannotRun`: on WebGPU, the scatter MaxPool gradient everywhere, the MatMul weight gradient and the match MaxPool
 * gradient on onnxruntime-node), or undefined.
 */
function knownToFail(o: BenchOptions): string | undefined {
  const planned = plannedFormulation(o) as Record<string, string | null>;
  for (const k of FORMULATION_KEYS) {
    const choice = planned[FORMULATIONS[k].json];
    const failure = choice ? knownFailure(k, choice, o.runtime, o.ep) : undefined;
    if (failure)
      return `--${FORMULATIONS[k].option} ${choice} cannot run on ${o.ep}: ${failure.why}; use ${FORMULATIONS[k].auto[o.ep]} (or auto)`;
  }
  return undefined;
}

/**
 * Combinations that cannot run, found before building anything. onnxruntime-web's WebGPU build has no kernel for the
 * training graph's Dropout op (the one with a mask output): session creation fails with "Provider type for Dropout
 * node ... is not set"; `--dropout-impl decomposed` (the automatic choice there) avoids the op. The other choices
 * known not to run are in the formulation table (`knownToFail`).
 */
export function unsupported(o: BenchOptions): string | undefined {
  if (o.tf32 && (o.runtime !== 'node' || o.ep !== 'cuda')) return '--tf32 is a CUDA EP setting: it needs --runtime node --ep cuda';
  if (o.profileSteps > 0 && o.profileMethod === 'profiler' && !profilerTimesDevice(o)) {
    return o.ep === 'cuda'
      ? "--profile-method profiler does not work on the CUDA EP: ONNX Runtime's profiler in this build times each kernel's launch on the host, not its run on the GPU (no CUPTI); use prefix"
      : "--profile-method profiler needs --runtime node or web: in the browser onnxruntime-web prints its profile on the page's console, out of bench's reach; use prefix";
  }
  const cannot = knownToFail(o);
  if (cannot) return cannot;
  if (o.ep !== 'webgpu' || !o.modes.some(hasBackward) || o.runtime === 'node') return undefined;
  if (plannedFormulation(o).dropout_impl === 'op')
    return "onnxruntime-web's WebGPU build has no kernel for the training graph's Dropout op: use --dropout-impl decomposed (or auto)";
  return undefined;
}

/**
 * Why `value` is not a usable count for the option `--<option>` (`steps`, `burn-in`, `log-every`, `threads`,
 * `profile`): not a safe integer, or below `min`; undefined when it is one. The CLI and the serve API refuse with this
 * line.
 */
export function countProblem(option: string, value: number, min: number): string | undefined {
  if (!Number.isSafeInteger(value) || value < min) return `--${option} must be an integer >= ${min}, got ${value}`;
  return undefined;
}

/** What `resourceProblem` compares a bench against: this machine's logical cores and available memory. */
export interface Machine {
  cores: number;
  /** Bytes a new process can use without swapping or the OOM killer. */
  availableBytes: number;
}

/**
 * Intra-op (or WebAssembly) threads per logical core that `--threads` may ask for. More threads than cores only
 * contend, but a few per core still lets one see that; each thread costs a stack and ONNX Runtime's per-thread
 * buffers, and a huge count made a bench hang while its memory grew.
 */
export const MAX_THREADS_PER_CORE = 4;

/** The largest `--threads` on a machine with `cores` logical cores. */
export function maxThreads(cores: number = availableParallelism()): number {
  return MAX_THREADS_PER_CORE * cores;
}

/**
 * Memory available to a new process: Linux's `MemAvailable` (free memory plus the page cache and buffers it can
 * reclaim), or `os.freemem()` where there is no /proc/meminfo (on Linux that counts only unused pages, far too few).
 */
export function availableMemory(): number {
  try {
    const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux: fall back below
  }
  return freemem();
}

/** This machine, as `resourceProblem` sees it. */
export function thisMachine(): Machine {
  return { cores: availableParallelism(), availableBytes: availableMemory() };
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * What this machine cannot give a bench, found from the options alone before anything is built: more threads than
 * `maxThreads`, a model with the images inside over ONNX's file limit, or more memory than is available by
 * `estimateMemory` (on cuda and webgpu only its host part: the session's lives on the GPU). Files given with `--model`
 * get the threads check only: their shapes are not known before they are read.
 */
export function resourceProblem(o: BenchOptions, machine: Machine = thisMachine()): string | undefined {
  const max = maxThreads(machine.cores);
  if (o.threads > max)
    return `--threads ${o.threads} is more than this machine can use: at most ${max} (${MAX_THREADS_PER_CORE} per logical core, ${machine.cores} cores)`;
  if (o.modelFile) return undefined;
  const batch = o.model.batch === 'dynamic' ? 1 : o.model.batch;
  const modelBytes = weightBytes(o.model) + 4 * batch * 3 * o.model.imageSize ** 2;
  if (o.input === 'device' && modelBytes > MAX_ONNX_DATA_BYTES)
    return `--input device stores the images in the model, which at --batch ${batch} would be about ${gb(modelBytes)}, over the 2 GiB an ONNX file can hold: use --input host or a smaller --batch`;
  const onGpu = o.ep === 'cuda' || o.ep === 'webgpu';
  const need = (b: number) => {
    const e = estimateMemory({ ...o.model, batch: b }, o.training, {
      modes: o.modes,
      input: o.input,
      fetch: o.fetch,
      optimizer: trainStepOf(o).optimizer,
    });
    return { mode: e.mode, bytes: onGpu ? e.host : e.total };
  };
  const { mode, bytes } = need(batch);
  if (bytes <= machine.availableBytes) return undefined;
  const what = `--batch ${batch}${o.model.imageSize === DEFAULT_OPTIONS.imageSize ? '' : ` --image-size ${o.model.imageSize}`} --mode ${mode}`;
  const fits = largestBatch(batch, (b) => need(b).bytes <= machine.availableBytes);
  const fix = fits ? `use a smaller --batch (at most ${fits} fits)` : 'even --batch 1 does not fit: use a smaller --image-size';
  return `${what} needs about ${gb(bytes)} of ${onGpu ? 'host ' : ''}memory (estimate), but this machine has ${gb(machine.availableBytes)} available: ${fix}`;
}

/** The largest batch below `batch` for which `fits` holds (it grows with the batch), or 0 if none does. */
function largestBatch(batch: number, fits: (b: number) => boolean): number {
  if (!fits(1)) return 0;
  let [lo, hi] = [1, batch];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
