import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProfile } from '../../src/runners/profile-file.js';
import { tempDir } from '../helpers/cli.js';

const run = (ts: number) => ({ cat: 'Session', name: 'model_run', ts, dur: 100 });
const node = (name: string, provider: string, ts: number, dur: number) => ({
  cat: 'Node',
  name: `${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: 'Op', provider },
});
const dispatch = (name: string, ts: number, dur: number) => ({ cat: 'Api', name: `${name}&Conv&Conv2dMM`, ts, dur });

describe("ONNX Runtime's profile file", () => {
  it('times WebGPU nodes by their GPU timestamps, summed per node and run, and CPU nodes by their host time', () => {
    const file = join(tempDir(), 'p.json');
    const events = [
      run(0),
      node('conv1.conv', 'WebGpuExecutionProvider', 10, 1),
      node('reshape', 'WebGpuExecutionProvider', 12, 1),
      node('lrn1', 'CPUExecutionProvider', 14, 30),
      dispatch('conv1.conv', 50, 40),
      dispatch('conv1.conv', 95, 5),
      run(200),
      node('conv1.conv', 'WebGpuExecutionProvider', 210, 1),
      dispatch('conv1.conv', 250, 20),
    ];
    writeFileSync(file, JSON.stringify(events));
    expect(readProfile(file)).toEqual([
      { node: 'conv1.conv', op: 'Op', provider: 'WebGpuExecutionProvider', dur: 45, run: 0, clock: 'gpu' },
      { node: 'reshape', op: 'Op', provider: 'WebGpuExecutionProvider', dur: 0, run: 0, clock: 'gpu' },
      { node: 'lrn1', op: 'Op', provider: 'CPUExecutionProvider', dur: 30, run: 0, clock: 'host' },
      { node: 'conv1.conv', op: 'Op', provider: 'WebGpuExecutionProvider', dur: 20, run: 1, clock: 'gpu' },
    ]);
  });

  it('keeps host times where the profile has no GPU timestamps (CPU EP, CUDA EP without CUPTI)', () => {
    const file = join(tempDir(), 'p.json');
    writeFileSync(file, JSON.stringify([run(0), node('conv1.conv', 'CUDAExecutionProvider', 10, 7)]));
    expect(readProfile(file)).toEqual([{ node: 'conv1.conv', op: 'Op', provider: 'CUDAExecutionProvider', dur: 7, run: 0, clock: 'host' }]);
  });
});
