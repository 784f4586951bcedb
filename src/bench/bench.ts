import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Tensor } from 'onnxruntime-common';
import type { AlexNetOptions, DropoutImpl, LrnImpl } from '../model/alexnet.js';
import { buildForwardModel, modelBytes } from '../model/export.js';
import { normalTensor, Random } from '../model/random.js';
import { buildTrainingModel, type ConvDataGrad, type ConvWeightGrad, type MaxPoolGrad, type TrainingOptions } from '../model/training.js';
import { parseModel, type ParsedModel } from '../onnx/parse.js';
import { graphBytes, pruneGraph, withGraph } from '../onnx/prune.js';
import { encodeProto, tensorProto } from '../onnx/serialize.js';
import { numElements } from '../onnx/types.js';
import { openBrowserBench, type BrowserBench } from '../runners/browser.js';
import { fallbackNodes, fallbackWarning, placementFromLog } from '../runners/placement.js';
import { createNodeRunner } from '../runners/ort-node.js';
import { createWebRunner } from '../runners/ort-web.js';
import type { Ep, GraphOptLevel, InputPlacement, Placement, Runner, RunnerOptions, RuntimeName, WebEp } from '../runners/types.js';
import type { BrowserJob } from '../web/job.js';
import { graphFlops } from './flops.js';
import { timeLoop } from './harness.js';
import { layerGroups, PROBE, prefixGraph, prefixRows } from './prefix-profile.js';
import { formatLayerTable, perLayer, type LayerTime } from './profile.js';
import type { Formulation } from './report.js';
import { summarize, type Statistics } from './statistics.js';

export type BenchMode = 'forward' | 'forward-backward';
export type FetchKind = 'grads' | 'sum';

/** The seeds' loop: 10 burn-in steps, 100 timed steps, a line every 10. */
export const DEFAULT_LOOP = { steps: 100, burnIn: 10, logEvery: 10 } as const;

/** Seed labels, as in the seeds' `info_string`. */
export const MODE_LABEL: Record<BenchMode, string> = { forward: 'Forward', 'forward-backward': 'Forward-backward' };

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
  /** A file to bench, with its metadata read once (each mode parses the bytes afresh: the images edit changes the proto). */
  modelFile?: { path: string; bytes: Uint8Array; metadata: Record<string, string> };
  /** After timing, time layers over this many more steps in fresh sessions (0 = off). */
  profileSteps: number;
  /** How `--profile` times layers (see `profileMethodFor`). */
  profileMethod: ProfileMethod | 'auto';
  /** Keep the first run's outputs in the results (for comparing runtimes). */
  collectOutputs?: boolean;
}

/** One mode's result; the field names are the `--json` report's. */
export interface ModeResult {
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
  formulation: Formulation;
  date: string;
  durations_s: number[];
  /** Time per layer and direction, per step (with --profile): from ONNX Runtime's profiler, or step-time differences. */
  profile?: LayerTime[];
  /** The first run's outputs, with `collectOutputs` only (not in the CLI's JSON). */
  outputs?: Record<string, { dims: number[]; data: ArrayLike<number> }>;
}

/**
 * Graph formulations that change how the graph is written, not its math, chosen per EP. WebGPU has no LRN kernel and
 * no MaxPool Indices output: decomposed LRN, mask MaxPool gradient; onnxruntime-web's WebGPU build has no
 * training-mode Dropout kernel at all: decomposed dropout. CPU: decomposed LRN and the MatMul conv weight
 * gradient, both measured faster there (batch 8: forward 152 vs 169 ms, forward-backward 528 vs 562 ms for the LRN).
 * WebAssembly runs ORT's CPU kernels and the same choice measured faster there too (onnxruntime-web wasm in Node,
 * 2 threads, batch 8: forward 350 vs 548 ms with the LRN op; forward-backward 1206 vs 1445 ms with the Conv weight
 * gradient).
 * The Conv form of stride-1 data gradients: forward-backward at batch 8 on the CPU EP 490-502 vs 544-572 ms with
 * ConvTranspose (four runs each); on wasm 1072 vs 1088 ms, within noise, kept for the same CPU kernels.
 * CUDA keeps cuDNN's LRN, the Conv weight gradient and ConvTranspose until they are measured on a GPU.
 */
