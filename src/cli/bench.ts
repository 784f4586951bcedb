import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { AUTOTUNE_MODES, type AutotuneMode, autotune, autotuneProblem } from '../bench/autotune.js';
import { cacheFileProblem, defaultCacheFile } from '../bench/autotune-cache.js';
import { TIME_FORMATS, type TimeFormat } from '../bench/format.js';
import { countProblem, formulationSources, plannedFormulation, resourceProblem, unsupported } from '../bench/options.js';
import { hasGradients, imagesDims, imagesSizeProblem, modelFileNotes } from '../bench/prepare.js';
import { runBench } from '../bench/run.js';
import {
  BENCH_MODES,
  type BenchMode,
  type BenchOptions,
  DEFAULT_LOOP,
  type FetchKind,
  type ModeResult,
  PROFILE_METHODS,
} from '../bench/types.js';
import { onCleanup } from '../common/cleanup.js';
import { type Ep, RUNTIME_EPS, type RuntimeName } from '../common/eps.js';
import { describeFormulation, FORMULATION_KEYS, formulationFor } from '../model/formulation.js';
import { parseModel, UnsupportedModelError } from '../onnx/parse.js';
import { DEFAULT_BROWSER } from '../runners/browser.js';
import { ortNodeVersion, ortWebVersion } from '../runners/packages.js';
import { GRAPH_OPT_LEVELS, type GraphOptLevel, type InputPlacement } from '../runners/types.js';
import { checkOutputs, jsonDashAsValue, reportResults, withHumanLinesOn } from './bench-output.js';
import { UsageError } from './errors.js';
import {
  givenNetworkOptions,
  givenTrainingOptions,
  modelOptionsFrom,
  type RawModelArgs,
  type RawTrainingArgs,
  SEEDS_EPILOGUE,
  trainingOptionsFrom,
  unusedNetworkOption,
  withModelOptions,
  withTrainingOptions,
} from './model-options.js';
import { progressWanted, withProgress } from './progress.js';

export const command = 'bench';
export const describe = "Time AlexNet forward and forward-backward on ONNX Runtime with the seeds' burn-in statistics";

