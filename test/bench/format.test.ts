import { describe, expect, it } from 'vitest';
import { stepLine, summaryLine, timestamp } from '../../src/bench/format.js';
import { timeLoop } from '../../src/bench/harness.js';

const at = new Date(2026, 10, 23, 8, 13, 42, 934).getTime() + 0.972;

describe("the seeds' lines", () => {
  it('formats local time with microseconds like Python datetime.now()', () => {
    expect(timestamp(at)).toBe('2026-11-23 08:13:42.934972');
    expect(timestamp(new Date(2026, 0, 2, 3, 4, 5, 6).getTime())).toBe('2026-01-02 03:04:05.006000');
  });

  it('writes step and summary lines exactly as the seeds do', () => {
    expect(stepLine(at, 0, 0.914)).toBe('2026-11-23 08:13:42.934972: step 0, duration = 0.914');
    expect(summaryLine(at, 'Forward', 100, 1.0614, 0.1538)).toBe(
      '2026-11-23 08:13:42.934972: Forward across 100 steps, 1.061 +/- 0.154 sec / batch',
    );
    expect(summaryLine(at, 'Forward-backward', 100, 0.03, 0.0001)).toMatch(
      /: Forward-backward across 100 steps, 0\.030 \+\/- 0\.000 sec \/ batch$/,
    );
  });
});

describe('timeLoop', () => {
  it('runs burn-in + steps, logs every N timed steps, and times only the timed ones', async () => {
    let calls = 0;
    const lines: string[] = [];
    const r = await timeLoop(async () => void calls++, {
      label: 'Forward',
      burnIn: 10,
      steps: 100,
      logEvery: 10,
      log: (l) => lines.push(l),
    });
    expect(calls).toBe(110);
    expect(r.durations).toHaveLength(100);
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, 10).map((l) => /: step (\d+), duration = \d+\.\d{3}$/.exec(l)?.[1])).toEqual([
      '0',
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
    ]);
    expect(lines[10]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: Forward across 100 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/,
    );
    expect(r.stats.n).toBe(100);
  });

  it('measures what the step takes', async () => {
    const r = await timeLoop(() => new Promise((resolve) => setTimeout(resolve, 20)), {
      label: 'x',
      burnIn: 0,
      steps: 3,
      logEvery: 1,
      log: () => {},
    });
    expect(r.stats.min).toBeGreaterThanOrEqual(0.018);
  });
});
