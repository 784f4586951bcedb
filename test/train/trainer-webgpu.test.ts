import { describe, inject, it } from 'vitest';
import { expectSameAsCpu } from './gpu-run.js';

/** The WebGPU path of the trainer in onnxruntime-node: parameters and optimizer state stay GPU buffers between steps. */
const icd = inject('vulkanIcd');
const why = inject('vulkanIcdProblem');

describe.skipIf(!icd)(`train on WebGPU (onnxruntime-node)${icd ? '' : ` skipped: ${why}`}`, () => {
  it('keeps parameters and state on the GPU between steps and trains as the CPU does', () => expectSameAsCpu('node', 'webgpu'), 300_000);
});
