// No Node imports here: the browser runner and the page report these errors too.

/** A problem with the set-up of an execution provider (missing library, GPU, driver); the message says how to fix it. */
export class EpUnavailableError extends Error {
  override name = 'EpUnavailableError';
}

/** Why a WebGPU EP found no adapter, and what to install; `dawn` names the Dawn in use. */
export function noWebGpuAdapter(dawn: string): EpUnavailableError {
  return new EpUnavailableError(
    `no WebGPU adapter: ${dawn} found no usable Vulkan driver. Install the GPU vendor's Vulkan driver (NVIDIA: the driver's Vulkan ICD), ` +
      'or for a CPU-only test Mesa >= 24 lavapipe with VK_DRIVER_FILES pointing at its ICD JSON (scripts/setup-lavapipe.sh)',
  );
}

/** Rewrites ONNX Runtime's session-creation errors for an EP into one line that says what is missing. */
export function explainEpError(ep: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (ep === 'webgpu' && /adapter/i.test(msg)) return noWebGpuAdapter('Dawn');
  if (ep === 'cuda') {
    const lib = /(lib(?:cudnn|cublas|cublasLt|cudart|cufft|curand|nvrtc)[\w.]*\.so[\w.]*)/.exec(msg)?.[1];
    if (lib) {
      const what = lib.startsWith('libcudnn') ? 'cuDNN 9' : 'the CUDA 13 runtime';
      return new EpUnavailableError(`the CUDA EP cannot load ${lib}: install ${what} and put it on the library path (LD_LIBRARY_PATH)`);
    }
    if (/providers_(cuda|shared)/.test(msg))
      return new EpUnavailableError(`the CUDA execution provider failed to load: run 'alexnet-onnx setup cuda' (${firstLine(msg)})`);
    if (/no CUDA-capable device|CUDA driver version|cudaGetDeviceCount/i.test(msg))
      return new EpUnavailableError(`no usable CUDA device: ${firstLine(msg)}`);
  }
  return err instanceof Error ? err : new Error(msg);
}

/** The first line of a native error message, cut to a length that fits one line of output. */
function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}
