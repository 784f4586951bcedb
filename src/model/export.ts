import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { encodeModel, IR_VERSION, OPSET, type ModelInfo } from '../onnx/serialize.js';
import { formatShape, numElements, type Graph } from '../onnx/types.js';
import { PACKAGE } from '../version.js';
import { buildAlexNet, optionsMetadata, type Activation, type AlexNetOptions } from './alexnet.js';
import { buildTrainingModel, type TrainingOptions } from './training.js';

/** A built model ready to serialize, with what the exporter prints about it. */
export interface BuiltModel {
  graph: Graph;
  info: ModelInfo;
  activations: { layer: string; shape: (number | string)[] }[];
  /** Trainable parameters (all weights and biases) and their element count. */
  parameters: string[];
  parameterCount: number;
}

/** Builds the forward (inference) model for the given options. */
export function buildForwardModel(options: AlexNetOptions): BuiltModel {
  const net = buildAlexNet(options);
  const graph = net.builder.build();
  return finish(graph, options, 'forward', net.activations, [...net.convParams, ...net.fcParams], {});
}

/** Shared tail of the forward and training exports: model info, activation table, parameter count. */
export function finish(graph: Graph, options: AlexNetOptions, kind: string, activations: Activation[], parameters: string[], extra: Record<string, string>): BuiltModel {
  const info: ModelInfo = {
    producerName: PACKAGE.name,
    producerVersion: PACKAGE.version,
    doc: `AlexNet (${kind}) from the TensorFlow AlexNet benchmark, built by ${PACKAGE.name}. Options are in metadata_props.`,
    metadata: { ...optionsMetadata(options), 'alexnet.kind': kind, ...extra },
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

/** Serializes a built model to ONNX bytes. */
export function modelBytes(model: BuiltModel): Uint8Array {
  return encodeModel(model.graph, model.info);
}

/**
 * Writes bytes so that `path` is either its old content or the complete new content, never a partial file:
 * the data goes to a temporary file in the same directory, which is then renamed over `path`.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** What `export` did, for its report. */
export interface ExportResult {
  path: string;
  bytes: number;
  model: BuiltModel;
}

/** Builds the forward model for `options`, or the training model when `training` is given, and writes it atomically to `path`. */
export function exportModel(options: AlexNetOptions, path: string, training?: TrainingOptions): ExportResult {
  const model = training ? buildTrainingModel(options, training) : buildForwardModel(options);
  const bytes = modelBytes(model);
  writeFileAtomic(path, bytes);
  return { path, bytes: bytes.length, model };
}

/** The seeds' `print_activations` table (NCHW shapes), the parameter count, and where the file went. */
export function formatExportReport(r: ExportResult): string {
  const width = Math.max(...r.model.activations.map((a) => a.layer.length));
  const lines = r.model.activations.map((a) => `${a.layer.padEnd(width)}   ${formatShape(a.shape)}`);
  lines.push(`parameters: ${r.model.parameterCount.toLocaleString('en-US')} in ${r.model.parameters.length} tensors`);
  const grads = r.model.graph.outputs.filter((o) => o.name.endsWith('_grad')).map((o) => o.name);
  if (grads.length) lines.push(`gradients: ${grads.length} (${grads.join(', ')}), loss ${r.model.info.metadata['alexnet.loss']}, plus grad_sq_sum`);
  lines.push(`wrote ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB, ${r.model.graph.nodes.length} nodes, ONNX IR ${IR_VERSION}, opset ${OPSET})`);
  return lines.join('\n');
}