export function formulationFor(ep: Ep): { lrnImpl: LrnImpl; dropoutImpl: DropoutImpl; maxpoolGrad: MaxPoolGrad; convWeightGrad: ConvWeightGrad; convDataGrad: ConvDataGrad } {
  switch (ep) {
    case 'webgpu':
      return { lrnImpl: 'decomposed', dropoutImpl: 'decomposed', maxpoolGrad: 'mask', convWeightGrad: 'conv', convDataGrad: 'convtranspose' };
    case 'cpu':
    case 'wasm':
      return { lrnImpl: 'decomposed', dropoutImpl: 'op', maxpoolGrad: 'scatter', convWeightGrad: 'matmul', convDataGrad: 'conv' };
    case 'cuda':
      return { lrnImpl: 'op', dropoutImpl: 'op', maxpoolGrad: 'scatter', convWeightGrad: 'conv', convDataGrad: 'convtranspose' };
  }
}

/** The model to time for one mode: parsed graph and which outputs a step fetches. */
interface Prepared {
  parsed: ParsedModel;
  fetches: string[];
  label: string;
}

/** One mode, ready for any runtime: model bytes (images inside with `--input device`), feeds, fetches, FLOPs. */
export interface PreparedMode extends Prepared {
  mode: BenchMode;
  bytes: Uint8Array;
  feeds: Record<string, Tensor>;
  batch: number;
  flops: number | null;
}

/** Builds (or reads) the model for `mode` and everything a step needs. */
export function prepareMode(o: BenchOptions, mode: BenchMode): PreparedMode {
  const p = prepare(o, mode);
  const { bytes, feeds, batch } = inputsFor(p, o);
  return { ...p, mode, bytes, feeds, batch, flops: graphFlopsFor(p, batch) };
}

function prepare(o: BenchOptions, mode: BenchMode): Prepared {
  if (o.modelFile) {
    const parsed = parseModel(o.modelFile.bytes);
    const fetches = fetchesFor(parsed, mode, o.fetch, o.modelFile.path);
    // ONNX Runtime runs every node of the session's graph whatever is fetched, so forward mode on a training model
    // gets a graph of the forward part only
    const part = mode === 'forward' && hasGradients(parsed) ? withGraph(parsed, pruneGraph(parsed.graph, fetches)) : parsed;
    return { parsed: part, fetches, label: o.modelFile.path };
  }
  const built = mode === 'forward' ? buildForwardModel(o.model) : buildTrainingModel(o.model, o.training);
  const parsed = parseModel(modelBytes(built));
  return { parsed, fetches: fetchesFor(parsed, mode, o.fetch, 'built-in model'), label: 'built-in' };
}

/** True if the model has the training outputs of `export --grad`. */
export function hasGradients(parsed: ParsedModel): boolean {
  return parsed.graph.outputs.some((o) => o.name === 'grad_sq_sum');
}

function fetchesFor(parsed: ParsedModel, mode: BenchMode, fetch: FetchKind, what: string): string[] {
  const outputs = parsed.graph.outputs.map((o) => o.name);
  if (mode === 'forward') {
    if (!outputs.includes('output')) throw new Error(`${what} has no output named 'output'`);
    return ['output'];
  }
  if (!hasGradients(parsed)) throw new Error(`${what} has no gradient outputs: export it with --grad for forward-backward`);
  return fetch === 'sum' ? ['grad_sq_sum'] : outputs.filter((n) => n.endsWith('_grad'));
}

/** Batch size of the model's `images` input; a symbolic batch takes `fallback`. */
function batchOf(parsed: ParsedModel, fallback: number | 'dynamic'): number[] {
  const images = parsed.graph.inputs.find((i) => i.name === 'images');
  if (!images) throw new Error("the model has no input named 'images'");
  const shape = images.type.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 && typeof fallback === 'number' ? fallback : NaN));
  if (shape.some(Number.isNaN)) throw new Error(`the model's images input [${images.type.shape}] is symbolic: give --batch N`);
  return shape;
}

