import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type Built, differingNodes, sliceModel, tuningGraph } from '../../src/bench/autotune-slice.js';
import { benchOptions } from '../../src/bench/options.js';
import { FORMULATION_KEYS, FORMULATIONS, type FormulationKey } from '../../src/model/formulation.js';
import { layerOf } from '../../src/model/names.js';
import { formulationOfOptions } from '../../src/model/training.js';
import { parseModel } from '../../src/onnx/parse.js';

/** A small run; with the FC head and dropout for the dropout choice only (its weights take a second to draw). */
const o = benchOptions({ model: { batch: 1, imageSize: 67 } });
const withDropout = benchOptions({ model: { batch: 1, imageSize: 67, head: 'fc', classes: 10, dropout: 0.5 } });
const optionsFor = (key: FormulationKey) => (key === 'dropoutImpl' ? withDropout : o);
const built = new Map<FormulationKey, Built[]>();
/** Each candidate's graph, built once for the whole file. */
const graphsOf = (key: FormulationKey): Built[] => {
  const run = optionsFor(key);
  if (!built.has(key))
    built.set(
      key,
      FORMULATIONS[key].choices.map((c) => tuningGraph(run, { ...formulationOfOptions(run.model, run.training), [key]: c })),
    );
  return built.get(key)!;
};

describe('autotune slices', () => {
  it('are the nodes a choice changes, and only those: the layers it writes, not those around them', () => {
    const layers = (key: FormulationKey) =>
      new Set([...differingNodes(graphsOf(key).map((b) => b.graph))].map((n) => layerOf(n, key === 'dropoutImpl' ? 'fc8' : 'pool5').layer));
    // conv1 and conv2 sum the gradients LRN hands them; a constant numbered differently elsewhere is no difference.
    // The ReLU fold (relu-fold.ts) sees through the op and banded LRNs, not the decomposed one: the pools' gradients
    // (their positive-window mask) and conv1's and conv2's ReLU gradients differ with the LRN form too
    expect([...layers('lrnImpl')].sort()).toEqual(['conv1', 'conv2', 'lrn1', 'lrn2', 'pool1', 'pool2']);
    expect([...layers('dropoutImpl')].sort()).toEqual(['fc6', 'fc7']);
    expect([...layers('maxpoolGrad')].sort()).toEqual(['pool1', 'pool2', 'pool5']);
    expect([...layers('convWeightGrad')].sort()).toEqual(['conv2', 'conv3', 'conv4', 'conv5']);
    // the decomposed LRN's channel window is a Conv, whose data gradient the choice writes too
    for (const layer of layers('convDataGrad')) expect(layer).toMatch(/^(conv[2-5]|lrn[12])$/);
  });

  it('are empty for candidates that write the same graph', () => {
    const base = formulationOfOptions(o.model, o.training);
    expect(differingNodes([tuningGraph(o, base).graph, tuningGraph(o, base).graph]).size).toBe(0);
  });

  it.each(FORMULATION_KEYS)('of %s run on the CPU EP for every candidate, and sum what they hand on into one probe', async (key) => {
    const graphs = graphsOf(key);
    const names = differingNodes(graphs.map((b) => b.graph));
    for (const [i, choice] of FORMULATIONS[key].choices.entries()) {
      const slice = sliceModel(optionsFor(key), graphs[i]!, names);
      const graph = parseModel(slice.bytes).graph;
      expect(graph.outputs.map((v) => v.name)).toEqual(['probe']);
      // the values the slice reads from the rest of the graph are its inputs, fed on the CPU EP
      expect(graph.inputs.length).toBeGreaterThan(0);
      expect(Object.keys(slice.feeds).sort()).toEqual(graph.inputs.map((v) => v.name).sort());
      // errors only: ORT warns that an initializer which is also an input is not a constant, which is why it is one
      const session = await ort.InferenceSession.create(slice.bytes, { logSeverityLevel: 3 });
      try {
        const out = await session.run(slice.feeds);
        expect(Number.isFinite((out.probe!.data as Float32Array)[0]), `${key} ${choice}`).toBe(true);
      } finally {
        await session.release();
      }
    }
  });

  it('keep their inputs in the model as --input device keeps the images, where a fed tensor would be copied', () => {
    const graphs = graphsOf('maxpoolGrad');
    const names = differingNodes(graphs.map((b) => b.graph));
    const inside = sliceModel({ ...o, runtime: 'web', ep: 'wasm' }, graphs[0]!, names);
    const graph = parseModel(inside.bytes).graph;
    expect(inside.feeds).toEqual({});
    for (const v of graph.inputs)
      expect(
        graph.initializers.some((i) => i.name === v.name),
        v.name,
      ).toBe(true);
    const host = sliceModel({ ...o, runtime: 'web', ep: 'wasm', input: 'host' }, graphs[0]!, names);
    expect(Object.keys(host.feeds).sort()).toEqual(graph.inputs.map((v) => v.name).sort());
  });
});
