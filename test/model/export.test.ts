import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type AlexNetOptions, DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { exportModel } from '../../src/model/export.js';
import { cli, tempDir } from '../helpers/cli.js';
import { runPython } from '../helpers/python.js';

const dir = tempDir();
const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

interface Check {
  ok: boolean;
  values: number;
  mismatches: unknown[];
  missing: string[];
  unknown: string[];
}

const VARIANTS: [string, Partial<AlexNetOptions>, number[]][] = [
  ['default', {}, [2, 256, 6, 6]],
  ['no-lrn', { lrn: 'none' }, [2, 256, 6, 6]],
  ['paper-lrn-decomposed', { lrn: 'paper', lrnImpl: 'decomposed' }, [2, 256, 6, 6]],
  ['fc-dropout', { head: 'fc', dropout: 0.5 }, [2, 1000]],
  ['fc-dropout-decomposed', { head: 'fc', dropout: 0.5, dropoutImpl: 'decomposed' }, [2, 1000]],
  ['dynamic-fc', { batch: 'dynamic', head: 'fc', classes: 10 }, [2, 10]],
  ['small-image', { imageSize: 67, lrn: 'paper' }, [2, 256, 1, 1]],
];

describe.each(VARIANTS)('exported variant %s', (name, o, outShape) => {
  const options: AlexNetOptions = { ...DEFAULT_OPTIONS, batch: 2, ...o };
  const path = join(dir, `${name}.onnx`);
  exportModel(options, path);

  it('passes onnx.checker (full_check) and onnx shape inference agrees with our value_info', () => {
    const r = runPython<Check>('check_model.py', [path]);
    expect(r.mismatches).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.unknown).toEqual([]);
    expect(r.values).toBeGreaterThan(8);
  });

  it('runs on onnxruntime-node (CPU EP) with the declared output shape', async () => {
    const session = await ort.InferenceSession.create(path);
    sessions.push(session);
    expect(session.inputNames).toEqual(['images']);
    expect(session.outputNames).toEqual(['output']);
    const n = 2 * 3 * options.imageSize * options.imageSize;
    const images = new ort.Tensor(
      'float32',
      new Float32Array(n).map((_, i) => Math.sin(i) * 0.1),
      [2, 3, options.imageSize, options.imageSize],
    );
    const out = (await session.run({ images })).output!;
    expect(out.dims).toEqual(outShape);
    expect([...(out.data as Float32Array)].every(Number.isFinite)).toBe(true);
  });
});

describe('export determinism', () => {
  it('writes byte-identical files for the same options, in-process and through the CLI', () => {
    const a = join(dir, 'a.onnx');
    const b = join(dir, 'b.onnx');
    exportModel({ ...DEFAULT_OPTIONS }, a);
    expect(cli(['export', '-o', b]).status).toBe(0);
    const hash = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(hash(a)).toBe(hash(b));
  });
});
