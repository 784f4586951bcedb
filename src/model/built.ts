import { PACKAGE } from '../common/version.js';
import type { ModelInfo } from '../onnx/serialize.js';
import { type Graph, numElements } from '../onnx/types.js';
import { type Activation, type AlexNetOptions, optionsMetadata } from './alexnet.js';
import { KIND_METADATA, type ModelKind } from './names.js';

/** A built model ready to serialize, with what the exporter prints about it. */
export interface BuiltModel {
  graph: Graph;
  info: ModelInfo;
  activations: { layer: string; shape: (number | string)[] }[];
  /** Trainable parameters (all weights and biases) and their element count. */
  parameters: string[];
  parameterCount: number;
}

/**
 * Wraps a finished graph of any kind (`forward`, `training`, `train-step`) as a model: its producer, doc string and
 * metadata (every option, the kind, and `extra`), the activation table and the parameter count.
 */
export function assembleModel(
  graph: Graph,
  options: AlexNetOptions,
  kind: ModelKind,
  activations: Activation[],
  parameters: string[],
  extra: Record<string, string>,
): BuiltModel {
  const info: ModelInfo = {
    producerName: PACKAGE.name,
    producerVersion: PACKAGE.version,
    doc: `AlexNet (${kind}) from the TensorFlow AlexNet benchmark, built by ${PACKAGE.name}. Options are in metadata_props.`,
    metadata: { ...optionsMetadata(options), [KIND_METADATA]: kind, ...extra },
  };
  const parameterCount = parameters.reduce((n, p) => n + numElements(graph.types.get(p)!.shape), 0);
  return {
    graph,
    info,
    activations: activations.map((a) => ({ layer: a.layer, shape: graph.types.get(a.value)!.shape })),
    parameters,
    parameterCount,
  };
}
