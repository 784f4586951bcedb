import { describe, expect, it } from 'vitest';
import { createWebRunner } from '../../src/runners/ort-web.js';
import { benchWithLines, STEP_LINE, SUMMARY_LINE, smallBench } from '../helpers/bench.js';
import { expectSameOutputs } from '../helpers/compare.js';

/** onnxruntime-web's WebAssembly build in Node, against onnxruntime-node's CPU EP on the same graph. */
describe('onnxruntime-web wasm in Node', () => {
  it("times forward and forward-backward with the seeds' lines and matches onnxruntime-node CPU", async () => {
    const web = await benchWithLines(smallBench('web', 'wasm', { threads: 2 }));
    const node = await benchWithLines(smallBench('node', 'cpu'));
    expect(web.lines.filter((l) => STEP_LINE.test(l))).toHaveLength(4);
    expect(web.lines.filter((l) => SUMMARY_LINE.test(l))).toHaveLength(2);
    expect(web.results.map((r) => [r.runtime, r.ep, r.mode, r.fallback_nodes])).toEqual([
      ['web', 'wasm', 'forward', []],
      ['web', 'wasm', 'forward-backward', []],
    ]);
    expect(web.results[0]!.device).toContain('WebAssembly SIMD, 2 threads, V8 TurboFan only');
    expect(web.results[0]!.ort_version).toBe('1.29.0');
    expect(web.results[1]!.formulation).toEqual({
      lrn_impl: 'decomposed',
      dropout_impl: null,
      maxpool_grad: 'scatter',
      conv_weight_grad: 'matmul',
      conv_data_grad: 'conv',
    });
    expect(Object.keys(web.results[1]!.outputs!)).toHaveLength(10);
    for (let i = 0; i < 2; i++) expectSameOutputs(web.results[i]!, node.results[i]!, 1e-4);
  });

  it('refuses a second thread count in the same process (onnxruntime-web fixes it at start-up)', async () => {
    const o = smallBench('web', 'wasm', { threads: 1 });
    await expect(
      createWebRunner({
        ep: 'wasm',
        model: new Uint8Array(),
        feeds: {},
        fetches: [],
        threads: o.threads,
        graphOpt: 'all',
        tf32: false,
        profileDir: '',
      }),
    ).rejects.toThrow(/fixes its WebAssembly threads once per process: already 2, asked for 1/);
  });

  it('refuses the WebGPU build after the WebAssembly one in the same process (V8 compiles them differently)', async () => {
    await expect(
      createWebRunner({
        ep: 'webgpu',
        model: new Uint8Array(),
        feeds: {},
        fetches: [],
        threads: 1,
        graphOpt: 'all',
        tf32: false,
        profileDir: '',
      }),
    ).rejects.toThrow(/compiles WebAssembly with V8's TurboFan only .* time --ep webgpu in a separate process/);
  });
});
