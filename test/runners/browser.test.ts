import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/bench/progress.js';
import { runBench } from '../../src/bench/run.js';
import { openBrowserBench } from '../../src/runners/browser.js';
import { benchWithLines, STEP_LINE, SUMMARY_LINE, smallBench } from '../helpers/bench.js';
import { expectSameOutputs } from '../helpers/compare.js';

/**
 * onnxruntime-web in a page of Debian's headless Chromium, driven through playwright-core. Without a GPU Chromium's
 * WebGPU is SwiftShader (a CPU implementation, seconds per step), so the WebGPU run is one tiny step per mode.
 */
describe('onnxruntime-web in the browser', () => {
  it('wasm: times both modes in the page, cross-origin isolated with threads, and matches onnxruntime-node CPU', async () => {
    const browser = await benchWithLines(smallBench('browser', 'wasm'));
    const node = await benchWithLines(smallBench('node', 'cpu'));
    expect(browser.lines.filter((l) => STEP_LINE.test(l))).toHaveLength(4);
    expect(browser.lines.filter((l) => SUMMARY_LINE.test(l))).toHaveLength(2);
    expect(browser.results.map((r) => [r.runtime, r.ep, r.mode, r.fallback_nodes, r.durations_s.length])).toEqual([
      ['browser', 'wasm', 'forward', [], 2],
      ['browser', 'wasm', 'forward-backward', [], 2],
    ]);
    const device = browser.results[0]!.device;
    expect(device).toMatch(/Chrome[\w]* \d+/);
    expect(device).toMatch(/WebAssembly SIMD, \d+ threads?\)$/);
    expect(device).not.toContain('not cross-origin isolated');
    for (let i = 0; i < 2; i++) expectSameOutputs(browser.results[i]!, node.results[i]!, 1e-4);
  });

  it('webgpu (SwiftShader here): both modes with every node on WebGPU, matching onnxruntime-node CPU', async () => {
    const small = { steps: 1, model: { imageSize: 57 } };
    const browser = await benchWithLines(smallBench('browser', 'webgpu', small));
    const node = await benchWithLines(smallBench('node', 'cpu', { ...small, formulationOf: 'webgpu' }));
    expect(browser.results.map((r) => [r.runtime, r.ep, r.mode, r.fallback_nodes])).toEqual([
      ['browser', 'webgpu', 'forward', []],
      ['browser', 'webgpu', 'forward-backward', []],
    ]);
    expect(browser.results[0]!.device).toContain('WebGPU adapter: ');
    for (let i = 0; i < 2; i++) expectSameOutputs(browser.results[i]!, node.results[i]!, 1e-3);
  }, 300_000);

  it('times layers by prefix timing in the page (--profile): each cut of the graph as its own job', async () => {
    const { results, lines } = await benchWithLines(smallBench('browser', 'wasm', { modes: ['forward'], profileSteps: 2 }));
    expect(
      lines.some((l) =>
        l.startsWith('Forward per layer (prefix timing: step time up to each layer minus up to the one before, mean of 2 steps each):\n'),
      ),
    ).toBe(true);
    expect(results[0]!.profile!.map((r) => r.layer)).toEqual([
      '(run)',
      'conv1',
      'lrn1',
      'pool1',
      'conv2',
      'lrn2',
      'pool2',
      'conv3',
      'conv4',
      'conv5',
      'pool5',
      '(fetch)',
    ]);
    expect(results[0]!.profile!.find((r) => r.layer === '(run)')!.forward_ms).toBeGreaterThan(0);
  });

  it("reports the page's session, first run and steps as progress, as a Node run does; no peak memory of its own", async () => {
    const events: ProgressEvent[] = [];
    const o = smallBench('browser', 'wasm', { modes: ['forward'], steps: 3, burnIn: 2, collectOutputs: false });
    const [result] = await runBench(
      o,
      () => {},
      undefined,
      (e) => events.push(e),
    );
    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(['browser', 'build', 'page', 'session', 'first-run', 'burn-in', 'timed']);
    // the page's worker thins the steps out, but always sends the last
    expect(events.at(-1)).toMatchObject({ phase: 'timed', mode: 'forward', done: 3, total: 3 });
    expect(events.at(-1)!.durationS).toBeGreaterThan(0);
    expect(result!.peak_rss_bytes).toBeNull();
  });

  it('names the missing browser', async () => {
    await expect(openBrowserBench({ browserPath: '/nonexistent/chromium' })).rejects.toThrow(
      /no browser at \/nonexistent\/chromium: install Debian's chromium/,
    );
  });
});
