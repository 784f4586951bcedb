import { describe, expect, inject, it } from 'vitest';
import { benchWithLines, smallBench } from '../helpers/bench.js';
import { expectSameOutputs } from '../helpers/compare.js';

/**
 * onnxruntime-web's WebGPU build in Node, with navigator.gpu from the npm `webgpu` package (Dawn) over the machine's
 * Vulkan driver; on a CPU-only machine that is Mesa's lavapipe from the test set-up. Lavapipe is slow, so this is one
 * tiny run of each mode.
 */
const icd = inject('vulkanIcd');
const why = inject('vulkanIcdProblem');

describe.skipIf(!icd)(`onnxruntime-web webgpu in Node${icd ? '' : ` skipped: ${why}`}`, () => {
  it('runs both modes with every node on WebGPU and matches onnxruntime-node CPU on the same graph', async () => {
    process.env.VK_DRIVER_FILES = icd;
    const web = await benchWithLines(smallBench('web', 'webgpu', { steps: 1 }));
    const node = await benchWithLines(smallBench('node', 'cpu', { steps: 1, formulationOf: 'webgpu' }));
    expect(web.results.map((r) => [r.runtime, r.ep, r.mode, r.fallback_nodes])).toEqual([
      ['web', 'webgpu', 'forward', []],
      ['web', 'webgpu', 'forward-backward', []],
    ]);
    expect(web.results[1]!.formulation).toEqual({
      lrn_impl: 'decomposed',
      dropout_impl: null,
      maxpool_grad: 'mask',
      conv_weight_grad: 'conv',
      conv_data_grad: 'convtranspose',
    });
    expect(web.results[0]!.device).toContain('Dawn, npm webgpu');
    expect(web.results[0]!.device).toContain('V8 Liftoff only');
    for (let i = 0; i < 2; i++) expectSameOutputs(web.results[i]!, node.results[i]!, 1e-3);
  }, 400_000);

  it('profiles with the GPU timestamps the WebGPU EP adds to the profile it prints', async () => {
    const { results } = await benchWithLines(smallBench('web', 'webgpu', { steps: 1, modes: ['forward'], profileSteps: 1 }));
    const layers = results[0]!.profile!.filter((l) => /^(conv|lrn|pool)\d+$/.test(l.layer));
    expect(layers.map((l) => l.layer)).toEqual(['conv1', 'lrn1', 'pool1', 'conv2', 'lrn2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5']);
    // convolutions dispatch shaders, so a GPU time of zero would mean the timestamps were not read
    expect(layers.filter((l) => l.layer.startsWith('conv') && !(l.forward_ms > 0))).toEqual([]);
  }, 120_000);

  it('refuses the WebAssembly-only build in the same process once the WebGPU build has set Liftoff-only compilation', async () => {
    await expect(benchWithLines(smallBench('web', 'wasm'))).rejects.toThrow(
      /compiles WebAssembly with V8's Liftoff only .* time --ep wasm in a separate process/,
    );
  });

  it('says why it cannot use more than one WebAssembly thread in Node', async () => {
    await expect(benchWithLines(smallBench('web', 'webgpu', { threads: 2 }))).rejects.toThrow(/one thread in Node: use --threads 1/);
  });
});