export function builder(y: Argv) {
  return withTrainingOptions(withModelOptions(y, true, true), true)
    .group(['model'], 'Model:')
    .group(['runtime', 'ep', 'browser', 'mode', 'steps', 'burn-in', 'log-every', 'input', 'fetch', 'threads', 'graph-opt', 'tf32'], 'Run:')
    .group(['json'], 'Output:')
    .group(['profile', 'profile-method'], 'Profile:')
    .example('$0 bench --batch 8 --steps 10 --burn-in 2', 'time both modes at batch 8 on the CPU EP')
    .example('$0 bench --mode forward --runtime web', 'forward only, on onnxruntime-web (WebAssembly) in Node')
    .example('$0 bench --profile 5 --json r.json', 'add a per-layer table; write the results to r.json')
    .example('$0 bench --model graphs/alexnet-training.onnx', "time a file written by 'export --grad'")
    .epilogue(SEEDS_EPILOGUE)
    .option('runtime', {
      describe: 'node: onnxruntime-node; web: onnxruntime-web in Node; browser: onnxruntime-web in a headless Chromium page',
      choices: ['node', 'web', 'browser'],
      default: 'node',
    })
    .option('ep', {
      describe: 'execution provider: node: cpu|cuda|webgpu (default cpu); web and browser: wasm|webgpu (default wasm)',
      choices: ['cpu', 'cuda', 'webgpu', 'wasm'],
    })
    .option('browser', {
      describe: `Chromium or Chrome for --runtime browser (default ${DEFAULT_BROWSER}; never downloaded)`,
      type: 'string',
    })
    .option('mode', {
      describe: 'what to time (default: both, or forward for a --model without gradients)',
      choices: ['forward', 'forward-backward', 'both'],
    })
    .option('steps', { describe: 'timed steps', type: 'number', default: DEFAULT_LOOP.steps })
    .option('burn-in', { describe: 'untimed steps before timing', type: 'number', default: DEFAULT_LOOP.burnIn })
    .option('log-every', { describe: 'print a step line every N timed steps', type: 'number', default: DEFAULT_LOOP.logEvery })
    .option('input', {
      describe: 'device: images resident on the device for the whole run (like tf.Variable); host: fed every step',
      choices: ['device', 'host'],
      default: 'device',
    })
    .option('fetch', {
      describe: 'forward-backward: fetch every gradient to the host (grads, the default, as the seeds) or only grad_sq_sum (sum)',
      choices: ['grads', 'sum'],
    })
    .option('threads', {
      describe: "CPU threads: node: intra-op threads (0: ORT's default); web/browser: WebAssembly threads (0: one per core)",
      type: 'number',
      default: 0,
    })
    .option('graph-opt', { describe: 'ONNX Runtime graph optimization level', choices: GRAPH_OPT_LEVELS, default: 'all' })
    .option('tf32', {
      describe:
        "--ep cuda: allow TF32 tensor-core math in cuBLAS and cuDNN (ONNX Runtime's default); without it alexnet-onnx sets NVIDIA_TF32_OVERRIDE=0 for strict fp32",
      type: 'boolean',
      default: false,
    })
    .option('model', {
      describe: 'bench this .onnx file instead of building one (its network is fixed: only sizes and --seed apply)',
      type: 'string',
    })
    .option('json', {
      describe: 'write the results as JSON to this file; - : to stdout, with every other line on stderr (bench --json - | jq)',
      type: 'string',
    })
    .option('profile', {
      describe: 'after timing, time N more steps per layer and print the table, forward and backward',
      type: 'number',
      default: 0,
    })
    .option('profile-method', {
      describe:
        "--profile by ONNX Runtime's profiler (kernel time; GPU timestamps on webgpu) or prefix timing (the graph cut after each layer, timed whole; any EP); auto (the default): the profiler where it times the device (node cpu and webgpu), prefix elsewhere",
      choices: PROFILE_METHODS,
    })
    .option('append', {
      describe: 'append one JSON line per mode to this file (JSON Lines: a series of runs in one file; never truncated)',
      type: 'string',
    })
    .option('format', {
      describe:
        'how step and summary lines give times: seeds (seconds with 3 decimals, exactly as the seeds) or auto (milliseconds with 3 significant digits, readable at small batches)',
      choices: TIME_FORMATS,
      default: 'seeds',
    })
    .option('progress', {
      describe: 'a live progress line on stderr (phase, steps, ETA) where stderr is a terminal; --no-progress: none',
      type: 'boolean',
      default: true,
    })
    .option('autotune', {
      describe:
        "choose each formulation left to auto by timing its candidates here (on, the default: from the cache when measured before; force: measure again; off: the formulation table's choices); --runtime node and web",
      choices: AUTOTUNE_MODES,
    })
    .option('autotune-cache', {
      describe: `the autotune cache file (default ${defaultCacheFile().replace(homedir(), '~')}, or under $XDG_CACHE_HOME)`,
      type: 'string',
    })
    .group(['autotune', 'autotune-cache'], 'Graph formulation:')
    .group(['append', 'format', 'progress'], 'Output:')
    .middleware(jsonDashAsValue, true);
}

type Args = ArgumentsCamelCase<
  RawModelArgs &
    RawTrainingArgs & {
      runtime: string;
      ep?: string;
      browser?: string;
      mode?: string;
      steps: number;
      burnIn: number;
      logEvery: number;
      input: string;
      fetch?: string;
      threads: number;
      graphOpt: string;
      tf32: boolean;
      model?: string;
      json?: string;
      append?: string;
      format: string;
      progress: boolean;
      profile: number;
      profileMethod?: string;
      autotune?: string;
      autotuneCache?: string;
    }
>;

function count(name: string, value: number, min: number): number {
  const problem = countProblem(name, value, min);
  if (problem) throw new UsageError(problem);
  return value;
}

