/**
 * The seeds' output lines. Timestamps are local time with microseconds, like Python's `datetime.now()`.
 */

/** `2026-11-23 08:13:42.934972` for a time in epoch milliseconds (fractional milliseconds kept). */
export function timestamp(epochMs: number): string {
  const totalMicros = Math.round(epochMs * 1000);
  const d = new Date(Math.floor(totalMicros / 1000));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const micros = totalMicros % 1_000_000;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(micros, 6)}`;
}

/** `<time>: step 0, duration = 0.914` (seconds). */
export function stepLine(epochMs: number, step: number, durationS: number): string {
  return `${timestamp(epochMs)}: step ${step}, duration = ${durationS.toFixed(3)}`;
}

/** `<time>: Forward across 100 steps, 1.061 +/- 0.154 sec / batch`. */
export function summaryLine(epochMs: number, label: string, steps: number, meanS: number, sdS: number): string {
  return `${timestamp(epochMs)}: ${label} across ${steps} steps, ${meanS.toFixed(3)} +/- ${sdS.toFixed(3)} sec / batch`;
}
