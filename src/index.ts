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
 * The data flow: options -> model (`buildForwardModel`, `buildTrainingModel`, `buildTrainStep`) -> bytes (`modelBytes`) -> session
 * (a runner per runtime) -> loop (`timeLoop`) -> statistics (`summarize`) -> report (`ModeResult`, `formatSummary`).
 * docs/architecture.md says where each concept lives.
 *
 * A training step (forward, backward and the optimizer's update in one graph) is driven by feeding each step's
 * `<name>.next` outputs back as the next step's inputs; `buildTrainedModel` turns the trained weights into an
 * ordinary inference model:
 *
 * ```ts
 * import { buildTrainStep, buildTrainedModel, DEFAULT_OPTIONS, defaultTrainStep, optimizerSettings } from 'alexnet-onnx';
 *
 * const options = { ...DEFAULT_OPTIONS, head: 'fc' as const, classes: 10 };
 * const step = buildTrainStep(options, { ...defaultTrainStep(options), optimizer: optimizerSettings('adamw').settings });
 * // step.bytes, step.initial (the first step's parameter and state feeds), step.feedback ({ input, output } pairs)
 * ```
 *
 * @packageDocumentation
 */

// ONNX: graphs, bytes, gradients
export { addBackward, type BackwardOptions } from './autodiff/backward.js';
export type { GradContext, GradRule } from './autodiff/context.js';
export { GRAD_RULES } from './autodiff/rules.js';
// The benchmark
export { AUTOTUNE_MODES, type AutotuneMode, type AutotuneSettings, autotune } from './bench/autotune.js';
export { defaultCacheFile } from './bench/autotune-cache.js';
export { formatRatioTable, type ReportEntry, type Run } from './bench/compare.js';
export { ReportFileError, readRuns } from './bench/compare-input.js';
export { formatLayerComparison } from './bench/compare-layers.js';
export { graphFlops } from './bench/flops.js';
export { stepLine, summaryLine, TIME_FORMATS, type TimeFormat, varianceWarning } from './bench/format.js';
export { type LoopOptions, type LoopResult, timeLoop } from './bench/harness.js';
export { type BenchRequest, benchOptions, plannedFormulation, resourceProblem, unsupported } from './bench/options.js';
export { type ProgressEvent, type ProgressListener, ProgressModel, type ProgressPhase } from './bench/progress.js';
export { formatSummary } from './bench/report.js';
export { jsonLines, jsonReport } from './bench/report-json.js';
export { runBench } from './bench/run.js';
export { type Statistics, summarize } from './bench/statistics.js';
export { defaultTrainStepBench, optimizerReport } from './bench/train-step.js';
export {
  ALL_BENCH_MODES,
  BENCH_MODES,
  type BenchMode,
  type BenchOptions,
  DEFAULT_BENCH_LR,
  DEFAULT_LOOP,
  type FetchKind,
  type FormulationSource,
  type FormulationSourceReport,
  hasBackward,
  type LayerTime,
  type ModeResult,
  type OptimizerReport,
  PROFILE_METHODS,
  type ProfileMethod,
  REPORT_SCHEMA,
  type TrainStepBench,
} from './bench/types.js';
// Runtimes and EPs
export { EPS, type Ep, type NodeEp, RUNTIME_EPS, type RuntimeName, type WebEp } from './common/eps.js';
export { PACKAGE } from './common/version.js';
// The network and its training graph
export {
  type Activation,
  type AlexNetGraph,
  type AlexNetOptions,
  buildAlexNet,
  DEFAULT_OPTIONS,
  LRN_PRESETS,
  type LrnPreset,
  validateOptions,
} from './model/alexnet.js';
export type { BuiltModel } from './model/built.js';
export {
  buildForwardModel,
  buildTrainedModel,
  type ExportResult,
  exportModel,
  exportModelAsync,
  formatExportReport,
  modelBytes,
} from './model/export.js';
export {
  type ConvDataGrad,
  type ConvWeightGrad,
  type DropoutImpl,
  describeFormulation,
  EXPORT_FORMULATION,
  FORMULATION_KEYS,
  FORMULATIONS,
  type Formulation,
  type FormulationKey,
  type FormulationReport,
  formulationFor,
  formulationFromMetadata,
  formulationReport,
  type LrnImpl,
  type MaxPoolGrad,
} from './model/formulation.js';
export { CONV_LAYERS, MAX_ONNX_DATA_BYTES, minImageSize, parameterShapes, pool5Size, weightBytes } from './model/layers.js';
export { estimateMemory, type MemoryEstimate, type MemoryPlan } from './model/memory.js';
export {
  finalLayer,
  GRAD_SQ_SUM,
  gradName,
  IMAGES,
  isGradient,
  KIND_METADATA,
  LABELS,
  LOSS,
  LR,
  layerOf,
  type ModelKind,
  NEXT_SUFFIX,
  nextName,
  OUTPUT,
  STATE_SLOTS,
  STEP,
  type StateSlot,
  stateName,
  TRAIN_STEP_METADATA,
} from './model/names.js';
export {
  type AdamWSettings,
  describeOptimizer,
  HYPERPARAMETERS,
  type Hyperparameter,
  type HyperparameterSpec,
  hyperparametersOf,
  OPTIMIZER_KINDS,
  OPTIMIZERS,
  type OptimizerKind,
  type OptimizerSettings,
  optimizerFromMetadata,
  optimizerMetadata,
  optimizerSettings,
  type SgdSettings,
  stateNames,
} from './model/optimizer.js';
export {
  buildTrainStep,
  buildTrainStepModel,
  defaultTrainStep,
  detachInitializers,
  type Feedback,
  feedbackFromMetadata,
  type TrainStep,
  type TrainStepOptions,
  validateTrainStep,
} from './model/train-step.js';
export {
  buildTrainingModel,
  DEFAULT_TRAINING,
  formulationOfOptions,
  LOSSES,
  type LossKind,
  type TrainingOptions,
  validateTraining,
  type WrtKind,
  withFormulation,
} from './model/training.js';
export { GraphBuilder, makeNode, type OpOptions } from './onnx/builder.js';
export { type ModelContents, readModel } from './onnx/read.js';
export { encodeModel, IR_VERSION, type ModelInfo, OPSET } from './onnx/serialize.js';
export {
  type Attribute,
  attr,
  type Dim,
  type DType,
  formatShape,
  type Graph,
  type Node,
  numElements,
  type TensorType,
  type ValueInfo,
} from './onnx/types.js';
export { type CudaSetupResult, setupCuda } from './runners/cuda.js';
export { EpUnavailableError } from './runners/errors.js';
export type { GraphOptLevel, InputPlacement } from './runners/types.js';
export { trainingChart } from './train/chart.js';
// Training
export { type Batch, batches, DataError, type Dataset, heldOutBatches, type Split } from './train/data.js';
export { type ImageFolderOptions, imageFolderDataset } from './train/data-folder.js';
export { type SyntheticOptions, syntheticDataset } from './train/data-synthetic.js';
export { datasetFor, TRAIN_DEFAULTS, TRAIN_MODEL_DEFAULTS, type TrainOptions } from './train/options.js';
export { type TrainOutputs, writeTrainOutputs } from './train/report.js';
export { LR_SCHEDULES, type LrSchedule, type LrScheduleKind, learningRate } from './train/schedule.js';
export { type EvalRecord, type StepRecord, type TrainResult, train } from './train/trainer.js';