/** Turns parsed arguments into benchmark options; usage mistakes are UsageErrors naming the option. */
export function benchOptionsFrom(args: Args): BenchOptions {
  const runtime = args.runtime as RuntimeName;
  const ep = (args.ep ?? RUNTIME_EPS[runtime][0]) as Ep;
  if (!RUNTIME_EPS[runtime].includes(ep))
    throw new UsageError(`--ep ${ep} is not an EP of --runtime ${runtime} (choose ${RUNTIME_EPS[runtime].join(', ')})`);
  // `auto` (or an explicit choice) for each formulation, resolved for the EP from the formulation table
  const chosen = Object.fromEntries(FORMULATION_KEYS.map((k) => [k, args[k]]));
  const formulation = formulationFor(ep, chosen);
  let model = modelOptionsFrom({ ...args, ...formulation }, Boolean(args.model), false);
  const training = trainingOptionsFrom(model, { ...args, ...formulation });
  let modelFile: BenchOptions['modelFile'];
  let modes: BenchMode[];
  if (args.model) {
    if (!existsSync(args.model)) throw new UsageError(`--model ${args.model}: no such file`);
    const bytes = readFileSync(args.model);
    let parsed: ReturnType<typeof parseModel>;
    try {
      parsed = parseModel(bytes);
    } catch (err) {
      if (err instanceof UnsupportedModelError) throw new Error(`--model ${args.model}: ${err.message}`);
      throw new Error(`--model ${args.model} is not a valid ONNX model (${(err as Error).message})`);
    }
    // a fixed size in the file wins, so one given on the command line must match it; a symbolic one takes the option
    const dims = imagesDims(parsed, args.model);
    const unusable = imagesSizeProblem(args.model, dims);
    if (unusable) throw new Error(unusable);
    // a number: modelOptionsFrom refuses 'dynamic' for bench
    const asked = { batch: args.batch === undefined ? undefined : (model.batch as number), imageSize: args.imageSize };
    const mismatch = imagesSizeProblem(args.model, dims, asked);
    if (mismatch) throw new UsageError(mismatch);
    const [n, h] = [dims[0], dims.length === 4 ? dims[2] : undefined];
    model = { ...model, batch: typeof n === 'number' ? n : model.batch, imageSize: typeof h === 'number' ? h : model.imageSize };
    modelFile = { path: args.model, bytes, metadata: parsed.metadata, images: dims };
    const withGrads = hasGradients(parsed);
    const mode = args.mode ?? (withGrads ? 'both' : 'forward');
    if (mode !== 'forward' && !withGrads)
      throw new UsageError(`--mode ${mode} needs gradients, but ${args.model} has none: export it with --grad`);
    modes = mode === 'both' ? [...BENCH_MODES] : [mode as BenchMode];
  } else {
    const mode = args.mode ?? 'both';
    modes = mode === 'both' ? [...BENCH_MODES] : [mode as BenchMode];
  }
  const ignored = ignoredOption(args, modes);
  if (ignored) throw new UsageError(ignored);
  const options: BenchOptions = {
    runtime,
    ep,
    browserPath: runtime === 'browser' ? (args.browser ?? DEFAULT_BROWSER) : undefined,
    modes,
    steps: count('steps', args.steps, 1),
    burnIn: count('burn-in', args.burnIn, 0),
    logEvery: count('log-every', args.logEvery, 1),
    threads: count('threads', args.threads, 0),
    profileSteps: count('profile', args.profile, 0),
    profileMethod: (args.profileMethod ?? 'auto') as BenchOptions['profileMethod'],
    graphOpt: args.graphOpt as GraphOptLevel,
    tf32: args.tf32,
    input: args.input as InputPlacement,
    fetch: (args.fetch ?? 'grads') as FetchKind,
    model,
    training,
    modelFile,
    formulationSource: formulationSources(chosen),
  };
  const problem = unsupported(options) ?? resourceProblem(options);
  if (problem) throw new UsageError(problem);
  return options;
}

/** The header's line on what the run times, saying only what applies to the modes being run. */
export function modesLine(o: BenchOptions): string {
  const backward = o.modes.includes('forward-backward');
  const parts = [`${o.modes.length > 1 ? 'modes' : 'mode'} ${o.modes.join(', ')}`, `input on ${o.input}`];
  if (backward) parts.push(`forward-backward fetches ${o.fetch === 'grads' ? 'every gradient' : 'grad_sq_sum only'}`);
  const source = o.modelFile ? ` (${o.modelFile.path}'s metadata)` : backward ? `, loss ${o.training.loss}, wrt ${o.training.wrt}` : '';
  parts.push(`graph: ${describeFormulation(plannedFormulation(o))}${source}`);
  return parts.join('; ');
}

/**
 * An option given on the command line that this run would not use, as one line naming it and the option it needs:
 * a user who asks for something must never get a result made without it. The options checked here have no yargs
 * default for this reason.
 */
