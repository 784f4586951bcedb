import { describe, expect, it } from 'vitest';
import { learningRate, scheduleProblems } from '../../src/train/schedule.js';

describe('learningRate', () => {
  it('keeps a constant rate after a linear warm-up', () => {
    const s = { kind: 'constant' as const, lr: 0.01, warmup: 4 };
    expect([1, 2, 3, 4, 5, 100].map((step) => learningRate(s, step, 100))).toEqual([0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01]);
  });

  it("follows torch's CosineAnnealingLR after the warm-up: full rate first, half way at the middle, small but not 0 last", () => {
    const s = { kind: 'cosine' as const, lr: 0.1, warmup: 10 };
    expect(learningRate(s, 10, 110)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 11, 110)).toBeCloseTo(0.1, 12);
    // t = 50 of T = 100
    expect(learningRate(s, 61, 110)).toBeCloseTo(0.05, 12);
    const last = learningRate(s, 110, 110);
    expect(last).toBeGreaterThan(0);
    expect(last).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * 99) / 100))) / 2, 12);
  });

  it('refuses a rate, a warm-up or a schedule that cannot run, naming the option', () => {
    expect(scheduleProblems({ kind: 'constant', lr: 0, warmup: 0 }, 10)).toEqual(['--lr must be a number > 0, got 0']);
    expect(scheduleProblems({ kind: 'constant', lr: Number.NaN, warmup: 0 }, 10)).toEqual(['--lr must be a number > 0, got NaN']);
    expect(scheduleProblems({ kind: 'cosine', lr: 1, warmup: 10 }, 10)).toEqual([
      '--warmup 10 leaves no step after it: use fewer than --steps 10',
    ]);
    expect(scheduleProblems({ kind: 'step' as 'constant', lr: 1, warmup: 1.5 }, 10)).toEqual([
      '--lr-schedule must be one of constant, cosine, got step',
      '--warmup must be an integer >= 0, got 1.5',
    ]);
  });
});
