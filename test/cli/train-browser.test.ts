import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/onnx/parse.js';
import { DEFAULT_BROWSER } from '../../src/runners/browser.js';
import { BIN, cli, tempDir } from '../helpers/cli.js';

/**
 * `train --runtime browser`: the training step's sessions in a page of Debian's headless Chromium (onnxruntime-web's
 * WebAssembly build in the page's worker). A tiny ImageFolder of 4 classes keeps the held-out evaluation to a few
 * images, so each run takes seconds.
 */
const chromium = existsSync(DEFAULT_BROWSER);

/** 4 classes of 5 coloured 16x16 PNGs (resized to --image-size by the loader). */
function tinyFolder(): string {
  const dir = tempDir();
  const colors: [number, number, number][] = [
    [200, 40, 40],
    [40, 200, 40],
    [40, 40, 200],
    [200, 200, 40],
  ];
  colors.forEach((rgb, c) => {
    mkdirSync(join(dir, `class${c}`));
    for (let i = 0; i < 5; i++) {
      const png = new PNG({ width: 16, height: 16 });
      for (let p = 0; p < 256; p++) png.data.set([...rgb.map((v) => (v + 13 * i + p) % 256), 255], 4 * p);
      writeFileSync(join(dir, `class${c}`, `${i}.png`), PNG.sync.write(png));
    }
  });
  return dir;
}

const losses = (json: string): number[] => JSON.parse(readFileSync(json, 'utf8')).history.map((h: { loss: number }) => h.loss);

/** Processes of the process group `pgid` that are still alive (zombies, dead but not yet reaped, do not count). */
function aliveInGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after its closing parenthesis
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z' ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
}

describe.skipIf(!chromium)(`alexnet-onnx train --runtime browser${chromium ? '' : ` skipped: no browser at ${DEFAULT_BROWSER}`}`, () => {
  it("trains in the page (wasm): the seeds' step lines, the page's device line, the first losses within 1e-6 of --runtime web's, a model bench runs", () => {
    const data = tinyFolder();
    const dir = tempDir();
    const common = ['--data', data, '--batch', '4', '--lr-schedule', 'constant', '--no-progress'];
    const model = join(dir, 'browser.onnx');
    const r = cli([
      'train',
      ...common,
      ...'--runtime browser --steps 8 --burn-in 2 --log-every 4'.split(' '),
      '--out',
      model,
      '--json',
      join(dir, 'browser.json'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`alexnet-onnx train: onnxruntime-web 1.29.0 in ${DEFAULT_BROWSER}, EP wasm, AlexNet (batch 4, 64 px`);
    expect(r.stdout.match(/^\S+ \S+: step (1|4|8), duration = \d+\.\d{3}, loss = \d+\.\d{3}, accuracy = \d\.\d{3}$/gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/^\S+ \S+: step 8, held-out accuracy = \d\.\d{3} \(4 images\)$/m);
    expect(r.stdout).toMatch(
      /^\S+ \S+: Training step across 6 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch \(the first 2 steps left out\)$/m,
    );
    // the browser's full version (Playwright's), not the user agent's reduced 156.0.0.0
    expect(r.stdout).toMatch(
      /^ONNX Runtime 1\.29\.0, EP wasm, device: HeadlessChrome \d+\.\d+\.(?!0\.0)\d+\.\d+, \d+ logical cores \(WebAssembly SIMD, \d+ threads?\);/m,
    );
    expect(r.stdout).toContain(`wrote ${model} (`);

    // the same WebAssembly kernels in Node: the same first steps from the same seed and batches
    const web = cli([
      'train',
      ...common,
      ...'--runtime web --steps 3 --burn-in 1'.split(' '),
      '--out',
      join(dir, 'web.onnx'),
      '--json',
      join(dir, 'web.json'),
    ]);
    expect(web.status, web.stderr).toBe(0);
    const [inPage, inNode] = [losses(join(dir, 'browser.json')), losses(join(dir, 'web.json'))];
    expect(inPage).toHaveLength(8);
    for (let i = 0; i < 3; i++) expect(Math.abs(inPage[i]! - inNode[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(inNode[i]!));

    expect(parseModel(readFileSync(model)).graph.inputs.map((i) => [i.name, i.type.shape])).toEqual([['images', ['N', 3, 64, 64]]]);
    const bench = cli(['bench', '--model', model, '--batch', '2', '--steps', '2', '--burn-in', '0', '--no-progress']);
    expect(bench.status, bench.stderr).toBe(0);
    expect(bench.stdout).toMatch(/^forward +\d/m);
  }, 180_000);

  it('on Ctrl-C stops after the step under way, reads the weights back from the page, writes them, exits 130 and leaves no Chromium running', async () => {
    const dir = tempDir();
    const model = join(dir, 'm.onnx');
    const args = [
      'train',
      '--runtime',
      'browser',
      '--data',
      tinyFolder(),
      '--batch',
      '2',
      '--steps',
      '100000',
      '--log-every',
      '1',
      '--out',
      model,
    ];
    // Chromium's and Playwright's temporary folders go here: none may be left behind
    const tmp = tempDir();
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TMPDIR: tmp } });
    let stdout = '';
    let chromiumPid: number | undefined;
    let aliveAtStop = 0;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (chromiumPid === undefined && /: step 2, duration/.test(stdout)) {
        // Playwright starts Chromium as the leader of its own process group (a terminal's Ctrl-C does not reach it)
        chromiumPid = Number(
          execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
            .trim()
            .split('\n')[0],
        );
        aliveAtStop = aliveInGroup(chromiumPid).length;
        child.kill('SIGINT');
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(130);
    expect(aliveAtStop).toBeGreaterThan(1);
    expect(readdirSync(tmp)).toEqual([]);
    expect(stdout).toContain('stopping on SIGINT after this step, to save what was trained so far');
    expect(Number(/^interrupted after (\d+) of 100000 steps$/m.exec(stdout)?.[1])).toBeGreaterThanOrEqual(2);
    expect(stdout).toContain(`wrote ${model} (`);
    expect(parseModel(readFileSync(model)).metadata['alexnet.trained']).toContain('fc8.weight');
    expect(readdirSync(dir).sort()).toEqual(['m.onnx', 'm.svg']);
    expect(aliveInGroup(chromiumPid!)).toEqual([]);
  }, 120_000);

  it('refuses --browser without --runtime browser, and names a missing browser', () => {
    const r = cli(['train', '--browser', DEFAULT_BROWSER]);
    expect([r.status, r.stderr]).toEqual([2, 'alexnet-onnx: --browser is for --runtime browser, but this run uses --runtime node\n']);
    const missing = cli(['train', '--runtime', 'browser', '--browser', '/nonexistent/chromium', '--steps', '2', '--burn-in', '1']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^alexnet-onnx: no browser at \/nonexistent\/chromium: install Debian's chromium/);
  });
});
