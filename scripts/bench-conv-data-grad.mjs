#!/usr/bin/env node
// Micro-benchmark behind `--conv-data-grad`: the input gradient of AlexNet's stride-1 convs (conv2-conv5) as a
// ConvTranspose of dY with W, against a Conv of dY with W's channels swapped and kernel flipped, on
// onnxruntime-node's CPU EP; three sessions each, alternated. Run after `npm run build`:
//   node scripts/bench-conv-data-grad.mjs 8      (batch size)
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../dist/onnx/builder.js';
import { encodeModel } from '../dist/onnx/serialize.js';
import { attr } from '../dist/onnx/types.js';

const info = { producerName: 'x', producerVersion: '1', doc: '', metadata: {} };
const rnd = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 0.1);
async function time(bytes, feeds, n) {
  const s = await ort.InferenceSession.create(bytes);
  await s.run(feeds);
  await s.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await s.run(feeds);
  const ms = (performance.now() - t0) / n;
  await s.release();
  return ms;
}
const N = Number(process.argv[2] ?? 8);
if (!Number.isSafeInteger(N) || N < 1) throw new Error('usage: node scripts/bench-conv-data-grad.mjs [batch]');
for (const [name, C, M, H, K] of [
  ['conv2', 64, 192, 27, 5],
  ['conv3', 192, 384, 13, 3],
  ['conv4', 384, 256, 13, 3],
  ['conv5', 256, 256, 13, 3],
]) {
  const p = (K - 1) / 2;
  const mk = (kind) => {
    const b = new GraphBuilder('g');
    const dy = b.input('dy', { dtype: 'float32', shape: [N, M, H, H] });
    const w = b.initializer('w', 'float32', [M, C, K, K], rnd(M * C * K * K));
    let dx;
    if (kind === 'ct')
      dx = b.op1('ConvTranspose', [dy, w], { kernel_shape: attr.ints([K, K]), pads: attr.ints([p, p, p, p]) }, { name: 'dx' });
    else {
      const wt = b.op1('Transpose', [w], { perm: attr.ints([1, 0, 2, 3]) }, { name: 'wt' });
      const wf = b.op1(
        'Slice',
        [wt, b.int64s([-1, -1]), b.int64s([-(2 ** 62), -(2 ** 62)]), b.int64s([2, 3]), b.int64s([-1, -1])],
        {},
        { name: 'wf' },
      );
      dx = b.op1('Conv', [dy, wf], { kernel_shape: attr.ints([K, K]), pads: attr.ints([p, p, p, p]) }, { name: 'dx' });
    }
    b.output(dx);
    return encodeModel(b.build(), info);
  };
  const feeds = { dy: new ort.Tensor('float32', rnd(N * M * H * H), [N, M, H, H]) };
  const r = { ct: 0, conv: 0 };
  for (let rep = 0; rep < 3; rep++)
    for (const k of ['ct', 'conv']) {
      r[k] += (await time(mk(k), feeds, N >= 32 ? 3 : 6)) / 3;
    }
  console.log(`batch ${N} ${name}: ConvTranspose ${r.ct.toFixed(1)} ms, Conv(flipped W^T) ${r.conv.toFixed(1)} ms`);
}
