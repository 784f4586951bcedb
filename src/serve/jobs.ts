import type { ServerResponse } from 'node:http';
import { DEFAULT_OPTIONS, validateOptions, type AlexNetOptions, type LrnPreset } from '../model/alexnet.js';
import { DEFAULT_TRAINING, validateTraining } from '../model/training.js';
import { DEFAULT_LOOP, formulationFor, formulationOf, pageJob, prepareMode, seedLoop, type BenchMode, type BenchOptions } from '../bench/bench.js';
import { describeFormulation } from '../bench/report.js';
import { RUNTIME_EPS, type WebEp } from '../runners/types.js';
import type { BrowserJob } from '../web/job.js';
import { send, serveFeeds, type ApiHandler, type PageServer } from './server.js';

/** What the page shows beside a job's timings. */
export interface JobInfo {
  mode: BenchMode;
  batch: number;
  flopsPerBatch: number | null;
  formulation: string;
}

/** A job and its facts, as `/api/job` returns them. */
export interface JobResponse {
  job: BrowserJob;
  info: JobInfo;
}

/** A request the page made wrongly: answered 400 with this message. */
class BadRequest extends Error {}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new BadRequest(`${name} must be an integer in [${min}, ${max}], got ${raw}`);
  return v;
}

function choiceParam<T extends string>(q: URLSearchParams, name: string, choices: readonly T[], fallback: T): T {
  const v = q.get(name) ?? fallback;
  if (!choices.includes(v as T)) throw new BadRequest(`${name} must be one of ${choices.join(', ')}, got ${v}`);
  return v as T;
}

/**
 * Turns the page's controls (query parameters ep, mode, batch, imageSize, lrn, head, steps, burnIn, logEvery, threads)
 * into the same benchmark options the CLI builds, with the CLI's defaults, with the EP's graph formulation chosen as `bench` chooses it.
 */
export function benchOptionsFromQuery(q: URLSearchParams): { options: BenchOptions; mode: BenchMode } {
  const ep = choiceParam(q, 'ep', RUNTIME_EPS.browser as readonly WebEp[], 'wasm');
  const mode = choiceParam<BenchMode>(q, 'mode', ['forward', 'forward-backward'], 'forward');
  const f = formulationFor(ep);
  const model: AlexNetOptions = {
    ...DEFAULT_OPTIONS,
    batch: intParam(q, 'batch', DEFAULT_OPTIONS.batch as number, 1, 512),
    imageSize: intParam(q, 'imageSize', DEFAULT_OPTIONS.imageSize, 1, 1024),
    lrn: choiceParam<LrnPreset | 'none'>(q, 'lrn', ['tf-benchmark', 'paper', 'none'], 'tf-benchmark'),
    head: choiceParam(q, 'head', ['none', 'fc'] as const, 'none'),
    lrnImpl: f.lrnImpl,
    dropoutImpl: f.dropoutImpl,
  };
  const training = { ...DEFAULT_TRAINING, maxpoolGrad: f.maxpoolGrad, convWeightGrad: f.convWeightGrad, convDataGrad: f.convDataGrad };
  const problems = [...validateOptions(model), ...validateTraining(model, training)];
  if (problems.length) throw new BadRequest(problems.join('; ').replace(/--/g, ''));
  const options: BenchOptions = {
    runtime: 'browser',
    ep,
    modes: [mode],
    steps: intParam(q, 'steps', DEFAULT_LOOP.steps, 1, 10_000),
    burnIn: intParam(q, 'burnIn', DEFAULT_LOOP.burnIn, 0, 1000),
    logEvery: intParam(q, 'logEvery', DEFAULT_LOOP.logEvery, 1, 10_000),
    threads: intParam(q, 'threads', 0, 0, 256),
    graphOpt: 'all',
    tf32: false,
    input: 'device',
    fetch: 'grads',
    model,
    training,
    profileSteps: 0,
    profileMethod: 'auto',
  };
  return { options, mode };
}

/**
 * The `serve` page's API: `GET /api/job?...` builds the model for the chosen controls, serves its bytes (and feeds)
 * from the page server, and answers the job to run. Blobs of the previous job are dropped when a new one is built.
 */
export function jobApi(server: () => PageServer): ApiHandler {
  let previous: string[] = [];
  return async (url: URL, res: ServerResponse): Promise<boolean> => {
    if (url.pathname !== '/api/job') return false;
    let body: JobResponse;
    try {
      const { options, mode } = benchOptionsFromQuery(url.searchParams);
      const p = prepareMode(options, mode);
      previous.forEach((b) => server().drop(b));
      const modelUrl = server().addBlob(p.bytes);
      const feeds = serveFeeds(server(), p.feeds);
      previous = [modelUrl, ...feeds.map((f) => f.url)];
      const job: BrowserJob = { ...pageJob(options, p.fetches, seedLoop(options, mode)), modelUrl, feeds };
      const formulation = describeFormulation(formulationOf(p.parsed.metadata, mode));
      body = { job, info: { mode, batch: p.batch, flopsPerBatch: p.flops, formulation } };
    } catch (err) {
      if (err instanceof BadRequest) {
        send(res, 400, 'text/plain; charset=utf-8', err.message);
        return true;
      }
      throw err;
    }
    send(res, 200, 'application/json', JSON.stringify(body));
    return true;
  };
}
