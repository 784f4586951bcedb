import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { benchOptionsFromQuery } from '../../src/serve/jobs.js';

const query = (q: Record<string, string>) => benchOptionsFromQuery(new URLSearchParams(q));

describe("serve's job API: what one job may ask of this machine", () => {
  it('bounds threads as bench does (4 per logical core)', () => {
    const max = 4 * availableParallelism();
    expect(query({ threads: String(max) }).options.threads).toBe(max);
    expect(() => query({ threads: String(max + 1) })).toThrow(`threads must be an integer in [0, ${max}], got ${max + 1}`);
  });

  it('refuses a job whose memory estimate exceeds the available memory, with the estimate (answered 400)', () => {
    expect(() => query({ batch: '128', imageSize: '1024', mode: 'forward-backward' })).toThrow(
      /^batch 128 image-size 1024 mode forward-backward needs about \d+\.\d GB of memory \(estimate\), but this machine has \d+\.\d GB available: /,
    );
    expect(query({ batch: '8', mode: 'forward-backward' }).options.model.batch).toBe(8);
  });

  it('refuses an FC head too large for an ONNX file', () => {
    expect(() => query({ head: 'fc', imageSize: '1000' })).toThrow(/over the 2 GiB an ONNX file can hold/);
  });
});
