import { describe, expect, it } from 'vitest';
import { EPS } from '../../src/common/eps.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import {
  describeAuto,
  describeFormulation,
  EXPORT_FORMULATION,
  FORMULATION_KEYS,
  FORMULATIONS,
  formulationFor,
  formulationFromMetadata,
  formulationReport,
  knownFailure,
} from '../../src/model/formulation.js';
import { buildTrainingModel, DEFAULT_TRAINING, formulationOfOptions, withFormulation } from '../../src/model/training.js';

describe('the formulation table', () => {
  it('offers each default and per-EP choice among its choices', () => {
    for (const k of FORMULATION_KEYS) {
      const choices: readonly string[] = FORMULATIONS[k].choices;
      expect(choices, k).toContain(FORMULATIONS[k].exportDefault);
      for (const ep of EPS) expect(choices, `${k} on ${ep}`).toContain(FORMULATIONS[k].auto[ep]);
    }
  });

  it('resolves auto per EP and keeps explicit choices; refuses what the table does not offer', () => {
    expect(formulationFor('webgpu')).toEqual({
      lrnImpl: 'decomposed',
      dropoutImpl: 'decomposed',
      maxpoolGrad: 'mask',
      convWeightGrad: 'conv',
      convDataGrad: 'convtranspose',
    });
    expect(formulationFor('cpu', { lrnImpl: 'op', maxpoolGrad: 'auto' })).toMatchObject({
      lrnImpl: 'op',
      maxpoolGrad: 'scatter',
      convWeightGrad: 'matmul',
    });
    expect(() => formulationFor('cpu', { convDataGrad: 'fft' })).toThrow(
      /--conv-data-grad must be one of auto, convtranspose, conv, got fft/,
    );
  });

  it('describes auto by the EPs that pick each choice', () => {
    expect(describeAuto('maxpoolGrad')).toBe("scatter on cpu, wasm, cuda; mask on webgpu (WebGPU's MaxPool has no Indices output)");
  });

  it('round-trips through the options and the metadata of an exported training graph', () => {
    const f = formulationFor('cpu');
    const { model, training } = withFormulation(
      { ...DEFAULT_OPTIONS, batch: 1, imageSize: 67, head: 'fc', dropout: 0.5 },
      DEFAULT_TRAINING,
      f,
    );
    expect(formulationOfOptions(model, training)).toEqual(f);
    const meta = buildTrainingModel(model, training).info.metadata;
    for (const k of FORMULATION_KEYS) expect(meta[FORMULATIONS[k].metadata], k).toBe(f[k]);
    const report = formulationFromMetadata(meta, true);
    expect(report).toEqual(formulationReport(f, true, 0.5));
    expect(describeFormulation(report)).toBe('LRN banded, dropout op, MaxPool grad scatter, conv weight grad matmul, conv data grad conv');
  });

  // dropout needs the FC head, whose weights take seconds to draw: the round trip above covers its choice
  it('builds a training graph with every other choice of every formulation, and records the choice', () => {
    for (const k of FORMULATION_KEYS.filter((key) => key !== 'dropoutImpl')) {
      for (const choice of FORMULATIONS[k].choices) {
        const f = { ...formulationFor('cpu'), [k]: choice };
        const { model, training } = withFormulation({ ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 }, DEFAULT_TRAINING, f);
        const meta = buildTrainingModel(model, training).info.metadata;
        expect(meta[FORMULATIONS[k].metadata], `${k} ${choice}`).toBe(choice);
      }
    }
  });

  it('marks what does not apply with null (never a string), and reads files that predate a key with its legacy value', () => {
    expect(formulationReport(EXPORT_FORMULATION, false, 0)).toEqual({
      lrn_impl: 'op',
      dropout_impl: null,
      maxpool_grad: null,
      conv_weight_grad: null,
      conv_data_grad: null,
    });
    expect(describeFormulation(formulationReport(EXPORT_FORMULATION, false, 0))).toBe('LRN op');
    expect(formulationFromMetadata({ 'alexnet.kind': 'training' }, true)).toEqual({
      lrn_impl: 'unknown',
      dropout_impl: null,
      maxpool_grad: 'unknown',
      conv_weight_grad: 'unknown',
      conv_data_grad: 'convtranspose',
    });
  });

  it('claims no choice for a model alexnet-onnx did not write (no alexnet.kind): every one is unknown', () => {
    const unknown = { lrn_impl: 'unknown', dropout_impl: 'unknown' };
    expect(formulationFromMetadata({}, false)).toEqual({ ...unknown, maxpool_grad: null, conv_weight_grad: null, conv_data_grad: null });
    expect(formulationFromMetadata({ 'alexnet.dropout': '0' }, true)).toEqual({
      ...unknown,
      maxpool_grad: 'unknown',
      conv_weight_grad: 'unknown',
      conv_data_grad: 'unknown',
    });
  });
});

describe('cannotRun', () => {
  it('names the EP and runtimes where a choice is known not to run, and why', () => {
    expect(knownFailure('maxpoolGrad', 'scatter', 'web', 'webgpu')?.why).toMatch(/no Indices output/);
    expect(knownFailure('maxpoolGrad', 'match', 'node', 'webgpu')?.why).toMatch(/segmentation fault/);
    expect(knownFailure('convWeightGrad', 'matmul', 'node', 'webgpu')?.why).toMatch(/segmentation fault/);
    // onnxruntime-web's WebGPU build runs these two, and the CPU EP runs everything
    expect(knownFailure('maxpoolGrad', 'match', 'web', 'webgpu')).toBeUndefined();
    expect(knownFailure('convWeightGrad', 'matmul', 'browser', 'webgpu')).toBeUndefined();
    expect(knownFailure('maxpoolGrad', 'scatter', 'node', 'cpu')).toBeUndefined();
  });

  it('never refuses what auto picks on an EP, and names only choices of its formulation', () => {
    for (const k of FORMULATION_KEYS) {
      const spec = FORMULATIONS[k] as { choices: readonly string[]; cannotRun?: Record<string, readonly { ep: string }[]> };
      for (const [choice, failures] of Object.entries(spec.cannotRun ?? {})) {
        expect(spec.choices).toContain(choice);
        for (const f of failures) expect(FORMULATIONS[k].auto[f.ep as keyof (typeof FORMULATIONS)[typeof k]['auto']]).not.toBe(choice);
      }
    }
  });
});
