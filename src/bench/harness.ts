// Only the global `performance` here: the browser page runs this same loop.
import { stepLine, summaryLine, type TimeFormat, varianceWarning } from './format.js';
import { type Statistics, summarize } from './statistics.js';

/** The seeds' loop settings, and where its lines go. */
export interface LoopOptions {
  label: string;
  burnIn: number;
  steps: number;
  logEvery: number;
  /** How the lines give times (default `seeds`: exactly the seeds' lines). */
  format?: TimeFormat;
  /** Receives each output line. */
  log: (line: string) => void;
}

/** What the loop measured. */
export interface LoopResult {
  /** Timed step durations in seconds (burn-in excluded). */
  durations: number[];
  stats: Statistics;
}

/** Wall-clock now in epoch milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The seeds' timing loop: `burnIn` untimed steps, then `steps` timed ones, a line every `logEvery` timed steps,
 * then the summary line with the mean and population sd, and a warning line after it when the timings are noisy
 * (`varianceWarning`). Each step is awaited to completion (outputs on the host).
 */
export async function timeLoop(step: () => Promise<unknown>, o: LoopOptions): Promise<LoopResult> {
  const durations: number[] = [];
  for (let i = 0; i < o.burnIn + o.steps; i++) {
    const start = performance.now();
    await step();
    const duration = (performance.now() - start) / 1000;
    if (i < o.burnIn) continue;
    const k = i - o.burnIn;
    if (k % o.logEvery === 0) o.log(stepLine(nowMs(), k, duration, o.format));
    durations.push(duration);
  }
  const stats = summarize(durations);
  o.log(summaryLine(nowMs(), o.label, o.steps, stats.mean, stats.sd, o.format));
  const warning = varianceWarning(o.label, stats.mean, stats.sd);
  if (warning) o.log(warning);
  return { durations, stats };
}
