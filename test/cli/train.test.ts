import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseModel } from '../../src/onnx/parse.js';
import { BIN, cli, tempDir } from '../helpers/cli.js';
import { PYTHON, runPython } from '../helpers/python.js';

/** A well-formed XML document, read by Python's parser: the root element's tag. */
function xmlRoot(path: string): string {
  return execFileSync(PYTHON, ['-c', 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().tag)', path], {
    encoding: 'utf8',
  }).trim();
}

describe('alexnet-onnx train', () => {
  it('learns the synthetic task on the CPU (64 px, batch 16, 10 classes): held-out accuracy >= 0.8; the model runs in bench --model and passes full_check', () => {
    const dir = tempDir();
    const model = join(dir, 'trained.onnx');
    const json = join(dir, 'history.json');
    const r = cli(['train', '--steps', '150', '--eval-every', '0', '--log-every', '25', '--out', model, '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain('alexnet-onnx train: onnxruntime-node 1.29.0, EP cpu, AlexNet (batch 16, 64 px, LRN tf-benchmark, fc8 linear)');
    expect(out).toContain('data: synthetic (10 classes, 10000 training and 1000 held-out images of 64 px)');
    expect(out.match(/^\S+ \S+: step \d+, duration = \d+\.\d{3}, loss = \d+\.\d{3}, accuracy = \d\.\d{3}$/gm)).toHaveLength(7);
    expect(out.match(/^\S+ \S+: step 150, held-out accuracy = \d\.\d{3} \(1000 images\)$/gm)).toHaveLength(1);
    expect(out).toMatch(
      /^\S+ \S+: Training step across 140 steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch \(the first 10 steps left out\)$/m,
    );
    const accuracy = Number(/^held-out accuracy (\d\.\d{3}) after 150 steps \(1000 images\)$/m.exec(out)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
    expect(out).toContain('parameters and optimizer state between steps: host memory');
    expect(out).toContain(`wrote ${model} (`);

    const history = JSON.parse(readFileSync(json, 'utf8'));
    expect(history.held_out_accuracy).toBe(accuracy);
    expect(history.history).toHaveLength(150);
    expect(history.history[0].loss).toBeGreaterThan(history.history.at(-1).loss);
    expect(history.model.fc8_relu).toBe(false);

    // the trained model is an ordinary inference model: a symbolic batch, no training inputs, runnable by bench
    const parsed = parseModel(readFileSync(model));
    expect(parsed.graph.inputs.map((i) => [i.name, i.type.shape])).toEqual([['images', ['N', 3, 64, 64]]]);
    expect(parsed.metadata['alexnet.fc8Relu']).toBe('false');
    expect(runPython<{ ok: boolean }>('check_model.py', [model]).ok).toBe(true);
    const bench = cli(['bench', '--model', model, '--batch', '2', '--steps', '2', '--burn-in', '0', '--no-progress']);
    expect(bench.status, bench.stderr).toBe(0);
    expect(bench.stdout).toMatch(/^forward +\d/m);

    expect(xmlRoot(join(dir, 'trained.svg'))).toBe('{http://www.w3.org/2000/svg}svg');
  }, 600_000);

  it('on Ctrl-C stops after the step under way, writes the model and chart trained so far, and exits 130', async () => {
    const dir = tempDir();
    const model = join(dir, 'm.onnx');
    const child = spawn(process.execPath, [BIN, 'train', '--batch', '2', '--steps', '100000', '--log-every', '1', '--out', model]);
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && /: step 2, duration/.test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(130);
    expect(stdout).toContain('stopping on SIGINT after this step, to save what was trained so far');
    const steps = Number(/^interrupted after (\d+) of 100000 steps$/m.exec(stdout)?.[1]);
    expect(steps).toBeGreaterThanOrEqual(2);
    expect(stdout).toContain(`wrote ${model} (`);
    expect(parseModel(readFileSync(model)).metadata['alexnet.trained']).toContain('fc8.weight');
    expect(existsSync(join(dir, 'm.svg'))).toBe(true);
    // no temporary file left beside them
    expect(readdirSync(dir).sort()).toEqual(['m.onnx', 'm.svg']);
  }, 300_000);

  it('trains on an ImageFolder directory, whose folders give the classes', () => {
    const data = tempDir();
    const colors: Record<string, [number, number, number]> = { cat: [200, 40, 40], dog: [40, 200, 40], fox: [40, 40, 200] };
    for (const [name, rgb] of Object.entries(colors)) {
      mkdirSync(join(data, name));
      for (let i = 0; i < 4; i++) {
        const png = new PNG({ width: 20, height: 16 });
        for (let p = 0; p < 20 * 16; p++) png.data.set([...rgb.map((c) => (c + 13 * i) % 256), 255], 4 * p);
        writeFileSync(join(data, name, `${i}.png`), PNG.sync.write(png));
      }
    }
    const out = join(tempDir(), 'm.onnx');
    const r = cli(['train', '--data', data, '--batch', '2', '--steps', '2', '--burn-in', '1', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`data: ${data} (3 classes, 9 training and 3 held-out images of 64 px)`);
    expect(r.stdout).toMatch(/: step 2, held-out accuracy = \d\.\d{3} \(3 images\)$/m);
    expect(parseModel(readFileSync(out)).graph.outputs[0]!.type.shape).toEqual(['N', 3]);
  }, 120_000);

  it.each([
    [['--data', '/nonexistent/images'], '--data /nonexistent/images: no such directory'],
    [['--lr', '0'], '--lr must be a number > 0, got 0'],
    [['--momentum', '0.9'], '--momentum is not a hyperparameter of --optimizer adamw'],
    [['--optimizer', 'sgd', '--beta2', '0.9'], '--beta2 is not a hyperparameter of --optimizer sgd'],
    [['--runtime', 'node', '--browser', '/usr/bin/chromium'], '--browser is for --runtime browser, but this run uses --runtime node'],
    [['--runtime', 'browser', '--ep', 'cpu'], '--ep cpu is not an EP of --runtime browser (choose wasm, webgpu)'],
    [['--ep', 'wasm'], '--ep wasm is not an EP of --runtime node (choose cpu, cuda, webgpu)'],
    [['--tf32'], '--tf32 is a CUDA EP setting, but this run uses --ep cpu'],
    [['--head', 'none'], "train learns class scores: --head none has none (train's default is --head fc)"],
    [['--loss', 'l2'], 'train learns classes with --loss softmax-cross-entropy'],
    [['--burn-in', '300'], '--burn-in 300 leaves no step to time: use fewer than --steps 300'],
    [['--warmup', '300'], '--warmup 300 leaves no step after it: use fewer than --steps 300'],
    [['--classes', '1'], '--data synthetic: --classes must be an integer >= 2, got 1'],
    [['--batch', 'dynamic'], "--batch must be a number here ('dynamic' is for export)"],
    [['--out', '/tmp'], '--out /tmp: it is a directory, not a file'],
    [['--out', 'a.onnx', '--chart', 'a.onnx'], '--out and --chart name the same file (a.onnx): give each its own'],
    [['--batch', '100000'], 'training --batch 100000 --image-size 64 --classes 10 with adamw needs about'],
  ])('refuses %j before anything is built, in one line, exit 2', async (args, message) => {
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation((s: unknown) => void err.push(String(s)));
    try {
      expect(await main(['train', ...args])).toBe(2);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(`alexnet-onnx: ${message}`);
  });
});

describe('--fc8-relu', () => {
  it('leaves fc8 linear with --no-fc8-relu, records it in the metadata, and is refused without fc8', () => {
    const dir = tempDir();
    const file = join(dir, 'm.onnx');
    const r = cli(['export', '--batch', '1', '--image-size', '67', '--head', 'fc', '--classes', '3', '--no-fc8-relu', '-o', file]);
    expect(r.status, r.stderr).toBe(0);
    const parsed = parseModel(readFileSync(file));
    expect(parsed.metadata['alexnet.fc8Relu']).toBe('false');
    const output = parsed.graph.nodes.find((n) => n.outputs.includes('output'))!;
    expect([output.opType, output.name]).toEqual(['Gemm', 'fc8.gemm']);
    const seeds = cli(['export', '--batch', '1', '--image-size', '67', '--head', 'fc', '--classes', '3', '-o', file]);
    expect(seeds.status, seeds.stderr).toBe(0);
    expect(parseModel(readFileSync(file)).graph.nodes.find((n) => n.outputs.includes('output'))!.opType).toBe('Relu');
    const refused = cli(['export', '--fc8-relu', '-o', file]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe('alexnet-onnx: --fc8-relu says whether fc8 has a ReLU, but --head none has no fc8: add --head fc\n');
  });
});
