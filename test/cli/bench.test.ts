import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';

const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '3', '--burn-in', '1', '--log-every', '1'];
const FIELDS = [
  'runtime',
  'ep',
  'mode',
  'batch',
  'steps',
  'burn_in',
  'mean_s',
  'sd_s',
  'min_s',
  'p50_s',
  'p90_s',
  'p99_s',
  'max_s',
  'images_per_s',
  'gflops_per_s',
  'ort_version',
  'device',
  'fallback_nodes',
];

describe('alexnet-onnx bench (CPU EP)', () => {
  it("prints the seeds' lines for both modes, the summary table, and writes the JSON report", () => {
    const json = join(tempDir(), 'r.json');
    const r = cli(['bench', ...SMALL, '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: step [0-2], duration = \d+\.\d{3}$/.test(l))).toHaveLength(6);
    expect(lines.some((l) => /^\S+ \S+: Forward across 3 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/.test(l))).toBe(true);
    expect(lines.some((l) => /^\S+ \S+: Forward-backward across 3 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/.test(l))).toBe(true);
    expect(r.stdout).toMatch(
      /mode\s+mean ms\s+sd\s+min\s+p50\s+p90\s+p99\s+max\s+images\/s\s+GFLOP\/s\s+session ms\s+first run ms\s+peak MB\n/,
    );
    expect(r.stdout).toMatch(/ONNX Runtime 1\.29\.0 \(onnxruntime-node\), EP cpu, device: /);
    expect(r.stdout).toContain('input on device; forward-backward fetches every gradient');
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    expect(report.map((x) => x.mode)).toEqual(['forward', 'forward-backward']);
    for (const m of report) {
      for (const f of FIELDS) expect(m, f).toHaveProperty(f);
      expect(m.runtime).toBe('node');
      expect(m.ep).toBe('cpu');
      expect(m.batch).toBe(1);
      expect(m.steps).toBe(3);
      expect(m.burn_in).toBe(1);
      expect(m.fallback_nodes).toEqual([]);
      expect(m.durations_s).toHaveLength(3);
      expect(m.gflops_per_s as number).toBeGreaterThan(0);
      expect(m.input).toBe('device');
      expect(m.tf32).toBeNull();
    }
    expect(report[1]!.fetch).toHaveLength(10);
    expect(report[1]!.flops_per_batch as number).toBeGreaterThan(2 * (report[0]!.flops_per_batch as number));
  });

  it('feeds from the host and fetches only grad_sq_sum when asked', () => {
    const json = join(tempDir(), 'r.json');
    const r = cli(['bench', ...SMALL, '--mode', 'forward-backward', '--input', 'host', '--fetch', 'sum', '--json', json]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('input on host; forward-backward fetches grad_sq_sum only');
    const [m] = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    expect(m!.input).toBe('host');
    expect(m!.fetch).toEqual(['grad_sq_sum']);
  });

  it('prints a per-layer profile with --profile', () => {
    const json = join(tempDir(), 'r.json');
    const r = cli(['bench', ...SMALL, '--profile', '2', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Forward-backward per layer \(ONNX Runtime profiler, mean of 2 steps, kernel time\):$/m);
    expect(r.stdout).toMatch(/^conv2\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d%$/m);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      profile: { layer: string; backward_ms: number }[];
      profile_method: string;
    }[];
    expect(report[1]!.profile.find((p) => p.layer === 'conv5')!.backward_ms).toBeGreaterThan(0);
    expect(report.map((m) => m.profile_method)).toEqual(['profiler', 'profiler']);
  });

  it('prints a per-layer table by prefix timing, where each layer is the step up to it minus the step up to the one before', () => {
    const json = join(tempDir(), 'r.json');
    const r = cli(['bench', ...SMALL, '--profile', '2', '--profile-method', 'prefix', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Forward-backward per layer \(prefix timing: step time up to each layer minus up to the one before, mean of 2 steps each\):$/m,
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as { profile: { layer: string }[]; profile_method: string }[];
    expect(report[0]!.profile_method).toBe('prefix');
    expect(report[0]!.profile.map((p) => p.layer)).toEqual([
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
    expect(report[1]!.profile.map((p) => p.layer)).toEqual([
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
      'loss',
      '(fetch)',
    ]);
  });

  it('benches an exported file; a forward-only file defaults to forward mode', () => {
    const dir = tempDir();
    const fwd = join(dir, 'f.onnx');
    const grad = join(dir, 'g.onnx');
    expect(cli(['export', '--batch', '1', '--image-size', '67', '--lrn-impl', 'op', '-o', fwd]).status).toBe(0);
    expect(cli(['export', '--grad', '--batch', 'dynamic', '--image-size', '67', '-o', grad]).status).toBe(0);
    const a = cli(['bench', '--model', fwd, '--steps', '2', '--burn-in', '0', '--json', join(dir, 'a.json')]);
    expect(a.status).toBe(0);
    // the file's formulation, not the one bench would pick for the CPU (decomposed LRN)
    expect(a.stdout).toContain(`graph: LRN op (${fwd}'s metadata)`);
    expect(a.stdout).toMatch(/^forward: .*, LRN op, all nodes on cpu$/m);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).map((m: { mode: string }) => m.mode)).toEqual(['forward']);
    const b = cli(['bench', '--model', grad, '--batch', '2', '--steps', '2', '--burn-in', '0', '--json', join(dir, 'b.json')]);
    expect(b.status).toBe(0);
    const modes = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')) as { mode: string; batch: number }[];
    expect(modes.map((m) => [m.mode, m.batch])).toEqual([
      ['forward', 2],
      ['forward-backward', 2],
    ]);
  });

  it("refuses a --model file whose training Dropout op onnxruntime-web's WebGPU build cannot run, from the file's metadata", () => {
    const file = join(tempDir(), 'd.onnx');
    expect(
      cli([
        'export',
        '--grad',
        '--batch',
        '1',
        '--image-size',
        '67',
        '--head',
        'fc',
        '--classes',
        '10',
        '--dropout',
        '0.5',
        '--dropout-impl',
        'op',
        // a MaxPool gradient WebGPU can run, so that the Dropout op is what is refused
        '--maxpool-grad',
        'mask',
        '-o',
        file,
      ]).status,
    ).toBe(0);
    const r = cli(['bench', '--runtime', 'web', '--ep', 'webgpu', '--model', file, '--steps', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no kernel for the training graph's Dropout op/);
  });

  it.each([
    [['--ep', 'tpu'], 2, /ep.*Given: "tpu".*Choices: "cpu", "cuda", "webgpu", "wasm"/],
    [['--runtime', 'web', '--ep', 'cuda'], 2, /--ep cuda is not an EP of --runtime web \(choose wasm, webgpu\)/],
    [['--ep', 'wasm'], 2, /--ep wasm is not an EP of --runtime node \(choose cpu, cuda, webgpu\)/],
    [
      ['--ep', 'cuda', '--profile', '2', '--profile-method', 'profiler'],
      2,
      /--profile-method profiler does not work on the CUDA EP: .* times each kernel's launch on the host, not its run on the GPU/,
    ],
    [
      ['--runtime', 'browser', '--profile', '2', '--profile-method', 'profiler'],
      2,
      /--profile-method profiler needs --runtime node or web: .*use prefix/,
    ],
    [
      ['--runtime', 'web', '--ep', 'webgpu', '--head', 'fc', '--dropout', '0.5', '--dropout-impl', 'op'],
      2,
      /WebGPU build has no kernel for the training graph's Dropout op: use --dropout-impl decomposed/,
    ],
    [
      ['--runtime', 'browser', '--browser', '/nonexistent/chromium'],
      1,
      /no browser at \/nonexistent\/chromium: install Debian's chromium \(apt-get install chromium\) or give --browser PATH/,
    ],
    [['--batch', '0'], 2, /--batch must be a positive integer or 'dynamic', got '?0'?/],
    [['--batch', 'dynamic'], 2, /--batch must be a number here \('dynamic' is for export\)/],
    [['--steps', '0'], 2, /--steps must be an integer >= 1, got 0/],
    [['--model', '/nonexistent/m.onnx'], 2, /--model \/nonexistent\/m\.onnx: no such file/],
    [['--ep', 'cuda'], 1, /the CUDA execution provider is not installed .* run 'alexnet-onnx setup cuda'/],
    [['--tf32'], 2, /--tf32 is a CUDA EP setting: it needs --runtime node --ep cuda/],
  ])('refuses %j with one line and exit code %i', (args, code, message) => {
    const r = cli(['bench', ...SMALL, ...args]);
    expect(r.status).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it("offers 'auto' once, as the default, for each graph formulation option", () => {
    const help = cli(['bench', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('[choices: "auto", "op", "decomposed", "banded"] [default: "auto"]');
    expect(help).toContain('[choices: "auto", "op", "decomposed"] [default: "auto"]');
    expect(help).toContain('[choices: "auto", "scatter", "mask", "match"] [default: "auto"]');
    expect(help).toContain('[choices: "auto", "conv", "matmul"] [default: "auto"]');
    expect(help).not.toMatch(/"auto", [^\]]*"auto"/);
  });

  it('runs onnxruntime-web in Node with the same lines, summary and JSON fields', () => {
    const json = join(tempDir(), 'w.json');
    const r = cli(['bench', '--runtime', 'web', ...SMALL, '--threads', '1', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^alexnet-onnx bench: onnxruntime-web 1\.29\.0 in Node, EP wasm, /m);
    expect(r.stdout).toMatch(
      /ONNX Runtime 1\.29\.0 \(onnxruntime-web in Node\), EP wasm, device: .*\(WebAssembly SIMD, 1 thread, V8 TurboFan only\)/,
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    for (const m of report) {
      for (const f of FIELDS) expect(m, f).toHaveProperty(f);
      expect([m.runtime, m.ep, m.fallback_nodes]).toEqual(['web', 'wasm', []]);
      expect(m).not.toHaveProperty('outputs');
    }
  });

  it('refuses a corrupt model file with one line and exit code 1, and forward-backward on a forward-only model with 2', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'this is not protobuf at all');
    const r = cli(['bench', '--model', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--model .*bad\.onnx is not a valid ONNX model/);
    const fwd = join(dir, 'f.onnx');
    cli(['export', '--batch', '1', '--image-size', '67', '-o', fwd]);
    const m = cli(['bench', '--model', fwd, '--mode', 'forward-backward']);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/needs gradients, but .* has none: export it with --grad/);
  });
});
