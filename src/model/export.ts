import { writeFileAtomic, writeFileAtomicAsync } from '../common/files.js';
import { encodeModel, IR_VERSION, OPSET } from '../onnx/serialize.js';
import { formatShape } from '../onnx/types.js';
import { type AlexNetOptions, buildAlexNet } from './alexnet.js';
import { assembleModel, type BuiltModel } from './built.js';
import { GRAD_SQ_SUM, isGradient, NEXT_SUFFIX, TRAIN_STEP_METADATA, TRAINED_METADATA } from './names.js';
import { describeOptimizer, optimizerFromMetadata } from './optimizer.js';
import { buildTrainStepModel, type TrainStepOptions } from './train-step.js';
import { buildTrainingModel, type TrainingOptions } from './training.js';

/** Builds the forward (inference) model for the given options. */
export function buildForwardModel(options: AlexNetOptions): BuiltModel {
  const net = buildAlexNet(options);
  const graph = net.builder.build();
  return assembleModel(graph, options, 'forward', net.activations, [...net.convParams, ...net.fcParams], {});
}

/**
 * An ordinary inference model with trained weights: the forward graph for `options` with each parameter in `trained`
 * (`conv1.weight`, ...; the values a training step output) as its initializer. Dropout is left out: it belongs to
 * training. `metadata_props` names the replaced parameters (`alexnet.trained`); the others keep their `--seed` values.
 */
export function buildTrainedModel(options: AlexNetOptions, trained: Record<string, Float32Array>): BuiltModel {
  const model = buildForwardModel({ ...options, dropout: 0 });
  const names = Object.keys(trained);
  for (const name of names) {
    const init = model.graph.initializers.find((i) => i.name === name && model.parameters.includes(name));
    if (!init) throw new Error(`${name} is not a parameter of this network (${model.parameters.join(', ')})`);
    const data = trained[name]!;
    if (data.length !== init.data.length) throw new Error(`${name} has ${data.length} values, the network's has ${init.data.length}`);
    init.data = Float32Array.from(data);
  }
  model.info.metadata[TRAINED_METADATA] = names.join(',');
  return model;
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

function build(options: AlexNetOptions, training?: TrainingOptions | TrainStepOptions): { model: BuiltModel; bytes: Uint8Array } {
  let model: BuiltModel;
  if (!training) model = buildForwardModel(options);
  else if ('optimizer' in training) model = buildTrainStepModel(options, training);
  else model = buildTrainingModel(options, training);
  return { model, bytes: modelBytes(model) };
}

/**
 * Builds the forward model for `options`, the training model when `training` is given, or the training step when it
 * also names an optimizer, and writes it to `path` with {@link writeFileAtomic}: a regular file is replaced whole or
 * not at all, a link is written through.
 */
export function exportModel(options: AlexNetOptions, path: string, training?: TrainingOptions | TrainStepOptions): ExportResult {
  const { model, bytes } = build(options, training);
  writeFileAtomic(path, bytes);
  return { path, bytes: bytes.length, model };
}

/** {@link exportModel}, writing without blocking the event loop, so that Ctrl-C during a large write leaves no temporary file. */
export async function exportModelAsync(
  options: AlexNetOptions,
  path: string,
  training?: TrainingOptions | TrainStepOptions,
): Promise<ExportResult> {
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
  const meta = r.model.info.metadata;
  const optimizer = optimizerFromMetadata(meta);
  if (optimizer) {
    const count = (key: string) => (meta[key] ? meta[key].split(',').length : 0);
    lines.push(
      `train step: ${describeOptimizer(optimizer)}, loss ${meta['alexnet.loss']}, ${count(TRAIN_STEP_METADATA.parameters)} parameters ` +
        `and ${count(TRAIN_STEP_METADATA.state)} state tensors in and <name>${NEXT_SUFFIX} out`,
    );
  }
  lines.push(
    `wrote ${r.path} (${(r.bytes / 1e6).toFixed(1)} MB, ${r.model.graph.nodes.length} nodes, ONNX IR ${IR_VERSION}, opset ${OPSET})`,
  );
  return lines.join('\n');
}
