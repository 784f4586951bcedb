import { describe, expect, it } from 'vitest';
import { etaSeconds, formatDuration, type ProgressEvent, ProgressModel } from '../../src/bench/progress.js';
import { runBench } from '../../src/bench/run.js';
import { smallBench } from '../helpers/bench.js';

describe('progress model', () => {
  it('gives the ETA as the steps still due at the mean step time so far', () => {
    expect(etaSeconds(0.5, 10, 100)).toBe(45);
    expect(etaSeconds(0.5, 100, 100)).toBe(0);
    expect(etaSeconds(0.5, 120, 100)).toBe(0);
    const m = new ProgressModel(['forward', 'forward-backward']);
    m.update({ phase: 'timed', mode: 'forward', done: 0, total: 10 }, 0);
    expect(m.eta()).toBeUndefined();
    m.update({ phase: 'timed', mode: 'forward', done: 1, total: 10, durationS: 1 }, 1);
    m.update({ phase: 'timed', mode: 'forward', done: 2, total: 10, durationS: 3 }, 4);
    // mean 2 s, 8 steps to go
    expect(m.meanStepS()).toBe(2);
    expect(m.eta()).toBe(16);
    expect(m.line(4)).toBe('forward (1/2): timed steps 2/10, 2000 ms/step, ETA 16 s');
    // a new mode starts its own mean: forward's 2 s steps say nothing about forward-backward's
    m.update({ phase: 'timed', mode: 'forward-backward', done: 1, total: 4, durationS: 0.25 }, 5);
    expect(m.eta()).toBe(0.75);
  });

  it('leaves burn-in out of the mean and shows no ETA for it', () => {
    const m = new ProgressModel(['forward']);
    m.update({ phase: 'burn-in', mode: 'forward', done: 1, total: 3, durationS: 9 }, 9);
    expect(m.line(9)).toBe('forward: burn-in 1/3');
    expect(m.eta()).toBeUndefined();
    m.update({ phase: 'timed', mode: 'forward', done: 1, total: 3, durationS: 0.001 }, 10);
    expect(m.line(10)).toBe('forward: timed steps 1/3, 1.00 ms/step, ETA 0 s');
  });

  it('says how long a phase without steps has run, from 1 s on', () => {
    const m = new ProgressModel(['forward']);
    expect(m.line(0)).toBe('');
    expect(m.update({ phase: 'browser' }, 100)).toBe(true);
    expect(m.line(100.5)).toBe('starting Chromium');
    expect(m.line(106.2)).toBe('starting Chromium, 6 s');
    expect(m.update({ phase: 'session', mode: 'forward' }, 107)).toBe(true);
    expect(m.line(107.1)).toBe('forward: creating the session');
    // the same phase again is no new phase: its clock runs on
    expect(m.update({ phase: 'session', mode: 'forward' }, 108)).toBe(false);
    expect(m.line(109)).toBe('forward: creating the session, 2 s');
  });

  it('writes durations to the second, then to the minute', () => {
    expect(formatDuration(0.4)).toBe('0 s');
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(3725)).toBe('1 h 02 min');
  });
});

describe('progress events of a run', () => {
  it('come phase by phase for each mode, every step counted, profile last', async () => {
    const events: ProgressEvent[] = [];
    const lines: string[] = [];
    const o = smallBench('node', 'cpu', { burnIn: 2, steps: 3, profileSteps: 1, profileMethod: 'profiler' });
    await runBench(
      o,
      (l) => lines.push(l),
      undefined,
      (e) => events.push(e),
    );
    const short = events.map((e) => `${e.mode} ${e.phase}${e.done === undefined ? '' : ` ${e.done}/${e.total}`}`);
    const mode = (m: string) => [
      `${m} build`,
      `${m} session`,
      `${m} first-run`,
      `${m} burn-in 0/2`,
      `${m} burn-in 1/2`,
      `${m} burn-in 2/2`,
      `${m} timed 0/3`,
      `${m} timed 1/3`,
      `${m} timed 2/3`,
      `${m} timed 3/3`,
      `${m} profile`,
    ];
    expect(short).toEqual([...mode('forward'), ...mode('forward-backward')]);
    // each step reports its duration; the phase starts do not
    for (const e of events) expect(e.durationS === undefined, JSON.stringify(e)).toBe(!e.done);
    // progress is no line of output
    expect(lines.join('\n')).not.toMatch(/burn-in \d|timed steps|ETA/);
  });
});
