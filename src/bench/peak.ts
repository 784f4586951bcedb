/** A GPU's theoretical peak in TFLOP/s: FP32 on the CUDA cores, dense TF32 on the tensor cores. */
export interface GpuPeak {
  gpu: string;
  fp32: number;
  tf32: number;
}

/**
 * Datasheet peaks of the GPUs this project is lent (and their siblings), matched on the name nvidia-smi and PyTorch
 * report. Source: NVIDIA's H100 and H200 Tensor Core GPU datasheets. They quote TF32 with 2:4 sparsity (989, 835 and
 * 756 TFLOP/s); dense TF32, which is what cuBLAS and cuDNN use for a dense network, is half of that.
 */
const GPU_PEAKS: { name: RegExp; peak: GpuPeak }[] = [
  { name: /H100 NVL/i, peak: { gpu: 'H100 NVL', fp32: 60, tf32: 417.5 } },
  { name: /H100 PCIe/i, peak: { gpu: 'H100 PCIe', fp32: 51, tf32: 378 } },
  { name: /H100 (SXM|80GB HBM3)/i, peak: { gpu: 'H100 SXM', fp32: 67, tf32: 494.5 } },
  { name: /H200 NVL/i, peak: { gpu: 'H200 NVL', fp32: 60, tf32: 417.5 } },
  { name: /H200/i, peak: { gpu: 'H200 SXM', fp32: 67, tf32: 494.5 } },
];

/** The datasheet peak of the GPU named in a device line, or undefined for a GPU not in the table. */
export function gpuPeak(device: string): GpuPeak | undefined {
  return GPU_PEAKS.find((p) => p.name.test(device))?.peak;
}
