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
  /**
   * Told when burn-in and the timed steps begin (`done` 0) and after each step, with its duration in seconds: for a
   * progress display, which must not print lines of its own.
   */
  onStep?: (phase: 'burn-in' | 'timed', done: number, total: number, durationS?: number) => void;
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
    if (i === 0 && o.burnIn > 0) o.onStep?.('burn-in', 0, o.burnIn);
    if (i === o.burnIn) o.onStep?.('timed', 0, o.steps);
    const start = performance.now();
    await step();
    const duration = (performance.now() - start) / 1000;
    if (i < o.burnIn) {
      o.onStep?.('burn-in', i + 1, o.burnIn, duration);
      continue;
    }
    const k = i - o.burnIn;
    if (k % o.logEvery === 0) o.log(stepLine(nowMs(), k, duration, o.format));
    durations.push(duration);
    o.onStep?.('timed', k + 1, o.steps, duration);
  }
  const stats = summarize(durations);
  o.log(summaryLine(nowMs(), o.label, o.steps, stats.mean, stats.sd, o.format));
  const warning = varianceWarning(o.label, stats.mean, stats.sd);
  if (warning) o.log(warning);
  return { durations, stats };
}
