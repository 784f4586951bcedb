import { benchOptions, countProblem, resourceProblem, unsupported } from '../bench/options.js';
import { BENCH_MODES, type BenchMode, type BenchOptions } from '../bench/types.js';
import { RUNTIME_EPS, type WebEp } from '../common/eps.js';
import { type AlexNetOptions, LRN_PRESETS, validateOptions } from '../model/alexnet.js';
import { validateTraining } from '../model/training.js';
import type { PageControls } from '../runners/page-protocol.js';

/** A request the page made wrongly: answered 400 with this message. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

/** The page's number controls and the `bench` options they stand for: messages name the option, as the CLI's do. */
const NUMBERS = {
  batch: 'batch',
  imageSize: 'image-size',
  steps: 'steps',
  burnIn: 'burn-in',
  logEvery: 'log-every',
  threads: 'threads',
} as const;

type NumberControl = keyof typeof NUMBERS;

/** What the page's choice controls offer: `mode` adds `both`, as `bench --mode` does. */
const CHOICES = {
  ep: RUNTIME_EPS.browser as readonly WebEp[],
  mode: [...BENCH_MODES, 'both'] as const,
  lrn: [...(Object.keys(LRN_PRESETS) as (keyof typeof LRN_PRESETS)[]), 'none'] as const,
  head: ['none', 'fc'] as const,
};

type ChoiceControl = keyof typeof CHOICES;

/** `bench`'s defaults for the browser runtime: the CLI's own `benchOptions()`, so the page starts where the CLI does. */
const cliDefaults = (): BenchOptions => benchOptions({ runtime: 'browser' });

/** The page's controls: each one's choices and its default, which is `bench --runtime browser`'s. */
export function pageControls(): PageControls {
  const o = cliDefaults();
  const defaults: Record<NumberControl | ChoiceControl, string> = {
    ep: o.ep,
    mode: o.modes.length === 1 ? o.modes[0]! : 'both',
    batch: String(o.model.batch),
    imageSize: String(o.model.imageSize),
    lrn: o.model.lrn,
    head: o.model.head,
    steps: String(o.steps),
    burnIn: String(o.burnIn),
    logEvery: String(o.logEvery),
    threads: String(o.threads),
  };
  return { defaults, choices: CHOICES };
}

function choice<K extends ChoiceControl>(q: URLSearchParams, name: K, fallback: string): (typeof CHOICES)[K][number] {
  const v = q.get(name) || fallback;
  const allowed = CHOICES[name] as readonly string[];
  // the option's own name, as bench's refusal of a bad choice reads
  if (!allowed.includes(v)) throw new BadRequest(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as (typeof CHOICES)[K][number];
}

/** A number control's value, or its default when absent or empty; whether it is a usable count is checked later. */
function number(q: URLSearchParams, name: NumberControl, fallback: number): number {
  const raw = q.get(name);
  return raw === null || raw.trim() === '' ? fallback : Number(raw);
}

/** `bench`'s check of a loop count (`--steps`, `--burn-in`, `--log-every`, `--threads`), naming the control's option. */
function loopCountProblem(name: NumberControl, value: number, min: number): string | undefined {
  return countProblem(NUMBERS[name], value, min);
}

/**
 * The first reason `bench` would refuse these options, in the order the CLI checks them (network, training graph,
 * loop counts, what cannot run, what this machine cannot give), with the CLI's own message; undefined when it runs.
 */
export function benchProblem(o: BenchOptions): string | undefined {
  const network = validateOptions(o.model);
  if (network.length) return network.join('; ');
  const training = validateTraining(o.model, o.training);
  if (training.length) return training.join('; ');
  return (
    loopCountProblem('steps', o.steps, 1) ??
    loopCountProblem('burnIn', o.burnIn, 0) ??
    loopCountProblem('logEvery', o.logEvery, 1) ??
    loopCountProblem('threads', o.threads, 0) ??
    unsupported(o) ??
    resourceProblem(o)
  );
}

/**
 * Turns the page's controls (query parameters ep, mode, batch, imageSize, lrn, head, steps, burnIn, logEvery,
 * threads; an absent or empty one takes `bench`'s default) into the options `bench --runtime browser` would run, with
 * the EP's graph formulation chosen as `bench` chooses it. Refuses (`BadRequest`) what `bench` refuses, with its
 * message.
 */
export function benchOptionsFromQuery(q: URLSearchParams): BenchOptions {
  const d = cliDefaults();
  const ep = choice(q, 'ep', d.ep);
  const mode = choice(q, 'mode', d.modes.length === 1 ? d.modes[0]! : 'both');
  const model: Partial<AlexNetOptions> = {
    batch: number(q, 'batch', d.model.batch as number),
    imageSize: number(q, 'imageSize', d.model.imageSize),
    lrn: choice(q, 'lrn', d.model.lrn),
    head: choice(q, 'head', d.model.head),
  };
  const options = benchOptions({
    runtime: 'browser',
    ep,
    modes: mode === 'both' ? [...BENCH_MODES] : [mode],
    steps: number(q, 'steps', d.steps),
    burnIn: number(q, 'burnIn', d.burnIn),
    logEvery: number(q, 'logEvery', d.logEvery),
    threads: number(q, 'threads', d.threads),
    model,
  });
  const problem = benchProblem(options);
  if (problem) throw new BadRequest(problem);
  return options;
}

/** The one mode a job request builds (`mode` forward or forward-backward), with its checked options. */
export function jobFromQuery(q: URLSearchParams): { options: BenchOptions; mode: BenchMode } {
  const options = benchOptionsFromQuery(q);
  if (options.modes.length !== 1) throw new BadRequest(`a job times one mode: mode must be one of ${BENCH_MODES.join(', ')}`);
  return { options, mode: options.modes[0]! };
}
