import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { layerGroups, PROBE, prefixGraph, prefixRows } from '../../src/bench/prefix-profile.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { normalTensor } from '../../src/model/random.js';
import { buildTrainingModel, DEFAULT_TRAINING } from '../../src/model/training.js';
import { encodeModel } from '../../src/onnx/serialize.js';

const built = buildTrainingModel({ ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 }, DEFAULT_TRAINING);
const graph = built.graph;
const grads = graph.outputs.map((o) => o.name).filter((n) => n.endsWith('_grad'));

describe('prefix timing', () => {
  it('groups the nodes the fetches need by layer and direction, in graph order', () => {
    const groups = layerGroups(graph, grads, 'pool5').map((g) => `${g.layer}${g.backward ? "'" : ''}`);
    expect(groups).toEqual([
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
      "loss'",
      "pool5'",
      "conv5'",
      "conv4'",
      "conv3'",
      "pool2'",
      "lrn2'",
      "conv2'",
      "pool1'",
      "lrn1'",
      "conv1'",
    ]);
    // grad_sq_sum is not needed for the gradients themselves
    expect(layerGroups(graph, ['output'], 'pool5').map((g) => g.layer)).toEqual([
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
    ]);
  });

  it('cuts the graph after each group: exactly those nodes plus the probe, and every cut runs', async () => {
    const groups = layerGroups(graph, grads, 'pool5');
    const images = new ort.Tensor('float32', normalTensor(1, 'images', 3 * 67 * 67, 0.1), [1, 3, 67, 67]);
    for (let k = 0; k <= groups.length; k++) {
      const cut = prefixGraph(graph, groups, k);
      const own = cut.nodes.filter((n) => !n.outputs.some((o) => o.startsWith(PROBE)));
      expect(own.map((n) => n.name)).toEqual(groups.slice(0, k).flatMap((g) => g.nodes.map((n) => n.name)));
      expect(cut.outputs.map((o) => o.name)).toEqual([PROBE]);
      const session = await ort.InferenceSession.create(encodeModel(cut, built.info));
      const out = await session.run({ images });
      expect(Number.isFinite(out[PROBE]!.data[0] as number)).toBe(true);
      await session.release();
    }
  });

  it('gives each group its prefix time minus the one before, with the run and fetch costs apart', () => {
    const groups = layerGroups(graph, ['output'], 'pool5').slice(0, 2);
    expect(prefixRows(groups, [1, 4, 6], 10)).toEqual([
      { layer: '(run)', forward_ms: 1, backward_ms: 0 },
      { layer: 'conv1', forward_ms: 3, backward_ms: 0 },
      { layer: 'lrn1', forward_ms: 2, backward_ms: 0 },
      { layer: '(fetch)', forward_ms: 4, backward_ms: 0 },
    ]);
  });
});
