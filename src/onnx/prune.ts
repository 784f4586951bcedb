import { type ParsedModel, parseModel } from './parse.js';
import { encodeModel } from './serialize.js';
import type { Graph } from './types.js';

/**
 * The part of a graph that computes `outputs`: the nodes they need, and the inputs and initializers those nodes
 * read. ONNX Runtime runs every node of a session's graph whatever is fetched (docs/benchmarks.md, "Per-layer times:
 * the two `--profile` methods"), so timing a part means a graph of that part.
 */
export function pruneGraph(graph: Graph, outputs: string[]): Graph {
  const needed = new Set(outputs);
  const nodes = [...graph.nodes]
    .reverse()
    .filter((n) => {
      if (!n.outputs.some((x) => needed.has(x))) return false;
      n.inputs.forEach((i) => needed.add(i));
      return true;
    })
    .reverse();
  const missing = outputs.filter((o) => !graph.types.has(o));
  if (missing.length) throw new Error(`the graph has no value named ${missing.join(', ')}`);
  return {
    ...graph,
    inputs: graph.inputs.filter((v) => needed.has(v.name)),
    outputs: outputs.map((name) => graph.outputs.find((v) => v.name === name) ?? { name, type: graph.types.get(name)! }),
    initializers: graph.initializers.filter((i) => needed.has(i.name)),
    nodes,
  };
}

/** The bytes of a model with its graph replaced, metadata and producer kept. */
export function graphBytes(model: ParsedModel, graph: Graph): Uint8Array {
  const p = model.proto;
  return encodeModel(graph, {
    producerName: p.producerName,
    producerVersion: p.producerVersion,
    doc: p.docString,
    metadata: model.metadata,
  });
}

/** A parsed model with its graph replaced (re-encoded, so its proto matches), metadata and producer kept. */
export function withGraph(model: ParsedModel, graph: Graph): ParsedModel {
  return parseModel(graphBytes(model, graph));
}
