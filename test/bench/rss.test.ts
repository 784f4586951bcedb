import { totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { startPeakRss } from '../../src/bench/rss.js';
import { modelBytes } from '../../src/model/export.js';
import { buildTrainingModel } from '../../src/model/training.js';
import { benchWithLines, smallBench } from '../helpers/bench.js';

const linux = process.platform === 'linux';

/** V8's collector, to free a buffer now rather than when V8 gets to it. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe.skipIf(!linux)('peak RSS per span (Linux: VmHWM, reset as a span starts)', () => {
  it("sees memory touched in the span, and not an earlier span's peak once that memory is freed", () => {
    const gc = collector();
    const first = startPeakRss();
    let big: Buffer | undefined = Buffer.alloc(300e6, 1);
    const firstPeak = first.peakBytes()!;
    expect(firstPeak).toBeGreaterThan(300e6);
    expect(big.length).toBe(300e6);
    big = undefined;
    gc();
    const second = startPeakRss();
    const small = Buffer.alloc(20e6, 1);
    expect(small.length).toBe(20e6);
    // the second span starts from the RSS after the free: the first span's 300 MB are not in its peak
    expect(second.peakBytes()!).toBeLessThan(firstPeak - 200e6);
  });
});

describe("runBench's peak_rss_bytes", () => {
  it('is there for each mode, above the model bytes and below the machine, and larger for forward-backward', async () => {
    const o = smallBench('node', 'cpu', { collectOutputs: false, steps: 1, model: { batch: 8, imageSize: 112 } });
    const { results } = await benchWithLines(o);
    const [forward, backward] = results.map((r) => r.peak_rss_bytes);
    if (!linux) {
      expect([forward, backward]).toEqual([null, null]);
      return;
    }
    const bytes = modelBytes(buildTrainingModel(o.model, o.training)).length;
    for (const peak of [forward!, backward!]) {
      expect(peak).toBeGreaterThan(bytes);
      expect(peak).toBeLessThan(totalmem());
    }
    expect(backward!).toBeGreaterThan(forward!);
  });
});
