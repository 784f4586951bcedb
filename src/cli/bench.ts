import { homedir } from 'node:os';
import type { Argv } from 'yargs';
import { AUTOTUNE_MODES, type AutotuneMode, autotune } from '../bench/autotune.js';
import { cacheFileProblem, defaultCacheFile } from '../bench/autotune-cache.js';
import { TIME_FORMATS, type TimeFormat } from '../bench/format.js';
import { plannedFormulation } from '../bench/options.js';
import { modelFileNotes } from '../bench/prepare.js';
import { runBench } from '../bench/run.js';
import { describeTrainStep, trainStepOf } from '../bench/train-step.js';
import { type BenchOptions, DEFAULT_BENCH_LR, DEFAULT_LOOP, type ModeResult, PROFILE_METHODS } from '../bench/types.js';
import { onCleanup } from '../common/cleanup.js';
import { describeFormulation } from '../model/formulation.js';
import { OPTIMIZER_KINDS, optimizerFromMetadata } from '../model/optimizer.js';
import { ortNodeVersion, ortWebVersion } from '../runners/packages.js';
import { type BenchArgs, benchOptionsFrom, MODE_CHOICES } from './bench-checks.js';
import { checkOutputs, jsonDashAsValue, reportResults, withHumanLinesOn } from './bench-output.js';
import { UsageError } from './errors.js';
import { OPTIMIZER_OPTIONS, SEEDS_EPILOGUE, withModelOptions, withOptimizerOptions, withTrainingOptions } from './model-options.js';
import { progressWanted, withProgress } from './progress.js';
import { withRuntimeOptions } from './run-options.js';

export const command = 'bench';
export const describe = "Time AlexNet forward and forward-backward on ONNX Runtime with the seeds' burn-in statistics";

export function builder(y: Argv) {
  return withRuntimeOptions(
    withOptimizerOptions(withTrainingOptions(withModelOptions(y, true, true), true), OPTIMIZER_KINDS[0]!, 'train-step: '),
  )
    .group(['model'], 'Model:')
    .group(['runtime', 'ep', 'browser', 'mode', 'steps', 'burn-in', 'log-every', 'input', 'fetch', 'threads', 'graph-opt', 'tf32'], 'Run:')
    .group(['json'], 'Output:')
    .group(['profile', 'profile-method'], 'Profile:')
    .example('$0 bench --batch 8 --steps 10 --burn-in 2', 'time both modes at batch 8 on the CPU EP')
    .example('$0 bench --mode train-step --optimizer adamw', 'time training steps: forward, backward, AdamW update')
    .example('$0 bench --profile 5 --json r.json', 'add a per-layer table; write the results to r.json')
    .example('$0 bench --model graphs/alexnet-training.onnx', "time a file written by 'export --grad'")
    .epilogue(SEEDS_EPILOGUE)
    .option('mode', {
      describe:
        "what to time: both = forward and forward-backward (the default, as the seeds); train-step = forward, backward and the optimizer's update, each step fed the previous step's parameters and state; all = the three. A --model without gradients: forward; one of 'export --train-step': train-step",
      choices: MODE_CHOICES,
    })
    .option('lr', {
      describe: `train-step: the learning rate fed as the step's lr input (default ${DEFAULT_BENCH_LR}; it changes the values, not the work)`,
      type: 'number',
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
    .group([...OPTIMIZER_OPTIONS, 'lr'], 'Training step (--mode train-step):')
    .group(['append', 'format', 'progress'], 'Output:')
    .middleware(jsonDashAsValue, true);
}

/** The header's line on what the run times, saying only what applies to the modes being run. */
export function modesLine(o: BenchOptions): string {
  const backward = o.modes.includes('forward-backward');
  const step = o.modes.includes('train-step');
  const parts = [`${o.modes.length > 1 ? 'modes' : 'mode'} ${o.modes.join(', ')}`, `input on ${o.input}`];
  if (backward) parts.push(`forward-backward fetches ${o.fetch === 'grads' ? 'every gradient' : 'grad_sq_sum only'}`);
  if (step) parts.push(trainStepPart(o));
  const loss = backward ? o.training.loss : trainStepOf(o).loss;
  const source = o.modelFile ? ` (${o.modelFile.path}'s metadata)` : backward || step ? `, loss ${loss}, wrt ${o.training.wrt}` : '';
  parts.push(`graph: ${describeFormulation(plannedFormulation(o))}${source}`);
  return parts.join('; ');
}

/** What a training step runs and fetches: its optimizer, and the outputs fed back (kept on the GPU on webgpu). */
function trainStepPart(o: BenchOptions): string {
  const s = trainStepOf(o);
  const settings = o.modelFile ? optimizerFromMetadata(o.modelFile.metadata) : s.optimizer;
  const optimizer = settings ? describeTrainStep(settings, s.lr) : `lr ${s.lr}`;
  const loss = o.modelFile || !o.modes.includes('forward-backward') || s.loss === o.training.loss ? '' : `, loss ${s.loss}`;
  const where = o.ep === 'webgpu' ? 'kept on the GPU and fed back' : 'fed back';
  return `train-step ${optimizer}${loss}, fetches loss and every .next output (parameters and optimizer state, ${where} as the next step's inputs)`;
}

export async function handler(args: BenchArgs): Promise<void> {
  await withHumanLinesOn(args, () => bench(args));
}

async function bench(args: BenchArgs): Promise<void> {
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
