/**
 * Learning-rate schedules for `alexnet-onnx train`. The training step takes the learning rate as an input, so a
 * schedule is a function of the step number computed on the host: nothing is re-exported.
 */

/** `constant`: `lr` at every step; `cosine`: torch's CosineAnnealingLR from `lr` down toward 0 at the last step. */
export type LrScheduleKind = 'constant' | 'cosine';
/** Every schedule, the default first. */
export const LR_SCHEDULES: readonly LrScheduleKind[] = ['constant', 'cosine'];

/** A schedule: its kind, the peak rate, and the warm-up steps before it. */
export interface LrSchedule {
  kind: LrScheduleKind;
  lr: number;
  /** Steps of linear warm-up: step s <= warmup gets `lr * s / warmup` (0: none). */
  warmup: number;
}

/**
 * The learning rate at 1-based `step` of `steps`. After the warm-up, `cosine` is torch.optim.lr_scheduler's
 * CosineAnnealingLR (eta_min 0) over the remaining steps: `lr * (1 + cos(pi * t / T)) / 2` for t = 0 .. T-1, so the
 * first step after the warm-up has the full rate and the last a small one (never 0, which would waste a step).
 */
export function learningRate(s: LrSchedule, step: number, steps: number): number {
  if (step <= s.warmup) return (s.lr * step) / s.warmup;
  if (s.kind === 'constant') return s.lr;
  const span = Math.max(1, steps - s.warmup);
  const t = step - s.warmup - 1;
  return (s.lr * (1 + Math.cos((Math.PI * t) / span))) / 2;
}

/** Problems with a schedule for a run of `steps` steps, each naming the option. */
export function scheduleProblems(s: LrSchedule, steps: number): string[] {
  const problems: string[] = [];
  if (!(s.lr > 0 && Number.isFinite(s.lr))) problems.push(`--lr must be a number > 0, got ${s.lr}`);
  if (!LR_SCHEDULES.includes(s.kind)) problems.push(`--lr-schedule must be one of ${LR_SCHEDULES.join(', ')}, got ${s.kind}`);
  if (!Number.isSafeInteger(s.warmup) || s.warmup < 0) problems.push(`--warmup must be an integer >= 0, got ${s.warmup}`);
  else if (s.warmup >= steps && steps >= 1) problems.push(`--warmup ${s.warmup} leaves no step after it: use fewer than --steps ${steps}`);
  return problems;
}
