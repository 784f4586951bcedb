/**
 * The page's job worker: a dedicated module worker that runs benchmark jobs with onnxruntime-web, so the page's own
 * thread stays free to draw while a job runs (onnxruntime-web's WebAssembly build blocks the thread that calls
 * `session.run` until the step ends). Stopping a job is terminating this worker. It also answers calls to the
 * sessions `train --runtime browser` keeps here (`train-sessions.ts`). Browser code: no Node imports.
 */
import type { PageSessionCall } from '../runners/browser-train-protocol.js';
import type { BrowserJob, BrowserJobResult } from '../runners/page-protocol.js';
import { installLogTee, type JobProgress, runJob } from './run-job.js';
import { pageSessionCall } from './train-sessions.js';

/** What the worker posts to the page, in order: lines and progress while the job runs, then its result or error. */
export type WorkerMessage =
  | { kind: 'line'; line: string }
  | { kind: 'progress'; progress: JobProgress }
  | { kind: 'result'; result: BrowserJobResult }
  | { kind: 'error'; message: string }
  | { kind: 'reply'; id: number; reply: unknown }
  | { kind: 'call-error'; id: number; message: string };

/** What the page posts to the worker: one job at a time, or a call to the page's sessions (answered by its `id`). */
export type WorkerRequest = { job: BrowserJob } | { call: PageSessionCall; id: number };

/** A step counter redrawn more often than this only costs the timed steps a message each. */
export const PROGRESS_EVERY_MS = 100;

/** The part of a dedicated worker's global scope used here (the DOM typings this project compiles with lack it). */
interface WorkerScope {
  postMessage(message: WorkerMessage): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;

installLogTee();

/** Posts progress when the phase changes, at the last step, and otherwise at most every `PROGRESS_EVERY_MS`. */
function progressPoster(): (p: JobProgress) => void {
  let lastPhase = '';
  let lastPost = 0;
  return (p) => {
    const now = performance.now();
    const last = p.phase === 'steps' && p.step === p.of;
    if (p.phase === lastPhase && !last && now - lastPost < PROGRESS_EVERY_MS) return;
    lastPhase = p.phase;
    lastPost = now;
    scope.postMessage({ kind: 'progress', progress: p });
  };
}

scope.onmessage = ({ data }) => {
  if ('call' in data) {
    const { id } = data;
    pageSessionCall(data.call).then(
      (reply) => scope.postMessage({ kind: 'reply', id, reply }),
      (err: unknown) => scope.postMessage({ kind: 'call-error', id, message: (err as Error)?.message ?? String(err) }),
    );
    return;
  }
  const report = { log: (line: string) => scope.postMessage({ kind: 'line', line }), progress: progressPoster() };
  runJob(data.job, report).then(
    (result) => scope.postMessage({ kind: 'result', result }),
    (err: unknown) => scope.postMessage({ kind: 'error', message: (err as Error)?.message ?? String(err) }),
  );
};
