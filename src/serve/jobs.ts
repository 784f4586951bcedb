import type { ServerResponse } from 'node:http';
import type { JobResponse, RunCheck } from '../runners/page-protocol.js';
import { type ApiHandler, type PageServer, send } from '../runners/page-server.js';
import { type BuildJob, type BuildRequest, buildInWorker, JobStopped } from './build.js';
import { HeldJobs } from './held-jobs.js';
import { BadRequest, benchOptionsFromQuery, jobFromQuery, pageControls } from './query.js';

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

const JSON_TYPE = 'application/json';

/** Answers a `BadRequest` from `parse` with 400 and its message; undefined then. */
function parsed<T>(res: ServerResponse, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    send(res, 400, TEXT, err.message);
    return undefined;
  }
}

/**
 * The `serve` page's API. `GET /api/controls`: the controls' choices and `bench`'s defaults. `GET /api/check?...`:
 * whether `bench` would run these controls (all their modes), 400 with its message if not. `GET /api/job?...&mode=M`
 * builds the model of one mode (in a worker thread, one job at a time: a request meanwhile is answered 503 with
 * Retry-After, and the page asks again), serves its bytes (and feeds) from the page server until the page has
 * downloaded them (`HeldJobs`), and answers the job to run. `build` replaces the worker (tests); `log` gets a line
 * per job.
 */
export function jobApi(server: () => PageServer, o: { build?: BuildJob; log?: (line: string) => void } = {}): JobApi {
  const build = o.build ?? buildInWorker;
  const held = new HeldJobs(server);
  const stop = new AbortController();
  let building: string | undefined;
  let jobs = 0;
  const handle = async (url: URL, res: ServerResponse): Promise<boolean> => {
    if (url.pathname === '/api/controls') {
      send(res, 200, JSON_TYPE, JSON.stringify(pageControls()));
      return true;
    }
    if (url.pathname === '/api/check') {
      const options = parsed(res, () => benchOptionsFromQuery(url.searchParams));
      if (options) send(res, 200, JSON_TYPE, JSON.stringify({ modes: options.modes } satisfies RunCheck));
      return true;
    }
    if (url.pathname !== '/api/job') return false;
    const request: BuildRequest | undefined = parsed(res, () => jobFromQuery(url.searchParams));
    if (!request) return true;
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
    send(res, 200, JSON_TYPE, JSON.stringify(body));
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
