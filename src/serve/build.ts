import { Worker } from 'node:worker_threads';
import { prepareMode } from '../bench/prepare.js';
import { pageJob, seedLoop } from '../bench/session.js';
import type { BenchMode, BenchOptions } from '../bench/types.js';
import { describeFormulation, formulationFromMetadata } from '../model/formulation.js';
import type { BrowserJob, FeedBytes, JobInfo } from '../runners/page-protocol.js';
import { feedBytes } from '../runners/page-server.js';

/** What to build for one `/api/job` request. Plain data: it crosses to the worker thread. */
export interface BuildRequest {
  options: BenchOptions;
  mode: BenchMode;
}

/** A built job: the page's job without its blob URLs, the facts the page shows, and the bytes to serve. */
export interface BuiltJob {
  job: Omit<BrowserJob, 'modelUrl' | 'feeds'>;
  info: JobInfo;
  model: Uint8Array;
  feeds: FeedBytes[];
}

/** Builds a job; rejects with `JobStopped` once `signal` aborts. */
export type BuildJob = (request: BuildRequest, signal: AbortSignal) => Promise<BuiltJob>;

/** The build was stopped (the server is closing). */
export class JobStopped extends Error {
  override name = 'JobStopped';
  constructor() {
    super('the server is stopping');
  }
}

/** Builds the job in this thread: what the worker runs. */
export function buildJobHere({ options, mode }: BuildRequest): BuiltJob {
  const p = prepareMode(options, mode);
  const formulation = describeFormulation(formulationFromMetadata(p.parsed.metadata, mode === 'forward-backward'));
  return {
    job: pageJob(options, p.fetches, seedLoop(options, mode)),
    info: { mode, batch: p.batch, flopsPerBatch: p.flops, formulation },
    model: p.bytes,
    feeds: feedBytes(p.feeds),
  };
}

/**
 * The worker's script. Always the compiled one in dist/ (also when this file runs from src/ under the tests): a
 * worker thread runs plain JavaScript.
 */
export const BUILD_WORKER = new URL('../../dist/serve/build-worker.js', import.meta.url);

/**
 * Builds the job in a worker thread, so the server keeps answering while a large model is built, and a stop
 * (`signal`) ends the build at once. A fresh worker per job: its memory goes back when it exits.
 */
export function buildInWorker(request: BuildRequest, signal: AbortSignal, script: URL = BUILD_WORKER): Promise<BuiltJob> {
  return new Promise<BuiltJob>((resolve, reject) => {
    if (signal.aborted) return reject(new JobStopped());
    const worker = new Worker(script, { workerData: request });
    let failure: string | undefined;
    const stop = (): void => void worker.terminate();
    signal.addEventListener('abort', stop, { once: true });
    worker.once('message', (m: { built?: BuiltJob; error?: string }) => {
      if (m.built) resolve(m.built);
      else failure = m.error;
    });
    worker.once('error', (err) => {
      failure ??= err.message;
    });
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', stop);
      // no effect when the message already resolved
      reject(signal.aborted ? new JobStopped() : new Error(failure ?? `the model builder exited with code ${code}`));
    });
  });
}
