import { describe, expect, it } from 'vitest';
import { niceTicks } from '../../src/web/chart.js';

describe("niceTicks: the page chart's axes", () => {
  it('covers a value axis with round steps (1, 2, 5 x 10^k) from 0, about the count asked for', () => {
    expect(niceTicks(82.5, 5, { cover: true })).toEqual({ ticks: [0, 20, 40, 60, 80, 100], decimals: 0 });
    expect(niceTicks(392.8, 5, { cover: true }).ticks).toEqual([0, 100, 200, 300, 400]);
    expect(niceTicks(1234.5, 5, { cover: true }).ticks).toEqual([0, 500, 1000, 1500]);
    const small = niceTicks(0.73, 5, { cover: true });
    expect(small.ticks.map((t) => t.toFixed(small.decimals))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8']);
    expect(niceTicks(0.031, 5, { cover: true })).toMatchObject({ ticks: [0, 0.01, 0.02, 0.03, 0.04], decimals: 2 });
  });

  it('keeps a step axis within its last step, in whole steps, with more than two ticks when there are steps between', () => {
    expect(niceTicks(99, 8, { cover: false, integer: true }).ticks).toEqual([0, 20, 40, 60, 80]);
    expect(niceTicks(11, 8, { cover: false, integer: true }).ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(5, 8, { cover: false, integer: true }).ticks).toEqual([0, 1, 2, 3, 4, 5]);
    expect(niceTicks(1, 8, { cover: false, integer: true }).ticks).toEqual([0, 1]);
  });

  it('draws an axis for nothing to show (all zero) rather than dividing by zero', () => {
    const zero = niceTicks(0, 5, { cover: true });
    expect(zero.ticks.map((t) => t.toFixed(zero.decimals))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  });
});
