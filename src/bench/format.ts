/**
 * The seeds' output lines. Timestamps are local time with microseconds, like Python's `datetime.now()`.
 */

/** How the loop's lines give times: `seeds`: seconds with 3 decimals, exactly as the seeds; `auto`: readable milliseconds. */
export type TimeFormat = 'seeds' | 'auto';
/** `--format` choices, the default first. */
export const TIME_FORMATS: readonly TimeFormat[] = ['seeds', 'auto'];

/** Above this sd / mean, a mode's timings get a warning (hyperfine warns on noisy runs too). */
export const NOISY_SD_FRACTION = 0.1;

/** `2026-11-23 08:13:42.934972` for a time in epoch milliseconds (fractional milliseconds kept). */
export function timestamp(epochMs: number): string {
  const totalMicros = Math.round(epochMs * 1000);
  const d = new Date(Math.floor(totalMicros / 1000));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const micros = totalMicros % 1_000_000;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(micros, 6)}`;
}

/**
 * Decimals that give `ms` 3 significant digits (none past the point from 100 ms up), so that a batch-1 step reads
 * `1.24` rather than the seeds' `0.001` seconds.
 */
function msDecimals(ms: number): number {
  if (!(ms > 0) || !Number.isFinite(ms)) return 2;
  return Math.max(0, 2 - Math.floor(Math.log10(ms)));
}

/** `1.24 ms`, `0.0512 ms`, `1061 ms`: seconds as milliseconds with 3 significant digits. */
export function formatMs(seconds: number): string {
  const ms = seconds * 1000;
  return `${ms.toFixed(msDecimals(ms))} ms`;
}

/** `<time>: step 0, duration = 0.914` (seconds); `duration = 914 ms` with the `auto` format. */
export function stepLine(epochMs: number, step: number, durationS: number, format: TimeFormat = 'seeds'): string {
  const duration = format === 'auto' ? formatMs(durationS) : durationS.toFixed(3);
  return `${timestamp(epochMs)}: step ${step}, duration = ${duration}`;
}

/**
 * `<time>: Forward across 100 steps, 1.061 +/- 0.154 sec / batch`; with the `auto` format
 * `1061 +/- 154 ms / batch` (the sd with the mean's decimals).
 */
export function summaryLine(
  epochMs: number,
  label: string,
  steps: number,
  meanS: number,
  sdS: number,
  format: TimeFormat = 'seeds',
): string {
  let times: string;
  if (format === 'auto') {
    const decimals = msDecimals(meanS * 1000);
    times = `${(meanS * 1000).toFixed(decimals)} +/- ${(sdS * 1000).toFixed(decimals)} ms / batch`;
  } else {
    times = `${meanS.toFixed(3)} +/- ${sdS.toFixed(3)} sec / batch`;
  }
  return `${timestamp(epochMs)}: ${label} across ${steps} steps, ${times}`;
}

/**
 * A `warning:` line when the sd is more than {@link NOISY_SD_FRACTION} of the mean, or undefined. In milliseconds
 * whatever the format: the seeds' 3 decimals of a second would read `0.000`.
 */
export function varianceWarning(label: string, meanS: number, sdS: number): string | undefined {
  if (!(meanS > 0) || !(sdS > NOISY_SD_FRACTION * meanS)) return undefined;
  const percent = Math.round((sdS / meanS) * 100);
  return (
    `warning: ${label}: the sd (${formatMs(sdS)}) is ${percent}% of the mean (${formatMs(meanS)}), over ${NOISY_SD_FRACTION * 100}%: ` +
    'the timings are noisy; try more --burn-in steps, more --steps, or a quieter machine (other programs, power saving)'
  );
}
