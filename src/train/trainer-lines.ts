import { stepLine, summaryLine, timestamp, varianceWarning } from '../bench/format.js';
import type { Statistics } from '../bench/statistics.js';

/** The seeds' label of the training step's timing summary. */
export const TRAIN_STEP_LABEL = 'Training step';

/** `<time>: step 10, duration = 0.123, loss = 2.301, accuracy = 0.125`: the seeds' step line with the batch's loss and accuracy. */
export function trainStepLine(epochMs: number, r: { step: number; durationS: number; loss: number; accuracy: number }): string {
  return `${stepLine(epochMs, r.step, r.durationS)}, loss = ${r.loss.toFixed(3)}, accuracy = ${r.accuracy.toFixed(3)}`;
}

/** `<time>: step 100, held-out accuracy = 0.861 (1000 images)`. */
export function evalLine(epochMs: number, r: { step: number; accuracy: number; images: number }): string {
  return `${timestamp(epochMs)}: step ${r.step}, held-out accuracy = ${r.accuracy.toFixed(3)} (${r.images} images)`;
}

/**
 * The seeds' summary of the full training step (forward, backward, update: one `run`), `Training step across N steps,
 * mean +/- sd sec / batch`, the first `burnIn` steps left out as bench's burn-in, and the noisy-timings warning.
 */
export function trainSummaryLines(epochMs: number, s: Statistics, burnIn: number): string[] {
  const line = `${summaryLine(epochMs, TRAIN_STEP_LABEL, s.n, s.mean, s.sd)} (the first ${burnIn} steps left out)`;
  const warning = varianceWarning(TRAIN_STEP_LABEL, s.mean, s.sd);
  return warning ? [line, warning] : [line];
}
