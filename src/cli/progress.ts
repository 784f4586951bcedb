/**
 * bench's live progress line on a terminal: the line of `src/bench/progress.ts`, drawn on stderr and redrawn in place
 * (carriage return, then erase the line). Only where stderr is a terminal, so that a pipe or a file never gets it;
 * stdout never does. Every other line is printed with the progress line erased first and drawn again after it, and
 * the line is erased for good when the run ends, fails or is interrupted.
 */
import { performance } from 'node:perf_hooks';
import { type ProgressEvent, type ProgressListener, ProgressModel } from '../bench/progress.js';
import type { BenchMode } from '../bench/types.js';
import { onCleanup } from '../common/cleanup.js';

/** Back to the start of the line and erase it (ANSI "erase in line", whole line). */
export const ERASE_LINE = '\r\x1b[2K';

/** Least time between two redraws for steps: a small batch's step takes a millisecond, a redraw costs a write. */
const REDRAW_MS = 100;
/** How often a phase without steps (session creation, Chromium starting) has its elapsed time redrawn. */
const TICK_MS = 1000;

/** The terminal a progress line can be drawn on: a stream with `isTTY` and, where known, its width. */
export type Terminal = Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'>;

/** Whether to draw the progress line: asked for (not `--no-progress`), on a terminal that understands ANSI erase. */
export function progressWanted(asked: boolean, stream: Terminal = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return asked && stream.isTTY === true && env.TERM !== 'dumb';
}

/** A progress line on a terminal, fed with a run's events. */
export class ProgressLine {
  private shown = false;
  private stopped = false;
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private readonly timer: NodeJS.Timeout;
  private readonly model: ProgressModel;

  constructor(
    modes: readonly BenchMode[],
    private readonly stream: Terminal = process.stderr,
  ) {
    this.model = new ProgressModel(modes);
    this.timer = setInterval(() => this.draw(), TICK_MS);
    // the line must never keep the process alive
    this.timer.unref();
  }

  /** Takes an event: a new phase is drawn at once, steps at most every {@link REDRAW_MS}. */
  readonly update: ProgressListener = (e: ProgressEvent) => {
    const now = performance.now();
    const begins = this.model.update(e, now / 1000);
    if (begins || now - this.lastDrawMs >= REDRAW_MS) this.draw();
  };

  /** Runs `print` (which writes whole lines) with the progress line erased, then draws it again. */
  around(print: () => void): void {
    this.erase();
    print();
    this.draw();
  }

  /** Erases the line for good: at the end of the run, on a failure, on Ctrl-C. Calling it again is harmless. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.erase();
  }

  private draw(): void {
    if (this.stopped) return;
    const now = performance.now();
    const text = this.model.line(now / 1000);
    if (!text) return;
    // one character short of the width: a line that fills it wraps on some terminals, and then \r erases only the tail
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    this.stream.write(`${ERASE_LINE}${text.length > width ? `${text.slice(0, width - 3)}...` : text}`);
    this.shown = true;
    this.lastDrawMs = now;
  }

  private erase(): void {
    if (!this.shown) return;
    this.stream.write(ERASE_LINE);
    this.shown = false;
  }
}

/**
 * Runs `run` with a progress line when `enabled`, giving it the listener to pass to `runBench` (undefined when not
 * enabled). While it runs, `console.log` and `console.error` print with the line erased; on Ctrl-C or SIGTERM the line
 * is erased before the cleanups registered earlier print what they print.
 */
export async function withProgress<T>(
  enabled: boolean,
  modes: readonly BenchMode[],
  run: (onProgress: ProgressListener | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return run(undefined);
  const line = new ProgressLine(modes);
  const { log, error } = console;
  console.log = (...args: unknown[]) => line.around(() => log(...args));
  console.error = (...args: unknown[]) => line.around(() => error(...args));
  // cleanups run newest first: this one erases the line before the bench's own prints the finished modes
  const release = onCleanup(() => line.stop());
  try {
    return await run(line.update);
  } finally {
    line.stop();
    release();
    console.log = log;
    console.error = error;
  }
}