/**
 * Feeds for every step. With `device` placement the images become an initializer that is also a graph input:
 * ONNX Runtime keeps it on the device for the whole session (like the seeds' tf.Variable), and because a graph input
 * may be overridden it is not treated as a constant, so the network is not folded away.
 */
function inputsFor(p: Prepared, o: BenchOptions): { bytes: Uint8Array; feeds: Record<string, Tensor>; batch: number } {
  const shape = batchOf(p.parsed, o.model.batch);
  const images = normalTensor(o.model.seed, 'images', numElements(shape), 0.1);
  const feeds: Record<string, Tensor> = {};
  if (p.parsed.graph.inputs.some((i) => i.name === 'labels')) {
    const rng = new Random(o.model.seed, 'labels');
    const classes = Number(p.parsed.graph.types.get('output')?.shape[1] ?? 1000);
    feeds.labels = new Tensor('int64', BigInt64Array.from({ length: shape[0]! }, () => BigInt(rng.nextUint32() % classes)), [shape[0]!]);
  }
  const proto = p.parsed.proto;
  if (o.input === 'device') {
    proto.graph!.initializer!.push(tensorProto({ name: 'images', dtype: 'float32', dims: shape, data: images }));
    const images0 = proto.graph!.input!.find((i) => i.name === 'images')!;
    images0.type!.tensorType!.shape!.dim = shape.map((d) => ({ dimValue: d }));
  } else {
    feeds.images = new Tensor('float32', images, shape);
  }
  return { bytes: encodeProto(proto), feeds, batch: shape[0]! };
}

/** What one runtime measured for one mode. */
interface Timed {
  runtime: RuntimeName;
  ep: Ep;
  ortVersion: string;
  device: string;
  placement: Placement;
  durations: number[];
  stats: Statistics;
  sessionCreate: number;
  firstRun: number;
  outputs?: ModeResult['outputs'];
}

/**
 * Combinations that cannot run, found before building anything. Measured: onnxruntime-web's WebGPU build (1.29.0) has
 * no kernel for the training graph's Dropout op (the one with a mask output): session creation fails with "Provider
 * type for Dropout node ... is not set". `--dropout-impl decomposed` (the automatic choice there) avoids the op.
 */
export function unsupported(o: BenchOptions): string | undefined {
  if (o.tf32 && (o.runtime !== 'node' || o.ep !== 'cuda')) return '--tf32 is a CUDA EP setting: it needs --runtime node --ep cuda';
  if (o.profileSteps > 0 && o.profileMethod === 'profiler' && !profilerTimesDevice(o)) {
    return o.ep === 'cuda'
      ? "--profile-method profiler does not work on the CUDA EP: ONNX Runtime's profiler in this build times each kernel's launch on the host, not its run on the GPU (no CUPTI); use prefix"
      : '--profile-method profiler needs --runtime node: onnxruntime-web keeps its profile inside the WebAssembly file system (in Node and in the browser); use prefix';
  }
  if (o.runtime === 'node' || o.ep !== 'webgpu' || !o.modes.includes('forward-backward')) return undefined;
  if (plannedFormulation(o).dropout_impl === 'op') return "onnxruntime-web's WebGPU build has no kernel for the training graph's Dropout op: use --dropout-impl decomposed (or auto)";
  return undefined;
}

