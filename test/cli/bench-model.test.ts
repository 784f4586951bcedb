import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';

const QUICK = ['--steps', '1', '--burn-in', '0', '--log-every', '1'];

/** The report of a bench that must succeed. */
function benchJson(args: string[]): { stdout: string; report: Record<string, unknown>[] } {
  const json = join(tempDir(), 'r.json');
  const r = cli(['bench', ...args, ...QUICK, '--json', json]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { stdout: r.stdout, report: JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[] };
}

/** A bench that must fail with one line and `status`. */
function refused(args: string[], status: number): string {
  const r = cli(['bench', ...args, ...QUICK]);
  expect(r.stdout).toBe('');
  expect(r.status).toBe(status);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.stderr.trim();
}

describe('bench --model with a fixed batch and image size', () => {
  let m4: string;
  beforeAll(() => {
    m4 = join(tempDir(), 'm4.onnx');
    expect(cli(['export', '--batch', '4', '--image-size', '67', '-o', m4]).status).toBe(0);
  });

  it("refuses a --batch or --image-size that differs from the file's, naming both", () => {
    expect(refused(['--model', m4, '--batch', '8'], 2)).toBe(
      `alexnet-onnx: --batch 8, but ${m4}'s images input [4, 3, 67, 67] has a fixed batch of 4: leave --batch out to time it at batch 4`,
    );
    expect(refused(['--model', m4, '--image-size', '99'], 2)).toMatch(/--image-size 99, but .*m4\.onnx's .* has fixed 67x67 images/);
    expect(refused(['--model', m4, '--batch', 'dynamic'], 2)).toMatch(/--batch must be a number here \('dynamic' is for export\)/);
  });

  it("times the file's batch when --batch is left out (or matches), and says nothing more about a file of its own", () => {
    for (const args of [
      ['--model', m4],
      ['--model', m4, '--batch', '4', '--image-size', '67'],
    ]) {
      const { stdout, report } = benchJson(args);
      expect(report.map((m) => m.batch)).toEqual([4]);
      expect(stdout).not.toContain('note:');
      expect(report[0]!.formulation).toMatchObject({ lrn_impl: 'op' });
    }
  });
});

describe('bench --model with a model from another tool', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    runPython('foreign_models.py', [dir], 60_000);
  });

  it('takes symbolic N from --batch and H, W from --image-size, says so, and claims nothing AlexNet about it', () => {
    const sym = join(dir, 'sym.onnx');
    const { stdout, report } = benchJson(['--model', sym, '--batch', '2', '--image-size', '20']);
    expect(stdout).toContain(
      `note: ${sym}'s images input [N, 3, H, W] is timed as [2, 3, 20, 20] (N from --batch, H and W from --image-size)`,
    );
    expect(stdout).toContain(
      `note: ${sym} was not written by alexnet-onnx: timing its 'images' -> 'output'; FLOPs count its Conv/ConvTranspose/Gemm/MatMul nodes`,
    );
    const [m] = report;
    expect(m!.batch).toBe(2);
    // one 3x3 Conv, 3 -> 4 channels, 18x18 outputs, batch 2: 2 FLOPs per multiply-accumulate
    expect(m!.flops_per_batch).toBe(2 * 2 * 4 * 18 * 18 * 27);
    expect(m!.model).toBe(sym);
    expect(m!.formulation).toEqual({
      lrn_impl: 'unknown',
      dropout_impl: 'unknown',
      maxpool_grad: null,
      conv_weight_grad: null,
      conv_data_grad: null,
    });
  });

  it('refuses a symbolic dimension that no option sets, naming it and what the options set', () => {
    expect(refused(['--model', join(dir, 'sym_c.onnx')], 1)).toMatch(
      /images input \[N, C, H, W\] has symbolic C, which no option sets \(--batch sets N, --image-size sets H and W/,
    );
  });

  it('refuses a model with external data, saying so, instead of reading outside the model file', () => {
    const line = refused(['--model', join(dir, 'ext.onnx')], 1);
    expect(line).toMatch(/ext\.onnx: initializer w keeps its data in an external file \(ext\.bin\): ONNX external data is not supported/);
    expect(line).not.toMatch(/values for dims/);
  });
});
