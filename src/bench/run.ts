import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { onCleanup } from '../common/cleanup.js';
import type { Ep, RuntimeName } from '../common/eps.js';
import { formulationFromMetadata } from '../model/formulation.js';
import { optimizerFromMetadata } from '../model/optimizer.js';
import { type BrowserBench, openBrowserBench } from '../runners/browser.js';
import type { JobProgress } from '../runners/page-protocol.js';
import { fallbackNodes, fallbackWarning, placementFromLog } from '../runners/placement.js';
import type { Placement } from '../runners/types.js';
import { type LoopOptions, timeLoop } from './harness.js';
import { formulationSourceReport, profileMethodFor, resourceProblem, unsupported } from './options.js';
import { type PreparedMode, prepareMode } from './prepare.js';
import { formatLayerTable, profileByPrefixes, profileLayers } from './profile.js';
import type { ProgressListener } from './progress.js';
import { describeProfileMethod } from './report.js';
import { type EnvironmentFields, modelFields, runEnvironment } from './report-json.js';
import { type PeakRss, startPeakRss } from './rss.js';
import { openRunner, pageJob, seedLoop } from './session.js';
import { type Statistics, summarize } from './statistics.js';
import { optimizerReport, trainStepOf } from './train-step.js';
import { type BenchMode, type BenchOptions, hasBackward, MODE_LABEL, type ModeResult, REPORT_SCHEMA } from './types.js';

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
  /** Peak RSS of this process from the mode's build to the end of its loop; null where not known. */
  peakRssBytes: number | null;
  outputs?: ModeResult['outputs'];
}

/** What every mode of one run shares in its report: the machine and when the run started. */
interface RunInfo {
  environment: EnvironmentFields;
  startedAt: string;
}

/**
 * Runs every requested mode on one runtime and EP and returns one result per mode. Lines go to `log` as they happen;
 * each mode's result goes to `onResult` as soon as its timing is done (under `--profile`, its `profile` is added to the
 * same object afterwards), so a caller interrupted later still has the finished modes. `onProgress` is told each
 * phase as it begins and each burn-in and timed step (`src/bench/progress.ts`): for a live display, not for lines.
 *
 * Its temporary files are removed when it ends, and also on SIGINT or SIGTERM, which then end the process (see
 * `onCleanup` in `src/common/cleanup.ts`).
 */
export async function runBench(
  o: BenchOptions,
  log: (line: string) => void,
  onResult?: (result: ModeResult) => void,
  onProgress?: ProgressListener,
): Promise<ModeResult[]> {
  const problem = unsupported(o) ?? resourceProblem(o);
  if (problem) throw new Error(problem);
  const run: RunInfo = { startedAt: new Date().toISOString(), environment: runEnvironment() };
  const results: ModeResult[] = [];
  const profileDir = mkdtempSync(join(tmpdir(), 'alexnet-onnx-profile-'));
  const removeProfileDir = (): void => rmSync(profileDir, { recursive: true, force: true });
  const release = onCleanup(removeProfileDir);
  let browser: BrowserBench | undefined;
  try {
    if (o.runtime === 'browser') {
      onProgress?.({ phase: 'browser' });
      browser = await openBrowserBench({ browserPath: o.browserPath, tempDir: profileDir });
    }
    for (const mode of o.modes) {
      onProgress?.({ phase: 'build', mode });
      const peak = startPeakRss();
      const p = prepareMode(o, mode);
      const timed = browser
        ? await timeInBrowser(browser, o, p, log, onProgress)
        : await timeInProcess(o, p, profileDir, log, onProgress, peak);
      const result = resultOf(o, p, timed, run);
      results.push(result);
      onResult?.(result);
      if (o.profileSteps > 0) {
        onProgress?.({ phase: 'profile', mode });
        const method = profileMethodFor(o);
        result.profile = method === 'profiler' ? await profileLayers(o, p, profileDir) : await profileByPrefixes(o, p, profileDir, browser);
        result.profile_method = method;
        const what = describeProfileMethod(method, o.ep, o.profileSteps);
        log(formatLayerTable(result.profile, `${MODE_LABEL[mode]} per layer (${what}):`));
      }
    }
  } finally {
    await browser?.close();
    removeProfileDir();
    release();
  }
  return results;
}

