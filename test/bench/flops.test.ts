import { describe, expect, it } from 'vitest';
import { graphFlops } from '../../src/bench/flops.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel } from '../../src/model/export.js';
import { FORMULATIONS } from '../../src/model/formulation.js';
import { buildTrainingModel, DEFAULT_TRAINING } from '../../src/model/training.js';

const small = { ...DEFAULT_OPTIONS, batch: 2, imageSize: 67 };

describe('graphFlops', () => {
  it('counts the same work for every LRN formulation, forward and training (LRN itself is not counted)', () => {
    const forward = FORMULATIONS.lrnImpl.choices.map((lrnImpl) => graphFlops(buildForwardModel({ ...small, lrnImpl }).graph));
    const training = FORMULATIONS.lrnImpl.choices.map((lrnImpl) =>
      graphFlops(buildTrainingModel({ ...small, lrnImpl }, DEFAULT_TRAINING).graph),
    );
    expect(new Set(forward).size, String(forward)).toBe(1);
    expect(new Set(training).size, String(training)).toBe(1);
    // the same network without LRN does the same conv and FC work
    expect(graphFlops(buildForwardModel({ ...small, lrn: 'none' }).graph)).toBe(forward[0]);
    expect(training[0]).toBeGreaterThan(2 * forward[0]!);
  });
});
