/**
 * A training step's feeds from run to run: the previous run's `.next` outputs fed back as its inputs, and the step
 * counter. Shared by the runners in Node and the page's job (browser code: no Node imports).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { Feedback } from './types.js';

/**
 * Session options that keep `outputs` on the device on WebGPU (`preferredOutputLocation: 'gpu-buffer'`), as training
 * does with the outputs it feeds back: the parameters and optimizer state then never cross to the host between steps.
 * Nothing elsewhere: on the CPU and WebAssembly EPs outputs are host memory anyway.
 */
export function keepOnDevice(ep: string, outputs: readonly string[]): InferenceSession.SessionOptions {
  if (ep !== 'webgpu' || !outputs.length) return {};
  return { preferredOutputLocation: Object.fromEntries(outputs.map((n) => [n, 'gpu-buffer' as const])) };
}

/** `keepOnDevice` for the outputs a training step feeds back. */
export function feedbackOutputOptions(ep: string, feedback: readonly Feedback[] = []): InferenceSession.SessionOptions {
  return keepOnDevice(
    ep,
    feedback.map((f) => f.output),
  );
}

/** The feeds of each run of one session. */
export interface StepFeeds {
  /** The feeds of the next run (with the counter, where there is one, at its run number). */
  next(): Record<string, Tensor>;
  /** Takes a run's outputs: each fed-back output becomes its input's feed; a device tensor it replaces is released. */
  fedBack(outputs: Record<string, Tensor>): void;
  /** Releases the device tensors still held as feeds. */
  release(): void;
}

/**
 * Feeds that start as `initial` and follow `feedback` and `counter` (see `RunnerOptions`); `int64` makes the counter's
 * scalar with the runtime's own Tensor class. Without feedback and counter, every run gets `initial` as it is.
 */
export function stepFeeds(
  initial: Record<string, Tensor>,
  o: { feedback?: readonly Feedback[]; counter?: string },
  int64: (value: bigint) => Tensor,
): StepFeeds {
  const feeds = { ...initial };
  // only outputs are released: the first feeds belong to the caller
  const owned = new Set<Tensor>();
  const releaseIfOwned = (t: Tensor | undefined): void => {
    if (!t || !owned.delete(t)) return;
    if (t.location === 'gpu-buffer') t.dispose();
  };
  let runs = 0;
  return {
    next() {
      if (o.counter) feeds[o.counter] = int64(BigInt(++runs));
      return feeds;
    },
    fedBack(outputs) {
      for (const f of o.feedback ?? []) {
        const t = outputs[f.output];
        if (!t) throw new Error(`the step fetched no '${f.output}' to feed back as '${f.input}'`);
        releaseIfOwned(feeds[f.input]);
        feeds[f.input] = t;
        owned.add(t);
      }
    },
    release() {
      for (const t of [...owned]) releaseIfOwned(t);
    },
  };
}
