import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel } from '../../src/model/export.js';
import { FORMULATIONS } from '../../src/model/formulation.js';
import { finalLayer, GRAD_SQ_SUM, IMAGES, isGradient, LABELS, LOSS, layerOf, OUTPUT } from '../../src/model/names.js';
import { buildTrainingModel, DEFAULT_TRAINING } from '../../src/model/training.js';

describe('graph names', () => {
  it('maps node names to layers and directions, including ORT-renamed and inserted nodes', () => {
    expect(layerOf('conv2.conv', 'pool5')).toEqual({ layer: 'conv2', backward: false });
    expect(layerOf('conv2_nchwc', 'pool5')).toEqual({ layer: 'conv2', backward: false });
    expect(layerOf('lrn1', 'pool5')).toEqual({ layer: 'lrn1', backward: false });
    expect(layerOf('pool1.grad.scatter', 'pool5')).toEqual({ layer: 'pool1', backward: true });
    expect(layerOf('conv2_grad.sum', 'pool5')).toEqual({ layer: 'conv2', backward: true });
    // ORT names a backward Conv it rewrites after the gradient it writes: the data gradient of the next conv layer
    expect(layerOf('pool1_grad_nchwc', 'pool5')).toEqual({ layer: 'conv2', backward: true });
    expect(layerOf('pool2_grad_nchwc', 'pool5')).toEqual({ layer: 'conv3', backward: true });
    expect(layerOf('conv3_grad_nchwc', 'pool5')).toEqual({ layer: 'conv4', backward: true });
    expect(layerOf('lrn2.square_grad_nchwc', 'pool5')).toEqual({ layer: 'lrn2', backward: true });
    expect(layerOf('conv1.conv.grad.dw_t', 'pool5')).toEqual({ layer: 'conv1', backward: true });
    expect(layerOf('conv1.weight_grad.sum_sq', 'pool5')).toEqual({ layer: 'grad_sq_sum', backward: true });
    expect(layerOf('output_nchwc', 'pool5')).toEqual({ layer: 'pool5', backward: false });
    expect(layerOf('ReorderOutput_token_16', 'pool5')).toEqual({ layer: '(runtime)', backward: false });
  });

  it('names the inputs and outputs the benchmark and other tools read', () => {
    const forward = buildForwardModel({ ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 }).graph;
    expect(forward.inputs.map((i) => i.name)).toEqual([IMAGES]);
    expect(forward.outputs.map((o) => o.name)).toEqual([OUTPUT]);
    const options = { ...DEFAULT_OPTIONS, batch: 1, imageSize: 67, head: 'fc' as const, classes: 10 };
    const training = buildTrainingModel(options, { ...DEFAULT_TRAINING, loss: 'softmax-cross-entropy' }).graph;
    expect(training.inputs.map((i) => i.name)).toEqual([IMAGES, LABELS]);
    const outputs = training.outputs.map((o) => o.name);
    expect(outputs[0]).toBe(OUTPUT);
    expect(outputs[1]).toBe(LOSS);
    expect(outputs.at(-1)).toBe(GRAD_SQ_SUM);
    expect(outputs.slice(2, -1).every(isGradient)).toBe(true);
  });

  // The profilers find layers by node name: a node the model or the autodiff names differently must fail here,
  // not fall silently into `(runtime)`.
  it('puts every node of every formulation of the training graph in a layer', () => {
    const variants = [
      { head: 'none' as const, dropout: 0 },
      { head: 'fc' as const, dropout: 0.5 },
    ];
    for (const v of variants) {
      for (const f of [0, 1]) {
        const pick = <K extends keyof typeof FORMULATIONS>(k: K) =>
          FORMULATIONS[k].choices[f] as (typeof FORMULATIONS)[K]['choices'][number];
        const options = {
          ...DEFAULT_OPTIONS,
          batch: 2,
          imageSize: 67,
          classes: 10,
          ...v,
          lrnImpl: pick('lrnImpl'),
          dropoutImpl: pick('dropoutImpl'),
        };
        const training = {
          ...DEFAULT_TRAINING,
          wrt: 'all' as const,
          maxpoolGrad: pick('maxpoolGrad'),
          convWeightGrad: pick('convWeightGrad'),
          convDataGrad: pick('convDataGrad'),
        };
        const graph = buildTrainingModel(options, training).graph;
        const unplaced = graph.nodes.map((n) => n.name).filter((n) => layerOf(n, finalLayer(v.head)).layer === '(runtime)');
        expect(unplaced, `${JSON.stringify(v)} formulation ${f}`).toEqual([]);
      }
    }
  });
});