/** onnxruntime-node or onnxruntime-web in this process: the harness times each awaited `run()`. */
async function timeInProcess(
  o: BenchOptions,
  p: PreparedMode,
  profileDir: string,
  log: (line: string) => void,
  onProgress: ProgressListener | undefined,
  peak: PeakRss,
): Promise<Timed> {
  onProgress?.({ phase: 'session', mode: p.mode });
  const created = performance.now();
  const runner = await openRunner(o, p, profileDir);
  const sessionCreate = (performance.now() - created) / 1000;
  try {
    onProgress?.({ phase: 'first-run', mode: p.mode });
    const first = performance.now();
    const out = await runner.run();
    const firstRun = (performance.now() - first) / 1000;
    const placement = runner.placement();
    warnFallback(placement, o.ep, log);
    const onStep = onProgress && stepsTo(onProgress, p.mode);
    const loop = await timeLoop(() => runner.run(), { ...seedLoop(o, p.mode), format: o.format, log, onStep });
    const peakRssBytes = peak.peakBytes();
    // outputs kept on a GPU are not read back: reading onnxruntime-node's WebGPU tensors aborts the process
    const onHost = Object.entries(out).filter(([, t]) => t.location === 'cpu');
    const outputs = o.collectOutputs
      ? Object.fromEntries(onHost.map(([k, t]) => [k, { dims: [...t.dims], data: t.data as Float32Array }]))
      : undefined;
    return {
      runtime: runner.runtime,
      ep: runner.ep,
      ortVersion: runner.ortVersion,
      device: runner.device,
      placement,
      durations: loop.durations,
      stats: loop.stats,
      sessionCreate,
      firstRun,
      peakRssBytes,
      outputs,
    };
  } finally {
    await runner.release();
  }
}

/**
 * The page job's progress as progress events of `mode`. Its steps count burn-in and timed steps together: the first
 * `burnIn` are burn-in. Loading the model stays in the `page` phase.
 */
function pageStepsTo(onProgress: ProgressListener, mode: BenchMode): (p: JobProgress) => void {
  return (p) => {
    if (p.phase === 'session') onProgress({ phase: 'session', mode });
    else if (p.phase === 'first run') onProgress({ phase: 'first-run', mode });
    else if (p.phase !== 'steps') return;
    else if (p.burnIn > 0 && p.step <= p.burnIn)
      onProgress({ phase: 'burn-in', mode, done: p.step, total: p.burnIn, durationS: p.durationS });
    else onProgress({ phase: 'timed', mode, done: p.step - p.burnIn, total: p.of - p.burnIn, durationS: p.durationS });
  };
}

/** The harness's step reports as progress events of `mode`. */
function stepsTo(onProgress: ProgressListener, mode: BenchMode): LoopOptions['onStep'] {
  return (phase, done, total, durationS) => onProgress({ phase, mode, done, total, durationS });
}

/**
 * onnxruntime-web in the page: the page runs the same loop with `performance.now()` and sends the durations back, its
 * lines and its progress (session, first run, steps) as they happen.
 */
async function timeInBrowser(
  browser: BrowserBench,
  o: BenchOptions,
  p: PreparedMode,
  log: (line: string) => void,
  onProgress?: ProgressListener,
): Promise<Timed> {
  onProgress?.({ phase: 'page', mode: p.mode });
  const job = { ...pageJob(o, p.fetches, seedLoop(o, p.mode), p), format: o.format, collectOutputs: o.collectOutputs };
  // The page sends its lines as they happen; where nodes ran is known only when the job returns, so the fallback
  // warning comes after the seeds' lines here.
  const r = await browser.runJob(job, p.bytes, p.feeds, log, onProgress && pageStepsTo(onProgress, p.mode));
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
    // the page runs in Chromium's renderer process, whose memory this process's figures do not include
    peakRssBytes: null,
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

function resultOf(o: BenchOptions, p: PreparedMode, t: Timed, run: RunInfo): ModeResult {
  const s = t.stats;
  const formulation = formulationFromMetadata(p.parsed.metadata, hasBackward(p.mode));
  return {
    schema: REPORT_SCHEMA,
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
    peak_rss_bytes: t.peakRssBytes,
    ort_version: t.ortVersion,
    device: t.device,
    fallback_nodes: fallbackNodes(t.placement, t.ep),
    input: o.input,
    fetch: p.fetches,
    threads: o.threads,
    graph_opt: o.graphOpt,
    tf32: t.ep === 'cuda' ? o.tf32 : null,
    model: p.label,
    formulation,
    formulation_source: formulationSourceReport(o, formulation),
    ...modelFields(p.parsed.metadata, p.mode, o.model.imageSize),
    optimizer: optimizerOf(o, p),
    ...run.environment,
    argv: o.argv ?? null,
    started_at: run.startedAt,
    date: new Date().toISOString(),
    durations_s: t.durations,
    ...(t.outputs ? { outputs: t.outputs } : {}),
  };
}

/**
 * The optimizer of a training step, with the learning rate fed: the options', or what a `--model` file's metadata
 * records (its hyperparameters are constants in its graph); null in the other modes.
 */
function optimizerOf(o: BenchOptions, p: PreparedMode): ModeResult['optimizer'] {
  if (p.mode !== 'train-step') return null;
  const step = trainStepOf(o);
  const settings = o.modelFile ? optimizerFromMetadata(p.parsed.metadata) : step.optimizer;
  return settings ? optimizerReport(settings, step.lr) : null;
}
