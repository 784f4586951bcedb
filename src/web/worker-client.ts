/**
 * The page's side of the job worker (`job-worker.ts`): runs one job at a time there, relays its lines and progress,
 * and stops it by terminating the worker. Browser code: no Node imports.
 */
import type { PageSessionCall, PageSessionReply } from '../runners/browser-train-protocol.js';
import type { BrowserJob, BrowserJobResult } from '../runners/page-protocol.js';
import type { WorkerMessage, WorkerRequest } from './job-worker.js';
import type { JobReporter } from './run-job.js';

/** The run was stopped from the page (`JobRunner.stop`): not a failure. */
export class RunStopped extends Error {
  override name = 'RunStopped';
  constructor() {
    super('stopped');
  }
}

/** The compiled worker, beside this module in the server's copy of dist/. */
const WORKER_URL = new URL('./job-worker.js', import.meta.url);

/**
 * Runs jobs in a dedicated worker. The worker (and the onnxruntime-web it has loaded) is kept for the next job; it is
 * replaced after a stop or a failure, since a job cut short or failed may leave onnxruntime-web's state half-made.
 */
export class JobRunner {
  private worker: Worker | undefined;
  private current: { reject(err: Error): void } | undefined;

  /** Whether a job is running. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Runs `job` in the worker; `report` hears its lines and progress as they happen. */
  run(job: BrowserJob, report: JobReporter): Promise<BrowserJobResult> {
    if (this.current) return Promise.reject(new Error('a job is already running in this page'));
    this.worker ??= new Worker(WORKER_URL, { type: 'module', name: 'alexnet-onnx job' });
    const worker = this.worker;
    return new Promise<BrowserJobResult>((resolve, reject) => {
      const done = (fail?: Error): void => {
        worker.onmessage = null;
        worker.onerror = null;
        this.current = undefined;
        if (fail) this.discard();
      };
      this.current = {
        reject: (err) => {
          done(err);
          reject(err);
        },
      };
      worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
        if (data.kind === 'line') report.log(data.line);
        else if (data.kind === 'progress') report.progress(data.progress);
        else if (data.kind === 'result') {
          done();
          resolve(data.result);
        } else if (data.kind === 'error') this.current?.reject(new Error(data.message));
      };
      // the worker's script failed to load or threw outside a job
      worker.onerror = (event) => {
        event.preventDefault();
        this.current?.reject(new Error(`the job worker failed: ${event.message || 'it could not start'}`));
      };
      worker.postMessage({ job } satisfies WorkerRequest);
    });
  }

  /** Ends the running job at once (its promise rejects with `RunStopped`); the next job gets a fresh worker. */
  stop(): void {
    this.current?.reject(new RunStopped());
    this.discard();
  }

  private discard(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}

/**
 * A job worker of its own for the sessions `train --runtime browser` keeps in the page (`train-sessions.ts`): calls go
 * in by id and may overlap; a worker that fails fails every call waiting on it.
 */
class SessionWorker {
  private readonly worker = new Worker(WORKER_URL, { type: 'module', name: 'alexnet-onnx sessions' });
  private readonly waiting = new Map<number, { resolve(reply: unknown): void; reject(err: Error): void }>();
  private nextId = 1;

  constructor() {
    this.worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
      if (data.kind !== 'reply' && data.kind !== 'call-error') return;
      const call = this.waiting.get(data.id);
      this.waiting.delete(data.id);
      if (data.kind === 'reply') call?.resolve(data.reply);
      else call?.reject(new Error(data.message));
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      const err = new Error(`the job worker failed: ${event.message || 'it could not start'}`);
      for (const call of this.waiting.values()) call.reject(err);
      this.waiting.clear();
    };
  }

  call<C extends PageSessionCall>(call: C): Promise<PageSessionReply<C>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (reply: unknown) => void, reject });
      this.worker.postMessage({ call, id } satisfies WorkerRequest);
    });
  }
}

let sessions: SessionWorker | undefined;

/** Answers a call to the page's sessions in their worker (started at the first call); Node calls this through Playwright. */
export function callPageSessions<C extends PageSessionCall>(call: C): Promise<PageSessionReply<C>> {
  sessions ??= new SessionWorker();
  return sessions.call(call);
}
