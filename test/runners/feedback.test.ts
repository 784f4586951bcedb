import { Tensor } from 'onnxruntime-common';
import { describe, expect, inject, it } from 'vitest';
import { PACKAGE } from '../../src/common/version.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { encodeModel } from '../../src/onnx/serialize.js';
import { attr } from '../../src/onnx/types.js';
import { feedbackOutputOptions, stepFeeds } from '../../src/runners/feedback.js';
import { createNodeRunner } from '../../src/runners/ort-node.js';
import { createWebRunner } from '../../src/runners/ort-web.js';
import type { RunnerOptions } from '../../src/runners/types.js';
import { tempDir } from '../helpers/cli.js';

/**
 * A two-input "training step": `x.next = x + 1`, `seen = x + 10 * step`, so each run's outputs tell what it was fed:
 * the previous run's `x.next` and its own number.
 */
function countingStep(): Uint8Array {
  const b = new GraphBuilder('counting', 'feeds back x + 1');
  const x = b.input('x', { dtype: 'float32', shape: [2] });
  const step = b.input('step', { dtype: 'int64', shape: [] });
  b.output(b.op1('Add', [x, b.scalar(1)], {}, { name: 'next', outputs: ['x.next'] }));
  const t = b.op1('Cast', [step], { to: attr.int(1) }, { name: 'cast' });
  b.output(b.op1('Add', [x, b.op1('Mul', [t, b.scalar(10)], {}, { name: 'scale' })], {}, { name: 'seen', outputs: ['seen'] }));
  return encodeModel(b.build(), { producerName: PACKAGE.name, producerVersion: PACKAGE.version, doc: '', metadata: {} });
}

function options(feedback: boolean): RunnerOptions {
  return {
    ep: 'cpu',
    model: countingStep(),
    feeds: { x: new Tensor('float32', Float32Array.of(0, 0.5), [2]), step: new Tensor('int64', BigInt64Array.of(1n), []) },
    fetches: ['x.next', 'seen'],
    ...(feedback ? { feedback: [{ input: 'x', output: 'x.next' }], counter: 'step' } : {}),
    threads: 1,
    graphOpt: 'all',
    tf32: false,
    profileDir: tempDir(),
  };
}

/** `seen` of three runs of a runner. */
async function threeRuns(create: typeof createNodeRunner, o: RunnerOptions): Promise<number[][]> {
  const runner = await create(o);
  try {
    const seen: number[][] = [];
    for (let i = 0; i < 3; i++) seen.push([...((await runner.run()).seen!.data as Float32Array)]);
    return seen;
  } finally {
    await runner.release();
  }
}

describe('a training step fed its previous outputs', () => {
  // run k is fed x + (k - 1) and step k: seen = x + k - 1 + 10k
  const FED_BACK = [
    [10, 10.5],
    [21, 21.5],
    [32, 32.5],
  ];

  it('onnxruntime-node feeds each run the previous outputs and its number', async () => {
    expect(await threeRuns(createNodeRunner, options(true))).toEqual(FED_BACK);
    // without feedback every run gets the first feeds
    expect(await threeRuns(createNodeRunner, options(false))).toEqual([
      [10, 10.5],
      [10, 10.5],
      [10, 10.5],
    ]);
  });

  it('onnxruntime-web (wasm) does the same', async () => {
    expect(await threeRuns(createWebRunner, { ...options(true), ep: 'wasm', threads: 0 })).toEqual(FED_BACK);
  });

  const icd = inject('vulkanIcd');
  it.skipIf(!icd)(
    `onnxruntime-node's WebGPU EP keeps the fed-back outputs on the GPU${icd ? '' : ` (skipped: ${inject('vulkanIcdProblem')})`}`,
    async () => {
      process.env.VK_DRIVER_FILES = icd;
      const runner = await createNodeRunner({ ...options(true), ep: 'webgpu' });
      try {
        const seen: number[][] = [];
        for (let i = 0; i < 3; i++) {
          const out = await runner.run();
          expect(out['x.next']!.location).toBe('gpu-buffer');
          seen.push([...(out.seen!.data as Float32Array)]);
        }
        expect(seen).toEqual(FED_BACK);
      } finally {
        await runner.release();
      }
    },
  );

  it('releases only the device tensors it was given back, never the first feeds', () => {
    const disposed: string[] = [];
    const tensor = (name: string, location: Tensor['location']) => ({ location, dispose: () => disposed.push(name) }) as unknown as Tensor;
    const first = tensor('first', 'gpu-buffer');
    const counts: bigint[] = [];
    const int64 = (v: bigint) => {
      counts.push(v);
      return tensor(`n${v}`, 'cpu');
    };
    const feeds = stepFeeds({ x: first }, { feedback: [{ input: 'x', output: 'x.next' }], counter: 'n' }, int64);
    expect(feeds.next().x).toBe(first);
    const out1 = tensor('out1', 'gpu-buffer');
    feeds.fedBack({ 'x.next': out1 });
    expect(feeds.next().x).toBe(out1);
    feeds.fedBack({ 'x.next': tensor('out2', 'gpu-buffer') });
    expect(counts).toEqual([1n, 2n]);
    expect(disposed).toEqual(['out1']);
    feeds.release();
    expect(disposed).toEqual(['out1', 'out2']);
    expect(() => feeds.fedBack({})).toThrow("the step fetched no 'x.next' to feed back as 'x'");
  });

  it('keeps the fed-back outputs on the GPU on webgpu only', () => {
    const pairs = [{ input: 'w', output: 'w.next' }];
    expect(feedbackOutputOptions('webgpu', pairs)).toEqual({ preferredOutputLocation: { 'w.next': 'gpu-buffer' } });
    expect(feedbackOutputOptions('cpu', pairs)).toEqual({});
    expect(feedbackOutputOptions('webgpu', [])).toEqual({});
  });
});
