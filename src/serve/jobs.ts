import type { ServerResponse } from 'node:http';
import { benchOptions, maxThreads, resourceProblem } from '../bench/options.js';
import { BENCH_MODES, type BenchMode, type BenchOptions, DEFAULT_LOOP } from '../bench/types.js';
import { RUNTIME_EPS, type WebEp } from '../common/eps.js';
import { DEFAULT_OPTIONS, type LrnPreset, validateOptions } from '../model/alexnet.js';
import { validateTraining } from '../model/training.js';
import type { JobResponse } from '../runners/page-protocol.js';
import { type ApiHandler, type PageServer, send } from '../runners/page-server.js';
import { type BuildJob, type BuildRequest, buildInWorker, JobStopped } from './build.js';
import { HeldJobs } from './held-jobs.js';

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
  const mode = choiceParam<BenchMode>(q, 'mode', BENCH_MODES, 'forward');
  const options = benchOptions({
    runtime: 'browser',
    ep,
    modes: [mode],
    steps: intParam(q, 'steps', DEFAULT_LOOP.steps, 1, 10_000),
    burnIn: intParam(q, 'burnIn', DEFAULT_LOOP.burnIn, 0, 1000),
    logEvery: intParam(q, 'logEvery', DEFAULT_LOOP.logEvery, 1, 10_000),
    threads: intParam(q, 'threads', 0, 0, maxThreads()),
    model: {
      batch: intParam(q, 'batch', DEFAULT_OPTIONS.batch as number, 1, 512),
      imageSize: intParam(q, 'imageSize', DEFAULT_OPTIONS.imageSize, 1, 1024),
      lrn: choiceParam<LrnPreset | 'none'>(q, 'lrn', ['tf-benchmark', 'paper', 'none'], 'tf-benchmark'),
      head: choiceParam(q, 'head', ['none', 'fc'] as const, 'none'),
    },
  });
  const problems = [...validateOptions(options.model), ...validateTraining(options.model, options.training)];
  if (!problems.length) {
    // the job's model is built here and run in a browser on this machine: the bench's memory bound applies
    const tooMuch = resourceProblem(options);
    if (tooMuch) problems.push(tooMuch);
  }
  if (problems.length) throw new BadRequest(problems.join('; ').replace(/--/g, ''));
  return { options, mode };
}

/** The job API and how to stop it. */
export interface JobApi {
  handle: ApiHandler;
  /** Stops a build in progress (its request is answered 503) and drops every job's blobs. */
  close(): void;
}

/** Seconds a busy answer asks the page to wait before asking again. */
export const RETRY_AFTER_S = 2;

const TEXT = 'text/plain; charset=utf-8';

function busy(res: ServerResponse, message: string): true {
  send(res, 503, TEXT, message, { 'Retry-After': String(RETRY_AFTER_S) });
  return true;
}

const describe = ({ options, mode }: BuildRequest): string =>
  `${mode}, batch ${options.model.batch}, image size ${options.model.imageSize}, ${options.ep}`;

/**
 * The `serve` page's API: `GET /api/job?...` builds the model for the chosen controls (in a worker thread, one job at
 * a time: a request meanwhile is answered 503 with Retry-After, and the page asks again), serves its bytes (and
 * feeds) from the page server until the page has downloaded them (`HeldJobs`), and answers the job to run.
 * `build` replaces the worker (tests); `log` gets a line per job.
 */
export function jobApi(server: () => PageServer, o: { build?: BuildJob; log?: (line: string) => void } = {}): JobApi {
  const build = o.build ?? buildInWorker;
  const held = new HeldJobs(server);
  const stop = new AbortController();
  let building: string | undefined;
  let jobs = 0;
  const handle = async (url: URL, res: ServerResponse): Promise<boolean> => {
    if (url.pathname !== '/api/job') return false;
    let request: BuildRequest;
    try {
      request = benchOptionsFromQuery(url.searchParams);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      send(res, 400, TEXT, err.message);
      return true;
    }
    if (stop.signal.aborted) {
      send(res, 503, TEXT, new JobStopped().message);
      return true;
    }
    if (building) return busy(res, `the server builds one job at a time and is building ${building}: try again in ${RETRY_AFTER_S} s`);
    if (!held.makeRoom()) return busy(res, `${held.count} built jobs are being downloaded by their pages: try again in ${RETRY_AFTER_S} s`);
    const id = ++jobs;
    building = `job ${id} (${describe(request)})`;
    o.log?.(`building ${building}`);
    let body: JobResponse;
    let bytes = 0;
    try {
      const built = await build(request, stop.signal);
      bytes = built.model.byteLength + built.feeds.reduce((sum, f) => sum + f.bytes.byteLength, 0);
      body = { job: { ...built.job, ...held.add(built) }, info: built.info };
    } catch (err) {
      o.log?.(`job ${id} failed: ${(err as Error).message ?? err}`);
      if (!(err instanceof JobStopped)) throw err;
      send(res, 503, TEXT, err.message);
      return true;
    } finally {
      building = undefined;
    }
    o.log?.(`job ${id} built: ${(bytes / 1e6).toFixed(1)} MB for its page to download`);
    send(res, 200, 'application/json', JSON.stringify(body));
    return true;
  };
  return {
    handle,
    close() {
      stop.abort();
      held.clear();
    },
  };
}
