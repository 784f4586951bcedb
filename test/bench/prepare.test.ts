import { describe, expect, it } from 'vitest';
import { prepareMode } from '../../src/bench/prepare.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { buildTrainingModel } from '../../src/model/training.js';
import { parseModel } from '../../src/onnx/parse.js';
import { smallBench } from '../helpers/bench.js';

describe('prepareMode', () => {
  it('gives forward mode on a training file a graph of the forward part only (ONNX Runtime runs every node, whatever is fetched)', () => {
    const o = smallBench('node', 'cpu');
    const bytes = modelBytes(buildTrainingModel(o.model, o.training));
    const p = prepareMode({ ...o, modelFile: { path: 'train.onnx', bytes, metadata: parseModel(bytes).metadata } }, 'forward');
    const forward = buildForwardModel(o.model).graph;
    expect(p.parsed.graph.nodes.map((n) => n.name)).toEqual(forward.nodes.map((n) => n.name));
    expect(p.parsed.graph.outputs.map((v) => v.name)).toEqual(['output']);
    expect(p.fetches).toEqual(['output']);
    expect(p.flops).toBe(prepareMode(o, 'forward').flops);
    // forward-backward keeps the whole training graph
    expect(
      prepareMode({ ...o, modelFile: { path: 'train.onnx', bytes, metadata: {} } }, 'forward-backward').parsed.graph.nodes.length,
    ).toBeGreaterThan(forward.nodes.length);
  });
});
