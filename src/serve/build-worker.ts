/** The worker thread of `buildInWorker`: builds one job and posts it back, moving its large buffers rather than copying. */
import { parentPort, workerData } from 'node:worker_threads';
import { type BuildRequest, type BuiltJob, buildJobHere } from './build.js';

function post(built: BuiltJob): void {
  const views = [built.model, ...built.feeds.map((f) => f.bytes)];
  // only buffers a view covers whole can move; others (a pooled Buffer's slab) are copied
  const whole = views.filter((v) => v.byteOffset === 0 && v.byteLength === v.buffer.byteLength).map((v) => v.buffer as ArrayBuffer);
  try {
    parentPort!.postMessage({ built }, [...new Set(whole)]);
  } catch {
    parentPort!.postMessage({ built });
  }
}

try {
  post(buildJobHere(workerData as BuildRequest));
} catch (err) {
  parentPort!.postMessage({ error: (err as Error).message ?? String(err) });
}
