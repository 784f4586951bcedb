import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type AlexNetOptions, buildAlexNet, DEFAULT_OPTIONS, LRN_PRESETS, validateOptions } from '../../src/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { minImageSize, pool5Size, samePads } from '../../src/model/layers.js';
import { lrn } from '../../src/model/lrn.js';
import { normalTensor, Random } from '../../src/model/random.js';
import { GraphBuilder } from '../../src/onnx/builder.js';

const opts = (o: Partial<AlexNetOptions> = {}): AlexNetOptions => ({ ...DEFAULT_OPTIONS, ...o });

describe('AlexNet', () => {
  it("matches the seeds' print_activations shapes (NCHW) at batch 32", () => {
    const m = buildForwardModel(opts());
    expect(m.activations.map((a) => [a.layer, a.shape])).toEqual([
      ['conv1', [32, 64, 56, 56]],
      ['pool1', [32, 64, 27, 27]],
      ['conv2', [32, 192, 27, 27]],
      ['pool2', [32, 192, 13, 13]],
      ['conv3', [32, 384, 13, 13]],
      ['conv4', [32, 256, 13, 13]],
      ['conv5', [32, 256, 13, 13]],
      ['pool5', [32, 256, 6, 6]],
    ]);
    expect(m.parameterCount).toBe(2_469_696);
  });

  it.each([
    [{}, [32, 256, 6, 6]],
    [{ batch: 'dynamic' as const }, ['N', 256, 6, 6]],
    [{ batch: 128, lrn: 'none' as const }, [128, 256, 6, 6]],
    [{ lrn: 'paper' as const, lrnImpl: 'decomposed' as const }, [32, 256, 6, 6]],
    [{ head: 'fc' as const }, [32, 1000]],
    [{ head: 'fc' as const, classes: 10, dropout: 0.5, batch: 'dynamic' as const }, ['N', 10]],
    [{ imageSize: 64 }, [32, 256, 1, 1]],
  ])('%o gives output %o', (o, shape) => {
    const net = buildAlexNet(opts(o));
    expect(net.output).toBe('output');
    expect(net.builder.typeOf('output').shape).toEqual(shape);
    expect(net.builder.inputs.map((i) => i.name)).toEqual(['images']);
  });

  it("names parameters readably, in the seeds' order", () => {
    const net = buildAlexNet(opts({ head: 'fc' }));
    expect(net.convParams).toEqual([
      'conv1.weight',
      'conv1.bias',
      'conv2.weight',
      'conv2.bias',
      'conv3.weight',
      'conv3.bias',
      'conv4.weight',
      'conv4.bias',
      'conv5.weight',
      'conv5.bias',
    ]);
    expect(net.fcParams).toEqual(['fc6.weight', 'fc6.bias', 'fc7.weight', 'fc7.bias', 'fc8.weight', 'fc8.bias']);
  });

  it('writes LRN in ONNX terms: alpha_onnx = alpha_tf * size', () => {
    const lrn = buildAlexNet(opts()).builder.nodes.find((n) => n.opType === 'LRN')!;
    expect(lrn.attributes.size).toEqual({ kind: 'int', value: 9 });
    expect(lrn.attributes.bias).toEqual({ kind: 'float', value: 1 });
    expect((lrn.attributes.alpha as { value: number }).value).toBeCloseTo(0.001, 12);
    const paper = buildAlexNet(opts({ lrn: 'paper' })).builder.nodes.find((n) => n.opType === 'LRN')!;
    expect(paper.attributes.size).toEqual({ kind: 'int', value: 5 });
    expect((paper.attributes.alpha as { value: number }).value).toBeCloseTo(5e-4, 12);
    expect(buildAlexNet(opts({ lrn: 'none' })).builder.nodes.some((n) => n.opType === 'LRN')).toBe(false);
  });

  it.each(['tf-benchmark', 'paper'] as const)('writes LRN %s three ways with the same output: op, decomposed, banded', async (preset) => {
    const outputs: Float32Array[] = [];
    for (const lrnImpl of ['op', 'decomposed', 'banded'] as const) {
      const model = buildForwardModel(opts({ batch: 1, imageSize: 67, lrn: preset, lrnImpl }));
      const session = await ort.InferenceSession.create(modelBytes(model));
      const images = new ort.Tensor('float32', normalTensor(3, 'lrn-images', 3 * 67 * 67, 1), [1, 3, 67, 67]);
      outputs.push((await session.run({ images })).output!.data as Float32Array);
      await session.release();
    }
    const scale = Math.max(...outputs[0]!.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (const other of outputs.slice(1))
      expect(Math.max(...other.map((v, i) => Math.abs(v - outputs[0]![i]!)))).toBeLessThan(1e-5 * scale);
  });

  it('writes the banded LRN as a 1x1 Conv over channels, with square roots for beta 0.75 and Pow otherwise', () => {
    const b = new GraphBuilder('lrn');
    const x = b.input('x', { dtype: 'float32', shape: [1, 6, 2, 2] });
    lrn(b, x, 'lrn1', LRN_PRESETS.paper, 'banded');
    const conv = b.nodes.find((n) => n.opType === 'Conv')!;
    // row 0 of the [6,6] band: TensorFlow's per-element alpha on channels 0-2 (radius 2)
    const row = [...(b.constantValues(conv.inputs[1]!) ?? [])].slice(0, 6).map((v) => v / LRN_PRESETS.paper.alpha);
    expect(row).toEqual([1, 1, 1, 0, 0, 0].map((v) => expect.closeTo(v, 6)));
    expect(b.constantValues(conv.inputs[2]!)).toEqual(Array(6).fill(2));
    expect(b.nodes.map((n) => n.opType)).toEqual(['Mul', 'Conv', 'Sqrt', 'Sqrt', 'Mul', 'Div']);
    lrn(b, x, 'lrn2', { ...LRN_PRESETS.paper, beta: 0.6 }, 'banded');
    expect(b.nodes.slice(6).map((n) => n.opType)).toEqual(['Mul', 'Conv', 'Pow', 'Mul']);
  });

  it('uses TF SAME padding with the odd pixel at the end', () => {
    expect(samePads(224, 11, 4)).toEqual([3, 4]);
    expect(samePads(27, 5, 1)).toEqual([2, 2]);
    expect(samePads(13, 3, 1)).toEqual([1, 1]);
    expect(pool5Size(224)).toBe(6);
    expect(pool5Size(minImageSize())).toBe(1);
    expect(pool5Size(minImageSize() - 1)).toBe(0);
  });

  it('draws truncated normal weights (|w| <= 2 sd, sd near 0.1), conv biases 0, FC biases 0.1', () => {
    const net = buildAlexNet(opts({ head: 'fc', classes: 10 }));
    const w = net.builder.initializers.find((i) => i.name === 'conv2.weight')!.data as Float32Array;
    let sq = 0;
    let max = 0;
    for (const v of w) {
      sq += v * v;
      max = Math.max(max, Math.abs(v));
    }
    expect(max).toBeLessThanOrEqual(0.2 + 1e-7);
    // truncated at 2 sd the standard deviation is 0.88 * 0.1
    expect(Math.sqrt(sq / w.length)).toBeGreaterThan(0.085);
    expect(Math.sqrt(sq / w.length)).toBeLessThan(0.091);
    expect([...(net.builder.initializers.find((i) => i.name === 'conv1.bias')!.data as Float32Array)].every((v) => v === 0)).toBe(true);
    expect(
      [...(net.builder.initializers.find((i) => i.name === 'fc8.bias')!.data as Float32Array)].every((v) => v === Math.fround(0.1)),
    ).toBe(true);
  });

  it('gives each tensor its own stream: conv weights do not depend on the head', () => {
    const a = buildAlexNet(opts()).builder.initializers.find((i) => i.name === 'conv5.weight')!.data;
    const b = buildAlexNet(opts({ head: 'fc', classes: 7 })).builder.initializers.find((i) => i.name === 'conv5.weight')!.data;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const c = buildAlexNet(opts({ seed: 2 })).builder.initializers.find((i) => i.name === 'conv5.weight')!.data;
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('has a reproducible generator (first values of a fixed stream)', () => {
    const r = new Random(1, 'x');
    const first = [r.nextUint32(), r.nextUint32(), r.nextUint32()];
    const again = new Random(1, 'x');
    expect([again.nextUint32(), again.nextUint32(), again.nextUint32()]).toEqual(first);
    expect(new Random(2, 'x').nextUint32()).not.toBe(first[0]);
  });

  it('reports every problem with the options, naming the option', () => {
    expect(validateOptions(opts({ batch: 0 }))).toEqual(["--batch must be a positive integer or 'dynamic', got 0"]);
    expect(validateOptions(opts({ imageSize: 40 }))[0]).toMatch(/--image-size 40 gives an empty pool5; the smallest allowed is 57/);
    expect(validateOptions(opts({ dropout: 0.5 }))[0]).toMatch(/--dropout applies to the FC layers/);
    expect(validateOptions(opts({ head: 'fc', dropout: 1 }))[0]).toMatch(/--dropout must be a rate in \[0, 1\)/);
    expect(validateOptions(opts({ classes: 0, seed: -1 }))).toHaveLength(2);
    expect(() => buildAlexNet(opts({ batch: -3 }))).toThrow(/--batch/);
  });
});
