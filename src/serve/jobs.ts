import type { ServerResponse } from 'node:http';
import { benchOptions } from '../bench/options.js';
import { prepareMode } from '../bench/prepare.js';
import { pageJob, seedLoop } from '../bench/session.js';
import { BENCH_MODES, type BenchMode, type BenchOptions, DEFAULT_LOOP } from '../bench/types.js';
import { RUNTIME_EPS, type WebEp } from '../common/eps.js';
import { DEFAULT_OPTIONS, type LrnPreset, validateOptions } from '../model/alexnet.js';
import { describeFormulation, formulationFromMetadata } from '../model/formulation.js';
import { validateTraining } from '../model/training.js';
import type { BrowserJob, JobResponse } from '../runners/page-protocol.js';
import { type ApiHandler, type PageServer, send, serveFeeds } from '../runners/page-server.js';

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
    threads: intParam(q, 'threads', 0, 0, 256),
    model: {
      batch: intParam(q, 'batch', DEFAULT_OPTIONS.batch as number, 1, 512),
      imageSize: intParam(q, 'imageSize', DEFAULT_OPTIONS.imageSize, 1, 1024),
      lrn: choiceParam<LrnPreset | 'none'>(q, 'lrn', ['tf-benchmark', 'paper', 'none'], 'tf-benchmark'),
      head: choiceParam(q, 'head', ['none', 'fc'] as const, 'none'),
    },
  });
  const problems = [...validateOptions(options.model), ...validateTraining(options.model, options.training)];
  if (problems.length) throw new BadRequest(problems.join('; ').replace(/--/g, ''));
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
      const formulation = describeFormulation(formulationFromMetadata(p.parsed.metadata, mode === 'forward-backward'));
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
