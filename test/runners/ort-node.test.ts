import { Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { startPeakRss } from '../../src/bench/rss.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { GRAD_SQ_SUM } from '../../src/model/names.js';
import { normalTensor } from '../../src/model/random.js';
import { buildTrainingModel } from '../../src/model/training.js';
import { parseModel } from '../../src/onnx/parse.js';
import { encodeProto, tensorProto } from '../../src/onnx/proto.js';
import { createNodeRunner } from '../../src/runners/ort-node.js';
import { fallbackNodes, placementOf, shortProvider } from '../../src/runners/placement.js';
import type { RunnerOptions } from '../../src/runners/types.js';
import { tempDir } from '../helpers/cli.js';

const profileDir = tempDir('alexnet-onnx-prof-');
const options = { ...DEFAULT_OPTIONS, batch: 2, imageSize: 67 };

describe('onnxruntime-node runner', () => {
  it('gives the same output with the images resident in the model (initializer + input) as with a host feed', async () => {
    const bytes = modelBytes(buildForwardModel(options));
    const images = normalTensor(1, 'images', 2 * 3 * 67 * 67, 0.1);
    const parsed = parseModel(bytes);
    parsed.proto.graph!.initializer!.push(tensorProto({ name: 'images', dtype: 'float32', dims: [2, 3, 67, 67], data: images }));
    const resident = await createNodeRunner({
      ep: 'cpu',
      model: encodeProto(parsed.proto),
      feeds: {},
      fetches: ['output'],
      threads: 0,
      graphOpt: 'all',
      tf32: false,
      profileDir,
    });
    const host = await createNodeRunner({
      ep: 'cpu',
      model: bytes,
      feeds: { images: new Tensor('float32', images, [2, 3, 67, 67]) },
      fetches: ['output'],
      threads: 1,
      graphOpt: 'all',
      tf32: false,
      profileDir,
    });
    const a = (await resident.run()).output!.data as Float32Array;
    const b = (await host.run()).output!.data as Float32Array;
    expect(a.length).toBe(2 * 256);
    expect(Array.from(a)).toEqual(Array.from(b));
    // the placement comes from ORT's profile of the first run (ORT renames nodes it fuses, e.g. conv1_nchwc)
    const placement = resident.placement();
    expect([...placement.keys()].some((n) => n.startsWith('conv1'))).toBe(true);
    expect([...placement.keys()]).toEqual(expect.arrayContaining(['lrn1', 'lrn2']));
    expect(fallbackNodes(placement, 'cpu')).toEqual([]);
    expect(resident.device).toMatch(/cores/);
    await resident.release();
    await host.release();
  });

  it('names the nodes that ran on another provider', () => {
    const p = placementOf([
      { node: 'lrn1', op: 'LRN', provider: 'CPUExecutionProvider', dur: 1, run: 0, clock: 'host' },
      { node: 'conv1.conv', op: 'Conv', provider: 'WebGpuExecutionProvider', dur: 1, run: 0, clock: 'host' },
    ]);
    expect(fallbackNodes(p, 'webgpu')).toEqual(['lrn1 (LRN)']);
    expect(shortProvider('CUDAExecutionProvider')).toBe('cuda');
  });

  // ORT's memory pattern, on, would add a block the size of a run's tensors at the second run
  it.skipIf(process.platform !== 'linux')(
    "keeps the CPU EP's peak memory after the first run where that run left it",
    async () => {
      const model = { ...DEFAULT_OPTIONS, batch: 8 };
      const bytes = modelBytes(buildTrainingModel(model));
      const images = new Tensor('float32', normalTensor(1, 'images', 8 * 3 * 224 * 224, 0.1), [8, 3, 224, 224]);
      const o = {
        ep: 'cpu',
        model: bytes,
        feeds: { images },
        fetches: [GRAD_SQ_SUM],
        threads: 0,
        graphOpt: 'all',
        tf32: false,
        profileDir,
      } satisfies RunnerOptions;
      const peak = startPeakRss();
      const runner = await createNodeRunner(o);
      const created = peak.peakBytes()!;
      await runner.run();
      const first = peak.peakBytes()!;
      for (let i = 0; i < 3; i++) await runner.run();
      const later = peak.peakBytes()!;
      await runner.release();
      expect(first - created, "the first run's tensors").toBeGreaterThan(50e6);
      expect(later - first, 'what three more runs added').toBeLessThan(0.25 * (first - created));
    },
    60_000,
  );
});
