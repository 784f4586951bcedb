/**
 * The peak resident memory of this process over one span of a run (one mode), exactly: Linux keeps the peak RSS of
 * a process (`VmHWM` in /proc/self/status) and lets the process reset it to the current RSS (writing 5 to
 * /proc/self/clear_refs, Linux 4.0 and later). A sampled `process.memoryUsage.rss()` would not do: onnxruntime-node's
 * `run()` holds the JavaScript thread for the whole step, so no timer fires while the step's memory peaks.
 *
 * The reset is process-wide: after it, `/usr/bin/time -f %M` and `process.resourceUsage().maxRSS` report the peak
 * since the last reset, not the process's lifetime peak.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Why a span's peak is unknown where the kernel gives no resettable peak (not Linux, or /proc not writable). */
export const NO_PEAK_RSS = 'peak RSS needs Linux, whose /proc/self/clear_refs resets the peak (VmHWM)';

/** The peak RSS of the process, in bytes, or undefined where /proc/self/status has none. */
function highWaterMark(): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** A span whose peak RSS is being kept. */
export interface PeakRss {
  /** The peak RSS in bytes from the span's start until now; null where it cannot be known exactly ({@link NO_PEAK_RSS}). */
  peakBytes(): number | null;
}

/**
 * Starts a span: resets the kernel's peak RSS to the current RSS, so that `peakBytes()` is the peak since this call.
 * Where the reset fails, every `peakBytes()` is null: the lifetime peak would include earlier spans.
 */
export function startPeakRss(): PeakRss {
  let exact = highWaterMark() !== undefined;
  if (exact) {
    try {
      writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      exact = false;
    }
  }
  return { peakBytes: () => (exact ? (highWaterMark() ?? null) : null) };
}
