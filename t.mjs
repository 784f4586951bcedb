import ort from 'onnxruntime-node';
console.log(ort.listSupportedBackends?.());
for (const f of ['graphs/small.onnx', 'graphs/small-grad-gpu.onnx']) {
  const t0 = Date.now();
  const s = await ort.InferenceSession.create(f, { executionProviders: ['webgpu'], logSeverityLevel: 1 });
  const x = new ort.Tensor('float32', new Float32Array(3*67*67).fill(0.1), [1,3,67,67]);
  const r = await s.run({ images: x });
  console.log(f, Object.keys(r).length, Date.now()-t0, 'ms', r.output.dims);
}
