import { describe, expect, it } from 'vitest';
import { formatMs, stepLine, summaryLine, timestamp, varianceWarning } from '../../src/bench/format.js';
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

describe('--format auto and the variance warning', () => {
  it('gives milliseconds with 3 significant digits', () => {
    expect(formatMs(0.00123649)).toBe('1.24 ms');
    expect(formatMs(0.0000512)).toBe('0.0512 ms');
    expect(formatMs(0.0305)).toBe('30.5 ms');
    expect(formatMs(1.0614)).toBe('1061 ms');
    expect(formatMs(0)).toBe('0.00 ms');
  });

  it('writes the same lines in milliseconds, the sd with the mean decimals; the seeds format stays the default', () => {
    expect(stepLine(at, 10, 0.00123649, 'auto')).toBe('2026-11-23 08:13:42.934972: step 10, duration = 1.24 ms');
    expect(summaryLine(at, 'Forward', 100, 0.00124, 0.00005, 'auto')).toBe(
      '2026-11-23 08:13:42.934972: Forward across 100 steps, 1.24 +/- 0.05 ms / batch',
    );
    expect(summaryLine(at, 'Forward', 100, 1.0614, 0.1538, 'auto')).toMatch(/, 1061 \+\/- 154 ms \/ batch$/);
    expect(stepLine(at, 10, 0.00123649, 'seeds')).toBe(stepLine(at, 10, 0.00123649));
    expect(stepLine(at, 10, 0.00123649)).toMatch(/duration = 0\.001$/);
    expect(summaryLine(at, 'Forward', 100, 0.00124, 0.00005, 'seeds')).toMatch(/, 0\.001 \+\/- 0\.000 sec \/ batch$/);
  });

  it('warns when the sd is over 10% of the mean, with the numbers and what to do', () => {
    expect(varianceWarning('Forward', 0.01, 0.001)).toBeUndefined();
    expect(varianceWarning('Forward', 0, 0)).toBeUndefined();
    const w = varianceWarning('Forward-backward', 0.00124, 0.0005);
    expect(w).toBe(
      'warning: Forward-backward: the sd (0.500 ms) is 40% of the mean (1.24 ms), over 10%: the timings are noisy; ' +
        'try more --burn-in steps, more --steps, or a quieter machine (other programs, power saving)',
    );
  });

  it('the loop adds the warning after the summary line in both formats, leaving the seeds lines as they are', async () => {
    for (const format of ['seeds', 'auto'] as const) {
      // one slow step among quick ones: an sd far over 10% of the mean, whatever the machine's speed
      let i = 0;
      const lines: string[] = [];
      await timeLoop(() => new Promise((resolve) => setTimeout(resolve, i++ === 0 ? 50 : 0)), {
        label: 'Forward',
        burnIn: 0,
        steps: 4,
        logEvery: 1,
        format,
        log: (l) => lines.push(l),
      });
      expect(lines).toHaveLength(6);
      const unit = format === 'seeds' ? /duration = \d+\.\d{3}$/ : /duration = [\d.]+ ms$/;
      for (const l of lines.slice(0, 4)) expect(l).toMatch(unit);
      expect(lines[4]).toMatch(format === 'seeds' ? / sec \/ batch$/ : / ms \/ batch$/);
      expect(lines[5]).toMatch(/^warning: Forward: the sd \(.* ms\) is \d+% of the mean \(.* ms\), over 10%/);
    }
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
    // a warning line may follow the summary: steps that do nothing vary a lot
    expect(lines.filter((l) => !l.startsWith('warning:'))).toHaveLength(11);
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
