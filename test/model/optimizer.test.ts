import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { MAX_ONNX_DATA_BYTES, weightBytes } from '../../src/model/layers.js';
import {
  describeOptimizer,
  optimizerFromMetadata,
  optimizerMetadata,
  optimizerSettings,
  optimizerSlots,
  stateNames,
} from '../../src/model/optimizer.js';
import { defaultTrainStep, validateTrainStep } from '../../src/model/train-step.js';

describe('optimizer table', () => {
  it("has torch's defaults, but SGD's momentum, which is the AlexNet paper's", () => {
    expect(optimizerSettings('sgd')).toEqual({
      settings: { optimizer: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 },
      problems: [],
    });
    expect(optimizerSettings('adamw').settings).toEqual({ optimizer: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  });

  it.each([
    ['sgd', { momentum: 1 }, '--momentum must be in [0, 1), got 1'],
    ['sgd', { momentum: Number.NaN }, '--momentum must be in [0, 1), got NaN'],
    ['sgd', { weightDecay: -1 }, '--weight-decay must be a number >= 0, got -1'],
    ['sgd', { nesterov: true, momentum: 0 }, '--nesterov needs a --momentum above 0'],
    ['sgd', { beta2: 0.9 }, '--beta2 is not a hyperparameter of --optimizer sgd'],
    ['adamw', { momentum: 0.9 }, '--momentum is not a hyperparameter of --optimizer adamw'],
    ['adamw', { beta1: -0.1 }, '--beta1 must be in [0, 1), got -0.1'],
    ['adamw', { eps: 0 }, '--eps must be a number > 0, got 0'],
  ] as const)('%s with %j: %s', (kind, given, problem) => {
    expect(optimizerSettings(kind, given).problems).toEqual([problem]);
  });

  it('names the state torch names it, one set per trained parameter, none for plain SGD', () => {
    const sgd = optimizerSettings('sgd').settings;
    expect(stateNames(sgd, ['conv1.weight', 'conv1.bias'])).toEqual(['conv1.weight.momentum', 'conv1.bias.momentum']);
    expect(optimizerSlots(optimizerSettings('sgd', { momentum: 0 }).settings)).toEqual([]);
    expect(stateNames(optimizerSettings('adamw').settings, ['fc8.bias'])).toEqual(['fc8.bias.exp_avg', 'fc8.bias.exp_avg_sq']);
  });

  it('records every hyperparameter in metadata_props and reads it back', () => {
    const s = optimizerSettings('sgd', { momentum: 0.5, nesterov: true, weightDecay: 5e-4 }).settings;
    expect(optimizerMetadata(s)).toEqual({
      'alexnet.optimizer': 'sgd',
      'alexnet.optimizer.momentum': '0.5',
      'alexnet.optimizer.nesterov': 'true',
      'alexnet.optimizer.weightDecay': '0.0005',
    });
    expect(optimizerFromMetadata(optimizerMetadata(s))).toEqual(s);
    const a = optimizerSettings('adamw', { beta2: 0.99, eps: 1e-6 }).settings;
    expect(optimizerFromMetadata(optimizerMetadata(a))).toEqual(a);
    expect(optimizerFromMetadata({ 'alexnet.kind': 'training' })).toBeUndefined();
    expect(describeOptimizer(a)).toBe('adamw (beta1 0.9, beta2 0.99, eps 0.000001, weight decay 0.01)');
  });
});

describe('training-step options', () => {
  it('defaults to cross-entropy with the FC head, l2 without, and trains every parameter', () => {
    expect(defaultTrainStep({ ...DEFAULT_OPTIONS, head: 'fc' })).toMatchObject({ loss: 'softmax-cross-entropy', wrt: 'all' });
    expect(defaultTrainStep(DEFAULT_OPTIONS)).toMatchObject({ loss: 'l2', wrt: 'all', optimizer: { optimizer: 'sgd' } });
  });

  it('refuses a network whose weights fit in a file but not with the optimizer state beside them', () => {
    let imageSize = 224;
    const fc = { ...DEFAULT_OPTIONS, head: 'fc' as const };
    while (3 * weightBytes({ ...fc, imageSize }) <= MAX_ONNX_DATA_BYTES) imageSize += 16;
    const o = { ...fc, imageSize };
    expect(weightBytes(o)).toBeLessThan(MAX_ONNX_DATA_BYTES);
    const adamw = { ...defaultTrainStep(o, 'adamw') };
    expect(validateTrainStep(o, adamw)).toEqual([
      expect.stringMatching(/^--train-step --optimizer adamw stores the weights and the optimizer state, about \d+\.\d GB, over the 2 GiB/),
    ]);
    // only the conv layers' state: a few MB more
    expect(validateTrainStep(o, { ...adamw, wrt: 'conv' })).toEqual([]);
  });
});
