import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Split } from '../../src/train/data.js';
import { syntheticDataset } from '../../src/train/data-synthetic.js';
import { tempDir } from '../helpers/cli.js';
import { PYTHON } from '../helpers/python.js';

const SCRIPT = fileURLToPath(new URL('small_cnn.py', import.meta.url));

/** Writes a split as raw float32 NCHW images and int64 labels, what small_cnn.py reads. */
function writeSplit(dir: string, name: string, split: Split, imageSize: number): void {
  const length = 3 * imageSize * imageSize;
  const images = new Float32Array(split.size * length);
  const labels = new BigInt64Array(split.size);
  for (let i = 0; i < split.size; i++) {
    split.image(i, images, i * length);
    labels[i] = BigInt(split.label(i));
  }
  writeFileSync(join(dir, `${name}.bin`), new Uint8Array(images.buffer));
  writeFileSync(join(dir, `${name}.labels.bin`), new Uint8Array(labels.buffer));
}

describe('the synthetic task', () => {
  it('is learnt by a small CNN (PyTorch): held-out accuracy >= 80% after a few hundred steps', () => {
    const imageSize = 32;
    const classes = 10;
    const ds = syntheticDataset({ classes, imageSize, seed: 5, trainSize: 2000, heldOutSize: 500 });
    const dir = tempDir('alexnet-onnx-learnable-');
    writeSplit(dir, 'train', ds.train, imageSize);
    writeSplit(dir, 'held-out', ds.heldOut, imageSize);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ image_size: imageSize, classes, steps: 250, batch: 32 }));
    const out = execFileSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
    const { accuracy } = JSON.parse(out.trim().split('\n').pop()!) as { accuracy: number };
    expect(accuracy).toBeGreaterThanOrEqual(0.8);
  });
});
