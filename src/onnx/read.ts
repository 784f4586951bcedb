import { parseModel } from './parse.js';
import type { Graph } from './types.js';

/** A model as the public API reads it: its graph in alexnet-onnx's terms and its `metadata_props`. */
export interface ModelContents {
  graph: Graph;
  metadata: Record<string, string>;
}

/**
 * Reads ONNX bytes into a graph and metadata (see `parseModel`, which also keeps the protobuf message for internal
 * edits: this wrapper keeps onnx-proto's types out of the public declarations).
 */
export function readModel(bytes: Uint8Array): ModelContents {
  const { graph, metadata } = parseModel(bytes);
  return { graph, metadata };
}