/** Runs every requested mode on one runtime and EP and returns one result per mode. Lines go to `log` as they happen. */
export async function runBench(o: BenchOptions, log: (line: string) => void): Promise<ModeResult[]> {
  const problem = unsupported(o);
  if (problem) throw new Error(problem);
  const results: ModeResult[] = [];
  const profileDir = mkdtempSync(join(tmpdir(), 'alexnet-onnx-profile-'));
  const browser = o.runtime === 'browser' ? await openBrowserBench({ browserPath: o.browserPath }) : undefined;
  try {
    for (const mode of o.modes) {
      const p = prepareMode(o, mode);
      const timed = browser ? await timeInBrowser(browser, o, p, log) : await timeInProcess(o, p, profileDir, log);
      results.push(resultOf(o, p, timed));
      if (o.profileSteps > 0) {
        const byProfiler = profileMethodFor(o) === 'profiler';
        const rows = byProfiler ? await profileLayers(o, p, profileDir) : await profileByPrefixes(o, p, profileDir, browser);
        results[results.length - 1]!.profile = rows;
        const what = byProfiler
          ? `ONNX Runtime profiler, mean of ${o.profileSteps} steps, ${o.ep === 'webgpu' ? 'GPU time from WebGPU timestamps' : 'kernel time'}`
          : `prefix timing: step time up to each layer minus up to the one before, mean of ${o.profileSteps} steps each`;
        log(formatLayerTable(rows, `${MODE_LABEL[mode]} per layer (${what}):`));
      }
    }
  } finally {
    await browser?.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
  return results;
}

type Loop = Pick<BrowserJob, 'label' | 'burnIn' | 'steps' | 'logEvery'>;

/** The seeds' loop for one mode, as the options set it. */
export function seedLoop(o: BenchOptions, mode: BenchMode): Loop {
  return { label: MODE_LABEL[mode], burnIn: o.burnIn, steps: o.steps, logEvery: o.logEvery };
}

/** A page job for these options (EP, threads, graph optimization): what to fetch and the loop to run. */
export function pageJob(o: BenchOptions, fetches: string[], loop: Loop): Omit<BrowserJob, 'modelUrl' | 'feeds'> {
  return { ep: o.ep as WebEp, threads: o.threads, graphOpt: o.graphOpt, fetches, ...loop };
}

function runnerOptions(o: BenchOptions, p: PreparedMode, profileDir: string): RunnerOptions {
  return { ep: o.ep, model: p.bytes, feeds: p.feeds, fetches: p.fetches, threads: o.threads, graphOpt: o.graphOpt, tf32: o.tf32, profileDir };
}

function createRunner(o: BenchOptions, p: PreparedMode, profileDir: string): Promise<Runner> {
  return o.runtime === 'web' ? createWebRunner(runnerOptions(o, p, profileDir)) : createNodeRunner(runnerOptions(o, p, profileDir));
}

/** onnxruntime-node or onnxruntime-web in this process: the harness times each awaited `run()`. */
async function timeInProcess(o: BenchOptions, p: PreparedMode, profileDir: string, log: (line: string) => void): Promise<Timed> {
  const created = performance.now();
  const runner = await createRunner(o, p, profileDir);
  const sessionCreate = (performance.now() - created) / 1000;
  try {
    const first = performance.now();
    const out = await runner.run();
    const firstRun = (performance.now() - first) / 1000;
    const placement = runner.placement();
    warnFallback(placement, o.ep, log);
    const loop = await timeLoop(() => runner.run(), { ...seedLoop(o, p.mode), log });
    const outputs = o.collectOutputs ? Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: [...t.dims], data: t.data as Float32Array }])) : undefined;
    return { runtime: runner.runtime, ep: runner.ep, ortVersion: runner.ortVersion, device: runner.device, placement, durations: loop.durations, stats: loop.stats, sessionCreate, firstRun, outputs };
  } finally {
    await runner.release();
  }
}

/** onnxruntime-web in the page: the page runs the same loop with `performance.now()` and sends the durations back. */
async function timeInBrowser(browser: BrowserBench, o: BenchOptions, p: PreparedMode, log: (line: string) => void): Promise<Timed> {
  const job = { ...pageJob(o, p.fetches, seedLoop(o, p.mode)), collectOutputs: o.collectOutputs };
  // The page sends its lines as they happen; where nodes ran is known only when the job returns, so the fallback
  // warning comes after the seeds' lines here.
  const r = await browser.runJob(job, p.bytes, p.feeds, log);
  const placement = placementFromLog(r.placementLog);
  warnFallback(placement, o.ep, log);
  return {
    runtime: 'browser',
    ep: o.ep,
    ortVersion: r.ortVersion,
    device: r.device,
    placement,
    durations: r.durations,
    stats: summarize(r.durations),
    sessionCreate: r.sessionCreateS,
    firstRun: r.firstRunS,
    outputs: r.outputs && Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, { dims: v.dims, data: fromBase64(v.base64) }])),
  };
}

