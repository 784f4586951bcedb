import { describe, inject, it } from 'vitest';
import { expectSameAsCpu } from './gpu-run.js';

/** The WebGPU path of the trainer in onnxruntime-web's WebGPU build (a file of its own: V8 flags differ per build). */
const icd = inject('vulkanIcd');
const why = inject('vulkanIcdProblem');

describe.skipIf(!icd)(`train on WebGPU (onnxruntime-web in Node)${icd ? '' : ` skipped: ${why}`}`, () => {
  it('keeps parameters and state on the GPU between steps and trains as the CPU does', () => expectSameAsCpu('web', 'webgpu'), 300_000);
});
