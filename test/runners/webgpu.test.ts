import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-common';
import { describe, expect, inject, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { modelBytes } from '../../src/model/export.js';
import { normalTensor } from '../../src/model/random.js';
import { buildTrainingModel } from '../../src/model/training.js';
import { createNodeRunner } from '../../src/runners/ort-node.js';
import { BIN, tempDir } from '../helpers/cli.js';
import { relativeError } from '../helpers/compare.js';

/**
 * The WebGPU EP of onnxruntime-node, on whatever Vulkan driver the machine has; on a CPU-only machine that is
 * Mesa's lavapipe, set up by scripts/setup-lavapipe.sh in the test set-up. Tiny workloads: lavapipe is slow.
 */
const icd = inject('vulkanIcd');
const why = inject('vulkanIcdProblem');
const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '2', '--burn-in', '0', '--autotune', 'off'];

function bench(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'bench', '--ep', 'webgpu', ...SMALL, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VK_DRIVER_FILES: icd },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!icd)(`WebGPU EP (onnxruntime-node)${icd ? '' : ` skipped: ${why}`}`, () => {
  it('runs forward and forward-backward entirely on the GPU with the automatic formulation (decomposed LRN, mask MaxPool gradient)', () => {
    const json = join(tempDir(), 'w.json');
    const r = bench(['--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('graph: LRN decomposed, MaxPool grad mask, conv weight grad conv');
    // A noisy-timings warning can appear on a busy machine; what must not appear is a CPU fallback.
    expect(r.stdout).not.toMatch(/^warning: .*ran on the CPU/m);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { mode: string; fallback_nodes: string[]; ep: string }[];
    expect(report.map((m) => [m.mode, m.ep, m.fallback_nodes])).toEqual([
      ['forward', 'webgpu', []],
      ['forward-backward', 'webgpu', []],
    ]);
  });

  it('profiles per layer with GPU timestamps, not the host-side launch times of the kernel events', () => {
    const json = join(tempDir(), 'p.json');
    const r = bench(['--mode', 'forward', '--profile', '2', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Forward per layer (ONNX Runtime profiler, mean of 2 steps, GPU time from WebGPU timestamps):');
    const [m] = JSON.parse(readFileSync(json, 'utf8')) as { mean_s: number; profile: { layer: string; forward_ms: number }[] }[];
    expect(m!.profile.find((l) => l.layer === 'conv1')!.forward_ms).toBeGreaterThan(0);
    // launches alone were about 1% of a step here; the GPU time is most of it
    const total = m!.profile.reduce((s, l) => s + l.forward_ms, 0);
    expect(total).toBeGreaterThan(0.25 * m!.mean_s * 1000);
  });

  it('warns by name about nodes that fall back to the CPU (the LRN op has no WebGPU kernel)', () => {
    const json = join(tempDir(), 'w.json');
    const r = bench(['--mode', 'forward', '--lrn-impl', 'op', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^warning: 2 node\(s\) ran on the CPU, not on webgpu: lrn1 \(LRN\), lrn2 \(LRN\)$/m);
    expect(JSON.parse(readFileSync(json, 'utf8'))[0].fallback_nodes).toEqual(['lrn1 (LRN)', 'lrn2 (LRN)']);
  });

  it('computes the same gradients on the GPU formulation as the default graph on the CPU', async () => {
    process.env.VK_DRIVER_FILES = icd;
    const options = { ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 };
    const images = new Tensor('float32', normalTensor(5, 'img', 3 * 67 * 67, 0.1), [1, 3, 67, 67]);
    const profileDir = tempDir('alexnet-onnx-prof-');
    const gpuModel = buildTrainingModel(
      { ...options, lrnImpl: 'decomposed' },
      { loss: 'l2', wrt: 'conv', maxpoolGrad: 'mask', convWeightGrad: 'conv', convDataGrad: 'convtranspose' },
    );
    const cpuModel = buildTrainingModel(options, {
      loss: 'l2',
      wrt: 'conv',
      maxpoolGrad: 'scatter',
      convWeightGrad: 'conv',
      convDataGrad: 'convtranspose',
    });
    const fetches = gpuModel.graph.outputs.map((o) => o.name);
    const gpu = await createNodeRunner({
      ep: 'webgpu',
      model: modelBytes(gpuModel),
      feeds: { images },
      fetches,
      threads: 0,
      graphOpt: 'all',
      tf32: false,
      profileDir,
    });
    const cpu = await createNodeRunner({
      ep: 'cpu',
      model: modelBytes(cpuModel),
      feeds: { images },
      fetches,
      threads: 0,
      graphOpt: 'all',
      tf32: false,
      profileDir,
    });
    const a = await gpu.run();
    const b = await cpu.run();
    for (const name of fetches.filter((n) => n.endsWith('_grad'))) {
      expect(relativeError(a[name]!.data as Float32Array, b[name]!.data as Float32Array), name).toBeLessThan(1e-3);
    }
    await gpu.release();
    await cpu.release();
  });
});
