import { describe, expect, it } from 'vitest';
import { imagesDims, imagesSizeProblem, modelFileNotes, prepareMode } from '../../src/bench/prepare.js';
import type { BenchOptions } from '../../src/bench/types.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { buildTrainingModel } from '../../src/model/training.js';
import { parseModel } from '../../src/onnx/parse.js';
import { decodeModel, encodeProto } from '../../src/onnx/proto.js';
import { smallBench } from '../helpers/bench.js';

/** A forward AlexNet as another tool might write it: `images` [N, 3, H, W], no value_info, no alexnet-onnx metadata. */
function foreignSymbolicModel(o: BenchOptions): Uint8Array {
  const proto = decodeModel(modelBytes(buildForwardModel({ ...o.model, batch: 'dynamic' })));
  const images = proto.graph!.input!.find((i) => i.name === 'images')!;
  images.type!.tensorType!.shape!.dim = ['N', 'C3', 'H', 'W'].map((d, i) => (i === 1 ? { dimValue: 3 } : { dimParam: d }));
  proto.graph!.valueInfo = [];
  proto.metadataProps = [];
  return encodeProto(proto);
}

const asFile = (o: BenchOptions, bytes: Uint8Array, path = 'm.onnx'): BenchOptions => {
  const parsed = parseModel(bytes);
  return { ...o, modelFile: { path, bytes, metadata: parsed.metadata, images: imagesDims(parsed) } };
};

describe('prepareMode', () => {
  it('gives forward mode on a training file a graph of the forward part only (ONNX Runtime runs every node, whatever is fetched)', () => {
    const o = smallBench('node', 'cpu');
    const bytes = modelBytes(buildTrainingModel(o.model, o.training));
    const p = prepareMode(asFile(o, bytes, 'train.onnx'), 'forward');
    const forward = buildForwardModel(o.model).graph;
    expect(p.parsed.graph.nodes.map((n) => n.name)).toEqual(forward.nodes.map((n) => n.name));
    expect(p.parsed.graph.outputs.map((v) => v.name)).toEqual(['output']);
    expect(p.fetches).toEqual(['output']);
    expect(p.flops).toBe(prepareMode(o, 'forward').flops);
    // forward-backward keeps the whole training graph
    expect(
      prepareMode({ ...o, modelFile: { ...asFile(o, bytes, 'train.onnx').modelFile!, metadata: {} } }, 'forward-backward').parsed.graph
        .nodes.length,
    ).toBeGreaterThan(forward.nodes.length);
  });
});

describe('a model file: its images input and what is said about it', () => {
  it('times symbolic H and W at --image-size and a symbolic N at --batch, with the FLOPs of those shapes', () => {
    // LRN written as the LRN op: the decomposed one has constants sized for one image size
    const o = smallBench('node', 'cpu', { formulationOf: 'cuda' });
    const at = { ...o, input: 'host' as const, model: { ...o.model, batch: 2, imageSize: 75 } };
    const p = prepareMode(asFile(at, foreignSymbolicModel(o)), 'forward');
    expect(p.batch).toBe(2);
    expect(p.feeds.images!.dims).toEqual([2, 3, 75, 75]);
    expect(p.flops).toBe(prepareMode(at, 'forward').flops);
    expect(p.flops).not.toBe(prepareMode(o, 'forward').flops);
  });

  it('refuses a size given for a fixed dimension that differs, and a symbolic dimension no option sets', () => {
    expect(imagesSizeProblem('m.onnx', [4, 3, 67, 67], { batch: 8 })).toBe(
      "--batch 8, but m.onnx's images input [4, 3, 67, 67] has a fixed batch of 4: leave --batch out to time it at batch 4",
    );
    expect(imagesSizeProblem('m.onnx', [4, 3, 67, 67], { imageSize: 99 })).toBe(
      "--image-size 99, but m.onnx's images input [4, 3, 67, 67] has fixed 67x67 images: leave --image-size out",
    );
    expect(imagesSizeProblem('m.onnx', [4, 3, 67, 67], { batch: 4, imageSize: 67 })).toBeUndefined();
    expect(imagesSizeProblem('m.onnx', ['N', 3, 'H', 'W'], { batch: 8, imageSize: 99 })).toBeUndefined();
    expect(imagesSizeProblem('m.onnx', ['N', 'C', 'H', 'W'])).toMatch(
      /^m\.onnx's images input \[N, C, H, W\] has symbolic C, which no option sets \(--batch sets N, --image-size sets H and W/,
    );
    expect(imagesSizeProblem('m.onnx', [4, 10], { imageSize: 99 })).toMatch(/--image-size sets H and W of an \[N, C, H, W\] input/);
  });

  it("says what a file's symbolic dimensions are set to, and that a file alexnet-onnx did not write is timed as it is", () => {
    const o = smallBench('node', 'cpu', { modes: ['forward'] });
    expect(modelFileNotes(asFile(o, foreignSymbolicModel(o)))).toEqual([
      "note: m.onnx's images input [N, 3, H, W] is timed as [1, 3, 67, 67] (N from --batch, H and W from --image-size)",
      "note: m.onnx was not written by alexnet-onnx: timing its 'images' -> 'output'; FLOPs count its Conv/ConvTranspose/Gemm/MatMul nodes",
    ]);
    expect(modelFileNotes(asFile(o, modelBytes(buildForwardModel(o.model))))).toEqual([]);
    expect(modelFileNotes(o)).toEqual([]);
  });
});
