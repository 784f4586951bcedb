import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { movingAverage, niceTicks, trainingChart } from '../../src/train/chart.js';
import { tempDir } from '../helpers/cli.js';
import { PYTHON } from '../helpers/python.js';

const history = Array.from({ length: 50 }, (_, i) => ({
  step: i + 1,
  lr: 1e-4,
  loss: i === 20 ? 0 : 300 / (i + 1),
  accuracy: Math.min(1, i / 40),
  durationS: 0.1,
}));
const evals = [
  { step: 25, accuracy: 0.5, images: 100 },
  { step: 50, accuracy: 0.9, images: 100 },
];

describe('trainingChart', () => {
  it('is a well-formed SVG document with both panels, the legend and an escaped title', () => {
    const svg = trainingChart('a <b> & "c"', history, evals, 10);
    const file = join(tempDir(), 'chart.svg');
    writeFileSync(file, svg);
    // an XML parser outside this code base reads it
    const root = execFileSync(PYTHON, ['-c', 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().tag)', file], {
      encoding: 'utf8',
    });
    expect(root.trim()).toBe('{http://www.w3.org/2000/svg}svg');
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('loss (log scale)');
    expect(svg).toContain('held out');
    // two faint per-step lines, two moving averages, the held-out line; a loss of 0 is drawn at the floor, not lost
    expect(svg.match(/<polyline/g)).toHaveLength(5);
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('draws a run with no evaluation (interrupted before the first)', () => {
    const svg = trainingChart('t', history.slice(0, 3), [], 10);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe('movingAverage and niceTicks', () => {
  it('averages over the window, fewer values at the start', () => {
    expect(movingAverage([2, 4, 6, 8], 2)).toEqual([2, 3, 5, 7]);
  });

  it('puts ticks at 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 300, 8)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
});
