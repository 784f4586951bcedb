import { noWebGpuAdapter } from './errors.js';

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let installed: Promise<string> | undefined;

/**
 * Gives Node a `navigator.gpu` from the npm `webgpu` package (Dawn), for onnxruntime-web's WebGPU EP, and returns the
 * adapter's description. Once per process.
 *
 * Dawn's `queue.writeBuffer` rejects views on a SharedArrayBuffer, and onnxruntime-web's threaded WebAssembly memory is
 * one, so such writes are copied into an ordinary buffer first.
 */
export function installNodeWebGpu(): Promise<string> {
  installed ??= install();
  return installed;
}

async function install(): Promise<string> {
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  Object.assign(globalThis, dawn.globals);
  const queue = (dawn.globals.GPUQueue as { prototype: GPUQueue }).prototype;
  const writeBuffer = queue.writeBuffer;
  queue.writeBuffer = function (
    this: GPUQueue,
    buffer: GPUBuffer,
    offset: number,
    data: BufferSource,
    dataOffset?: number,
    size?: number,
  ): undefined {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const unit = data instanceof DataView ? 1 : (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const start = (dataOffset ?? 0) * unit;
      const end = size === undefined ? bytes.length : start + size * unit;
      return writeBuffer.call(this, buffer, offset, bytes.slice(start, end));
    }
    return writeBuffer.call(this, buffer, offset, data as GPUAllowSharedBufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  const gpu = dawn.create([]);
  if (typeof globalThis.navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw noWebGpuAdapter('Dawn (npm webgpu)');
  const info = adapter.info;
  return [info.description || info.device, info.vendor, info.architecture].filter(Boolean).join(', ') || 'unnamed adapter';
}
