import { describe, expect, it } from 'vitest';
import { explainEpError } from '../../src/runners/errors.js';

describe('EP errors', () => {
  it("turns ONNX Runtime's native EP errors into one line that says what is missing", () => {
    expect(
      explainEpError('webgpu', new Error('...webgpu_context.cc:100 ... Failed to get a WebGPU adapter: No supported adapters')).message,
    ).toMatch(/no WebGPU adapter.*Vulkan driver/);
    expect(
      explainEpError(
        'cuda',
        new Error('Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file'),
      ).message,
    ).toMatch(/cannot load libcudnn\.so\.9: install cuDNN 9/);
    expect(explainEpError('cuda', new Error('libcublasLt.so.13: cannot open shared object file')).message).toMatch(
      /install the CUDA 13 runtime/,
    );
    const other = new Error('something else');
    expect(explainEpError('cpu', other)).toBe(other);
  });
});
