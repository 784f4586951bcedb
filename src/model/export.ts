import { writeFileAtomic, writeFileAtomicAsync } from '../common/files.js';
import { encodeModel, IR_VERSION, OPSET } from '../onnx/serialize.js';
import { formatShape } from '../onnx/types.js';
import { type AlexNetOptions, buildAlexNet } from './alexnet.js';
import { assembleModel, type BuiltModel } from './built.js';
import { GRAD_SQ_SUM, isGradient } from './names.js';
import { buildTrainingModel, type TrainingOptions } from './training.js';

/** Builds the forward (inference) model for the given options. */
export function buildForwardModel(options: AlexNetOptions): BuiltModel {
  const net = buildAlexNet(options);
  const graph = net.builder.build();
  return assembleModel(graph, options, 'forward', net.activations, [...net.convParams, ...net.fcParams], {});
}

/** Serializes a built model to ONNX bytes. */
export function modelBytes(model: BuiltModel): Uint8Array {
  return encodeModel(model.graph, model.info);
}

/** What `export` did, for its report. */
export interface ExportResult {
  path: string;
  bytes: number;
  model: BuiltModel;
}

function build(options: AlexNetOptions, training?: TrainingOptions): { model: BuiltModel; bytes: Uint8Array } {
  const model = training ? buildTrainingModel(options, training) : buildForwardModel(options);
  return { model, bytes: modelBytes(model) };
}

/**
 * Builds the forward model for `options`, or the training model when `training` is given, and writes it to `path`
 * with {@link writeFileAtomic}: a regular file is replaced whole or not at all, a link is written through.
 */
export function exportModel(options: AlexNetOptions, path: string, training?: TrainingOptions): ExportResult {
  const { model, bytes } = build(options, training);
  writeFileAtomic(path, bytes);
  return { path, bytes: bytes.length, model };
}

/** {@link exportModel}, writing without blocking the event loop, so that Ctrl-C during a large write leaves no temporary file. */
export async function exportModelAsync(options: AlexNetOptions, path: string, training?: TrainingOptions): Promise<ExportResult> {
  const { model, bytes } = build(options, training);
  await writeFileAtomicAsync(path, bytes);
  return { path, bytes: bytes.length, model };
}

/** The seeds' `print_activations` table (NCHW shapes), the parameter count, and where the file went. */
export function formatExportReport(r: ExportResult): string {
  const width = Math.max(...r.model.activations.map((a) => a.layer.length));
  const lines = r.model.activations.map((a) => `${a.layer.padEnd(width)}   ${formatShape(a.shape)}`);
  lines.push(`parameters: ${r.model.parameterCount.toLocaleString('en-US')} in ${r.model.parameters.length} tensors`);
  const grads = r.model.graph.outputs.filter((o) => isGradient(o.name)).map((o) => o.name);
  if (grads.length)
    lines.push(`gradients: ${grads.length} (${grads.join(', ')}), loss ${r.model.info.metadata['alexnet.loss']}, plus ${GRAD_SQ_SUM}`);
  lines.push(
    `wrote ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB, ${r.model.graph.nodes.length} nodes, ONNX IR ${IR_VERSION}, opset ${OPSET})`,
  );
  return lines.join('\n');
}