function fromBase64(s: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function warnFallback(placement: Placement, ep: Ep, log: (line: string) => void): void {
  const warning = fallbackWarning(placement, ep);
  if (warning) log(warning);
}

/**
 * Whether ONNX Runtime's profiler times kernels on the device here: onnxruntime-node's CPU EP (kernels run in the
 * call) and WebGPU EP (GPU timestamps). Not the CUDA EP: this build's profiler has no CUPTI, so its kernel events
 * time only the launches on the host. Not onnxruntime-web: its profile stays inside the WebAssembly file system.
 * Those use step-time differences (`profileByPrefixes`).
 */
function profilerTimesDevice(o: BenchOptions): boolean {
  return o.runtime === 'node' && o.ep !== 'cuda';
}

/**
 * How `--profile` times layers: `profiler` = ONNX Runtime's profiler, summed per layer; `prefix` = sessions of the
 * graph cut after each layer group, timed whole (`profileByPrefixes`): slower and noisier, but it times the device on
 * every EP. `auto` takes the profiler where it times the device. On this machine's CPU EP the two agreed on forward
 * rows within a few ms; backward rows scattered more (docs/benchmarks.md).
 */
export type ProfileMethod = 'profiler' | 'prefix';
export const PROFILE_METHODS = ['auto', 'profiler', 'prefix'] as const;

export function profileMethodFor(o: BenchOptions): ProfileMethod {
  if (o.profileMethod !== 'auto') return o.profileMethod;
  return profilerTimesDevice(o) ? 'profiler' : 'prefix';
}

/**
 * Per-layer times from whole-step times: for k = 0 .. all layer groups, a session of the graph of the first k groups
 * (`prefixGraph`), `profileSteps` timed steps after one untimed, one session at a time; then the whole step again.
 * In this process, or as page jobs in the browser.
 */
async function profileByPrefixes(o: BenchOptions, p: PreparedMode, profileDir: string, browser: BrowserBench | undefined): Promise<LayerTime[]> {
  // parsed from the bytes, not taken from `p.parsed`: with `--input device` the images initializer is only in these
  const parsed = parseModel(p.bytes);
  const groups = layerGroups(parsed.graph, p.fetches, finalLayerOf(parsed.metadata));
  const loop: Loop = { label: '', burnIn: 1, steps: o.profileSteps, logEvery: o.profileSteps };
  const timeModel = async (bytes: Uint8Array, feeds: Record<string, Tensor>, fetches: string[]): Promise<number> => {
    if (browser) {
      return summarize((await browser.runJob(pageJob(o, fetches, loop), bytes, feeds, () => {})).durations).mean * 1000;
    }
    const runner = await createRunner(o, { ...p, bytes, feeds, fetches }, profileDir);
    try {
      await runner.run();
      // ends onnxruntime-node's profiling of the first run, which would slow every later one
      runner.placement();
      return (await timeLoop(() => runner.run(), { ...loop, log: () => {} })).stats.mean * 1000;
    } finally {
      await runner.release();
    }
  };
  const prefixMs: number[] = [];
  for (let k = 0; k <= groups.length; k++) {
    const cut = prefixGraph(parsed.graph, groups, k);
    const feeds = Object.fromEntries(Object.entries(p.feeds).filter(([name]) => cut.inputs.some((i) => i.name === name)));
    prefixMs.push(await timeModel(graphBytes(parsed, cut), feeds, [PROBE]));
  }
  return prefixRows(groups, prefixMs, await timeModel(p.bytes, p.feeds, p.fetches));
}

function finalLayerOf(meta: Record<string, string>): string {
  return meta['alexnet.head'] === 'fc' ? 'fc8' : 'pool5';
}

/**
 * A separate session with profiling on: one warm-up run, then `profileSteps` profiled ones, summed per layer.
 * Separate so the timed loop above runs without profiler overhead.
 */
async function profileLayers(o: BenchOptions, p: PreparedMode, profileDir: string): Promise<LayerTime[]> {
  const runner = await createNodeRunner(runnerOptions(o, p, profileDir));
  try {
    for (let i = 0; i <= o.profileSteps; i++) await runner.run();
    const events = runner.kernelEvents!().filter((e) => e.run > 0);
    if (o.ep === 'webgpu' && !events.some((e) => e.clock === 'gpu')) {
      throw new Error("--profile on webgpu: this WebGPU adapter gave ONNX Runtime no GPU timestamps (no 'timestamp-query' feature), and its kernel events time only the launches on the host: use --profile-method prefix");
    }
    return perLayer(events, o.profileSteps, finalLayerOf(p.parsed.metadata));
  } finally {
    await runner.release();
  }
}

/** FLOPs of every node in the graph: ONNX Runtime runs them all, whatever is fetched. */
function graphFlopsFor(p: Prepared, batch: number): number | null {
  const graph = p.parsed.graph;
  const types = new Map(graph.types);
  for (const [name, t] of types) if (typeof t.shape[0] === 'string') types.set(name, { ...t, shape: [batch, ...t.shape.slice(1)] });
  return graphFlops({ ...graph, types }) ?? null;
}

/** The formulation a model's metadata records (`export` writes it); forward mode runs no gradient, so names none. */
export function formulationOf(meta: Record<string, string>, mode: BenchMode): Formulation {
  const forward = mode === 'forward';
  return {
    lrn_impl: meta['alexnet.lrnImpl'] ?? 'unknown',
    dropout_impl: Number(meta['alexnet.dropout'] ?? 0) > 0 ? meta['alexnet.dropoutImpl'] ?? 'op' : '-',
    maxpool_grad: forward ? '-' : meta['alexnet.maxpoolGrad'] ?? 'unknown',
    conv_weight_grad: forward ? '-' : meta['alexnet.convWeightGrad'] ?? 'unknown',
    // files exported before the option existed wrote every data gradient as a ConvTranspose
    conv_data_grad: forward ? '-' : meta['alexnet.convDataGrad'] ?? 'convtranspose',
  };
}

/** The formulation a bench will run, before anything is built: the `--model` file's metadata, or the options. */
export function plannedFormulation(o: BenchOptions): Formulation {
  const mode = o.modes.includes('forward-backward') ? 'forward-backward' : 'forward';
  if (o.modelFile) return formulationOf(o.modelFile.metadata, mode);
  return {
    lrn_impl: o.model.lrnImpl,
    dropout_impl: o.model.dropout > 0 ? o.model.dropoutImpl : '-',
    maxpool_grad: mode === 'forward' ? '-' : o.training.maxpoolGrad,
    conv_weight_grad: mode === 'forward' ? '-' : o.training.convWeightGrad,
    conv_data_grad: mode === 'forward' ? '-' : o.training.convDataGrad,
  };
}

function resultOf(o: BenchOptions, p: PreparedMode, t: Timed): ModeResult {
  const s = t.stats;
  return {
    runtime: t.runtime,
    ep: t.ep,
    mode: p.mode,
    batch: p.batch,
    steps: o.steps,
    burn_in: o.burnIn,
    mean_s: s.mean,
    sd_s: s.sd,
    min_s: s.min,
    p50_s: s.p50,
    p90_s: s.p90,
    p99_s: s.p99,
    max_s: s.max,
    images_per_s: p.batch / s.mean,
    gflops_per_s: p.flops === null ? null : p.flops / s.mean / 1e9,
    flops_per_batch: p.flops,
    session_create_s: t.sessionCreate,
    first_run_s: t.firstRun,
    ort_version: t.ortVersion,
    device: t.device,
    fallback_nodes: fallbackNodes(t.placement, t.ep),
    input: o.input,
    fetch: p.fetches,
    threads: o.threads,
    graph_opt: o.graphOpt,
    tf32: t.ep === 'cuda' ? o.tf32 : null,
    model: p.label,
    formulation: formulationOf(p.parsed.metadata, p.mode),
    date: new Date().toISOString(),
    durations_s: t.durations,
    ...(t.outputs ? { outputs: t.outputs } : {}),
  };
}