function ignoredOption(args: Args, modes: BenchMode[]): string | undefined {
  if (args.browser !== undefined && args.runtime !== 'browser')
    return `--browser is for --runtime browser, but this run uses --runtime ${args.runtime}`;
  if (args.profileMethod !== undefined && !(args.profile > 0))
    return `--profile-method ${args.profileMethod} needs --profile N (N > 0): without it no layer is profiled`;
  const autotuneUnused = autotuneProblem({ mode: args.autotune, cacheFile: args.autotuneCache, model: args.model, runtime: args.runtime });
  if (autotuneUnused) return autotuneUnused;
  if (args.model) {
    const fixed = givenNetworkOptions(args);
    if (fixed.length)
      return `${fixed.join(', ')} cannot change --model ${args.model}: its network is fixed in the file (export one with ${fixed.length > 1 ? 'them' : 'it'} instead)`;
  } else {
    const unused = unusedNetworkOption(args);
    if (unused) return unused;
  }
  if (modes.includes('forward-backward')) return undefined;
  const only = args.mode === undefined ? `--model ${args.model} has no gradients` : `--mode ${args.mode}`;
  if (args.fetch !== undefined) return `--fetch is what forward-backward fetches, but this run times forward only (${only})`;
  const training = givenTrainingOptions(args);
  if (training.length)
    return `${training.join(', ')} ${training.length > 1 ? 'shape' : 'shapes'} the forward-backward graph, but this run times forward only (${only})`;
  return undefined;
}

export async function handler(args: Args): Promise<void> {
  await withHumanLinesOn(args, () => bench(args));
}

async function bench(args: Args): Promise<void> {
  if (args.model === '') throw new UsageError('--model needs a file name');
  checkOutputs(args, args.model);
  const cacheProblem = args.autotuneCache === undefined ? undefined : cacheFileProblem(args.autotuneCache);
  if (cacheProblem) throw new UsageError(cacheProblem);
  let o: BenchOptions = {
    ...benchOptionsFrom(args),
    format: args.format as TimeFormat,
    argv: ['alexnet-onnx', ...process.argv.slice(2)],
  };
  const source = o.modelFile ? o.modelFile.path : `built-in AlexNet (batch ${o.model.batch}, LRN ${o.model.lrn}, head ${o.model.head})`;
  const ort =
    o.runtime === 'node'
      ? `onnxruntime-node ${ortNodeVersion()}`
      : `onnxruntime-web ${ortWebVersion()}${o.runtime === 'browser' ? ` in ${o.browserPath}` : ' in Node'}`;
  console.log(`alexnet-onnx bench: ${ort}, EP ${o.ep}, ${source}`);
  for (const note of modelFileNotes(o)) console.log(note);
  const tune = (args.autotune ?? 'on') as AutotuneMode;
  o = await autotune(o, { mode: tune, cacheFile: args.autotuneCache, log: (line) => console.log(line) });
  console.log(modesLine(o));
  // Modes finish one by one: on Ctrl-C or SIGTERM, or when a later mode fails, the finished ones are still reported.
  const finished: ModeResult[] = [];
  const stopWatching = onCleanup((signal) => {
    const unsaved = reportResults(finished, args);
    if (unsaved) console.error(`alexnet-onnx: ${unsaved}`);
    const unfinished = o.modes.filter((m) => !finished.some((r) => r.mode === m)).join(', ');
    const after = finished.length ? `after ${finished.map((r) => r.mode).join(', ')}` : 'before any mode finished';
    console.error(`alexnet-onnx: interrupted by ${signal} ${after} (${unfinished} did not finish)`);
  });
  let results: ModeResult[];
  try {
    results = await withProgress(progressWanted(args.progress), o.modes, (onProgress) =>
      runBench(
        o,
        (line) => console.log(line),
        (r) => finished.push(r),
        onProgress,
      ),
    );
  } catch (err) {
    stopWatching();
    const unsaved = reportResults(finished, args);
    if (unsaved) console.error(`alexnet-onnx: ${unsaved}`);
    throw err;
  } finally {
    stopWatching();
  }
  const unsaved = reportResults(results, args);
  if (unsaved) throw new Error(unsaved);
}
