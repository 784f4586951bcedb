import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LayerTime, ModeResult } from '../../src/bench/types.js';
import { cli, tempDir } from '../helpers/cli.js';

const SMALL = ['--batch', '2', '--image-size', '67', '--steps', '1', '--burn-in', '0', '--threads', '1', '--autotune', 'off'];
/** The network's own layers (not the loss, the gradients' norm or ORT's inserted nodes). */
const LAYER = /^(conv|lrn|pool|fc)\d+$/;

/** `bench --profile 2` of the built CLI on `runtime`, with its stdout and its JSON report. */
function profiled(runtime: string, ep: string): { stdout: string; stderr: string; results: ModeResult[] } {
  const json = join(tempDir(), 'r.json');
  const r = cli(['bench', '--runtime', runtime, '--ep', ep, ...SMALL, '--profile', '2', '--json', json]);
  expect(r.status, r.stderr).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr, results: JSON.parse(readFileSync(json, 'utf8')) as ModeResult[] };
}

describe('bench --profile with onnxruntime-web: ONNX Runtime profiler in Node, prefix in the browser', () => {
  it('times every layer with the profiler, keeps its JSON off stdout, and has the rows onnxruntime-node has', () => {
    const web = profiled('web', 'wasm');
    expect(web.stdout).toMatch(/^Forward per layer \(ONNX Runtime profiler, mean of 2 steps, kernel time\):$/m);
    expect(web.stdout).toMatch(/^Forward-backward per layer \(ONNX Runtime profiler, mean of 2 steps, kernel time\):$/m);
    // the profile onnxruntime-web prints is thousands of JSON lines: none may reach the terminal
    for (const out of [web.stdout, web.stderr]) expect(out).not.toMatch(/"cat"|_kernel_time|model_run/);
    expect(web.stdout.split('\n').length).toBeLessThan(60);
    expect(web.stdout.length).toBeLessThan(6000);

    const node = profiled('node', 'cpu');
    for (const [i, r] of web.results.entries()) {
      const rows = r.profile as LayerTime[];
      const layers = rows.filter((l) => LAYER.test(l.layer));
      expect(layers.map((l) => l.layer)).toEqual(['conv1', 'lrn1', 'pool1', 'conv2', 'lrn2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5']);
      // onnxruntime-node's CPU EP adds a `(runtime)` row (its NCHWc reorders); the layers' rows are the same
      const named = (ls: LayerTime[]) => ls.map((l) => l.layer).filter((l) => l !== '(runtime)');
      expect(named(rows)).toEqual(named(node.results[i]!.profile!));
      expect(layers.filter((l) => !(l.forward_ms > 0))).toEqual([]);
      if (r.mode === 'forward-backward') expect(layers.filter((l) => !(l.backward_ms > 0))).toEqual([]);
      else expect(rows.every((l) => l.backward_ms === 0)).toBe(true);
      // a sanity bound, not a timing: the kernels of one step take part of a step, not several steps
      const kernelMs = rows.reduce((s, l) => s + l.forward_ms + l.backward_ms, 0);
      expect(kernelMs).toBeGreaterThan(0);
      expect(kernelMs).toBeLessThan(5 * r.mean_s * 1000);
    }
  }, 120_000);

  it('still refuses the profiler in the browser, where the profile goes to the page console', () => {
    const r = cli(['bench', '--runtime', 'browser', '--profile', '2', '--profile-method', 'profiler']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^alexnet-onnx: --profile-method profiler needs --runtime node or web: .*; use prefix\n$/);
  });
});
