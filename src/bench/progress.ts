/**
 * The live progress of a bench run, without a terminal: the events `runBench` reports as it goes, and the one line
 * that stands for the latest of them, with an ETA once steps are timed (as hyperfine shows). `src/cli/progress.ts`
 * draws that line on a terminal. Times are given by the caller, so the arithmetic is a pure function of them.
 */
import { formatMs } from './format.js';
import type { BenchMode } from './types.js';

/** What a run is doing. Each mode goes through build, session, first-run, burn-in, timed (and profile), in order. */
export type ProgressPhase = 'browser' | 'build' | 'session' | 'first-run' | 'page' | 'burn-in' | 'timed' | 'profile';

/** How the progress line names each phase. */
export const PHASE_LABEL: Record<ProgressPhase, string> = {
  browser: 'starting Chromium',
  build: 'building the graph',
  session: 'creating the session',
  'first-run': 'first run',
  page: 'session, first run and steps in the page',
  'burn-in': 'burn-in',
  timed: 'timed steps',
  profile: 'profiling the layers',
};

/** One thing a run reports: a phase begins, or a step of a counted phase (burn-in, timed) is done. */
export interface ProgressEvent {
  phase: ProgressPhase;
  /** The mode the phase belongs to; absent for the run's own phases (starting Chromium). */
  mode?: BenchMode;
  /** Steps done so far, for burn-in and timed (0: the phase begins). */
  done?: number;
  /** Steps the phase has. */
  total?: number;
  /** How long the step just done took, in seconds. */
  durationS?: number;
}

/** Receives a run's progress events (`runBench`'s `onProgress`). */
export type ProgressListener = (event: ProgressEvent) => void;

/** Seconds left: the steps still due at the mean time of those timed so far. */
export function etaSeconds(meanStepS: number, done: number, total: number): number {
  return meanStepS * Math.max(0, total - done);
}

/** `7 s`, `2 min 05 s`, `1 h 02 min`: a duration to the second, or to the minute from an hour on. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/**
 * The progress of one run: feed it every event with the time it came (`update`), ask for the line at any time
 * (`line`). The ETA is the current mode's: its timed steps still due at the mean of those done.
 */
export class ProgressModel {
  private event: ProgressEvent | undefined;
  private phaseStartS = 0;
  private timedSum = 0;
  private timedCount = 0;

  /** `modes`: the run's modes, in order, so that the line can say which of them is running (`1/2`). */
  constructor(private readonly modes: readonly BenchMode[]) {}

  /** Takes an event that came at `nowS` (seconds, any origin); true when it begins another phase. */
  update(e: ProgressEvent, nowS: number): boolean {
    const begins = this.event?.phase !== e.phase || this.event.mode !== e.mode;
    if (begins) {
      this.phaseStartS = nowS;
      if (e.phase === 'timed') [this.timedSum, this.timedCount] = [0, 0];
    }
    if (e.phase === 'timed' && e.durationS !== undefined) {
      this.timedSum += e.durationS;
      this.timedCount += 1;
    }
    this.event = e;
    return begins;
  }

  /** Mean duration of the current mode's timed steps so far, in seconds; undefined before the first. */
  meanStepS(): number | undefined {
    return this.timedCount ? this.timedSum / this.timedCount : undefined;
  }

  /** Seconds left in the current mode's timed steps; undefined outside them or before the first is timed. */
  eta(): number | undefined {
    const e = this.event;
    const mean = this.meanStepS();
    if (e?.phase !== 'timed' || mean === undefined || e.done === undefined || e.total === undefined) return undefined;
    return etaSeconds(mean, e.done, e.total);
  }

  /**
   * The line for the latest event at `nowS`: `forward-backward (2/2): timed steps 37/100, 495 ms/step, ETA 31 s`,
   * `forward (1/2): creating the session, 3 s` (a phase without steps says how long it has run, from 1 s on); empty
   * before the first event.
   */
  line(nowS: number): string {
    const e = this.event;
    if (!e) return '';
    const parts: string[] = [];
    const at = e.mode ? this.modes.indexOf(e.mode) : -1;
    const mode = e.mode ? `${e.mode}${this.modes.length > 1 && at >= 0 ? ` (${at + 1}/${this.modes.length})` : ''}: ` : '';
    if (e.done !== undefined && e.total !== undefined) {
      parts.push(`${PHASE_LABEL[e.phase]} ${e.done}/${e.total}`);
      const mean = this.meanStepS();
      const eta = this.eta();
      if (e.phase === 'timed' && mean !== undefined && eta !== undefined)
        parts.push(`${formatMs(mean)}/step`, `ETA ${formatDuration(eta)}`);
    } else {
      parts.push(PHASE_LABEL[e.phase]);
      const elapsed = nowS - this.phaseStartS;
      if (elapsed >= 1) parts.push(formatDuration(elapsed));
    }
    return `${mode}${parts.join(', ')}`;
  }
}
