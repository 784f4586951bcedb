/**
 * alexnet-onnx as a library: build the seeds' AlexNet and its training graph as ONNX, serialize and parse them, and
 * time them on ONNX Runtime with the seeds' burn-in statistics.
 *
 * ```ts
 * import { benchOptions, buildTrainingModel, DEFAULT_OPTIONS, modelBytes, runBench } from 'alexnet-onnx';
 *
 * const bytes = modelBytes(buildTrainingModel({ ...DEFAULT_OPTIONS, batch: 8 }));
 * const results = await runBench(benchOptions({ ep: 'cpu', model: { batch: 8 }, steps: 10 }), console.log);
 * ```
 *
 * The data flow: options -> model (`buildForwardModel`, `buildTrainingModel`) -> bytes (`modelBytes`) -> session
 * (a runner per runtime) -> loop (`timeLoop`) -> statistics (`summarize`) -> report (`ModeResult`, `formatSummary`).
 * docs/architecture.md says where each concept lives.
 *
 * @packageDocumentation
 */

// Runtimes and EPs
export { EPS, RUNTIME_EPS, type Ep, type NodeEp, type RuntimeName, type WebEp } from './common/eps.js';
export { PACKAGE } from './common/version.js';

// The network and its training graph
export {
  buildAlexNet,
  CONV_LAYERS,
  DEFAULT_OPTIONS,
  LRN_PRESETS,
  minImageSize,
  pool5Size,
  validateOptions,
  type Activation,
  type AlexNetGraph,
  type AlexNetOptions,
  type LrnPreset,
} from './model/alexnet.js';
export type { BuiltModel } from './model/built.js';
export { buildForwardModel, exportModel, formatExportReport, modelBytes, type ExportResult } from './model/export.js';
export {
  describeFormulation,
  EXPORT_FORMULATION,
  FORMULATION_KEYS,
  FORMULATIONS,
  formulationFor,
  formulationFromMetadata,
  formulationReport,
  type ConvDataGrad,
  type ConvWeightGrad,
  type DropoutImpl,
  type Formulation,
  type FormulationKey,
  type FormulationReport,
  type LrnImpl,
  type MaxPoolGrad,
} from './model/formulation.js';
export { finalLayer, GRAD_SQ_SUM, gradName, IMAGES, isGradient, LABELS, layerOf, LOSS, OUTPUT } from './model/names.js';
export {
  buildTrainingModel,
  DEFAULT_TRAINING,
  formulationOfOptions,
  LOSSES,
  validateTraining,
  withFormulation,
  type LossKind,
  type TrainingOptions,
  type WrtKind,
} from './model/training.js';

// ONNX: graphs, bytes, gradients
export { addBackward, type BackwardOptions } from './autodiff/backward.js';
export type { GradContext, GradRule } from './autodiff/context.js';
export { GRAD_RULES } from './autodiff/rules.js';
export { GraphBuilder, makeNode, type OpOptions } from './onnx/builder.js';
export { readModel, type ModelContents } from './onnx/read.js';
export { encodeModel, IR_VERSION, OPSET, type ModelInfo } from './onnx/serialize.js';
export { attr, formatShape, numElements, type Attribute, type Dim, type DType, type Graph, type Node, type TensorType, type ValueInfo } from './onnx/types.js';

// The benchmark
export { graphFlops } from './bench/flops.js';
export { stepLine, summaryLine } from './bench/format.js';
export { timeLoop, type LoopOptions, type LoopResult } from './bench/harness.js';
export { benchOptions, plannedFormulation, unsupported, type BenchRequest } from './bench/options.js';
export { formatSummary } from './bench/report.js';
export { runBench } from './bench/run.js';
export { summarize, type Statistics } from './bench/statistics.js';
export {
  BENCH_MODES,
  DEFAULT_LOOP,
  PROFILE_METHODS,
  type BenchMode,
  type BenchOptions,
  type FetchKind,
  type LayerTime,
  type ModeResult,
  type ProfileMethod,
} from './bench/types.js';
export { setupCuda, type CudaSetupResult } from './runners/cuda.js';
export { EpUnavailableError } from './runners/errors.js';
export type { GraphOptLevel, InputPlacement } from './runners/types.js';
