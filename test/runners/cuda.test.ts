import { describe, expect, it, vi } from 'vitest';
import { checkCudaSetup } from '../../src/runners/cuda.js';
import { EpUnavailableError } from '../../src/runners/errors.js';

describe('CUDA EP set-up', () => {
  it('says how to install the CUDA EP when its libraries are missing', () => {
    expect(() => checkCudaSetup()).toThrow(EpUnavailableError);
    expect(() => checkCudaSetup()).toThrow(/the CUDA execution provider is not installed .*run 'alexnet-onnx setup cuda'/);
  });

  it('turns TF32 off for strict fp32 with NVIDIA_TF32_OVERRIDE=0, once per process', async () => {
    vi.resetModules();
    const { setCudaTf32 } = await import('../../src/runners/cuda.js');
    const env: NodeJS.ProcessEnv = {};
    setCudaTf32(false, env);
    expect(env.NVIDIA_TF32_OVERRIDE).toBe('0');
    setCudaTf32(false, env);
    expect(() => setCudaTf32(true, {})).toThrow(/already runs the CUDA EP with TF32 off .* in another process/);
  });

  it('leaves TF32 to the CUDA EP with --tf32, and refuses it when the environment turns TF32 off', async () => {
    vi.resetModules();
    const { setCudaTf32 } = await import('../../src/runners/cuda.js');
    expect(() => setCudaTf32(true, { NVIDIA_TF32_OVERRIDE: '0' })).toThrow(
      /NVIDIA_TF32_OVERRIDE=0 in the environment turns it off.*unset it/,
    );
    const env: NodeJS.ProcessEnv = {};
    setCudaTf32(true, env);
    expect(env).toEqual({});
  });
});
