/**
 * The runtimes and execution providers alexnet-onnx knows, named once for every layer: the model's formulation table
 * keys its per-EP defaults by these, the runners open them, the CLI offers them.
 */

/** `node` = onnxruntime-node, `web` = onnxruntime-web in Node, `browser` = onnxruntime-web in a headless Chromium page. */
export type RuntimeName = 'node' | 'web' | 'browser';

/** Execution providers of onnxruntime-node. */
export type NodeEp = 'cpu' | 'cuda' | 'webgpu';

/** Execution providers of onnxruntime-web. */
export type WebEp = 'wasm' | 'webgpu';

/** Any execution provider this tool can time. */
export type Ep = NodeEp | WebEp;

/** Every EP, in the order help texts list them. */
export const EPS: readonly Ep[] = ['cpu', 'cuda', 'webgpu', 'wasm'];

/** Which EPs each runtime has; the first is the default. */
export const RUNTIME_EPS: Record<RuntimeName, readonly Ep[]> = {
  node: ['cpu', 'cuda', 'webgpu'],
  web: ['wasm', 'webgpu'],
  browser: ['wasm', 'webgpu'],
};
