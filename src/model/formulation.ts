import type { Ep, RuntimeName } from '../common/eps.js';
import { writtenByAlexnetOnnx } from './names.js';

/**
 * Graph formulations: choices that change how the graph is written, not its math. One table holds, per formulation,
 * its choices, what `export` writes by default, what `bench` picks per EP (`auto`), the metadata key, the JSON field
 * and the help text; the CLI options, the model metadata, the JSON report and every description are derived from it.
 *
 * Why `auto` picks what it does: WebGPU has no LRN kernel and no MaxPool `Indices` output, and onnxruntime-web's
 * WebGPU build has no training-mode Dropout kernel; on the CPU EP (and wasm, which runs the same kernels) the
 * MatMul weight gradient and the Conv data gradient measured faster, and the banded LRN on the CPU EP, the decomposed
 * one on wasm (docs/benchmarks.md, "Graph formulations: what `auto` is based on"); the `match` MaxPool gradient
 * measured within noise of `scatter` on the CPU EP (ahead at batch 8, even at 32) and no faster on wasm, so the table
 * keeps `scatter` and autotune picks per machine (docs/benchmarks.md, "CPU forward-backward against TensorFlow").
 * CUDA keeps cuDNN's LRN, the Conv weight gradient and ConvTranspose until they are measured on a GPU.
 */
interface FormulationSpec<C extends string> {
  /** The command-line option, without dashes. */
  option: string;
  /** The field in the JSON report's `formulation`. */
  json: string;
  /** The `metadata_props` key of an exported model. */
  metadata: string;
  /** The words that name it in summary lines (`LRN decomposed`). */
  label: string;
  /** `forward`: it changes forward ops (an `AlexNetOptions` field); `backward`: only the gradient graph (`TrainingOptions`). */
  part: 'forward' | 'backward';
  choices: readonly C[];
  /** What `export` writes when not told. */
  exportDefault: C;
  /** What `bench` picks on each EP. */
  auto: Record<Ep, C>;
  /** Why `auto` picks differently per EP, for `--help`. */
  autoReason: string;
  /** Help text. */
  describe: string;
  /** What a model file that lacks the metadata key was written with (files from before the option existed). */
  legacy: C | 'unknown';
  /** Per choice, where it is known not to run: `bench` refuses it there and autotune does not offer it. */
  cannotRun?: Partial<Record<C, readonly KnownFailure[]>>;
}

/** An EP (on some runtimes) where a formulation choice is known not to run, and why. */
export interface KnownFailure {
  ep: Ep;
  runtimes: readonly RuntimeName[];
  why: string;
}

const NODE_WEBGPU_CRASH = "it crashes onnxruntime-node's WebGPU EP (a segmentation fault in the training graph's session)";

/** Keeps the option name's literal type (yargs types each option by its name) and checks the rest against `C`. */
const spec = <C extends string, const O extends string>(s: FormulationSpec<C> & { option: O }): FormulationSpec<C> & { option: O } => s;

/** The formulation table. */
export const FORMULATIONS = {
  lrnImpl: spec({
    option: 'lrn-impl',
    json: 'lrn_impl',
    metadata: 'alexnet.lrnImpl',
    label: 'LRN',
    part: 'forward',
    choices: ['op', 'decomposed', 'banded'],
    exportDefault: 'op',
    auto: { cpu: 'banded', wasm: 'decomposed', webgpu: 'decomposed', cuda: 'op' },
    autoReason: 'WebGPU has no LRN kernel; banded is the fastest on cpu, decomposed on wasm',
    describe:
      'write LRN as the ONNX LRN op; decomposed into Mul/Conv/Pow (for EPs without an LRN kernel); or banded: the channel window as one 1x1 Conv with a banded weight, and x^-0.75 as Sqrt/Div (faster on CPU)',
    legacy: 'unknown',
  }),
  dropoutImpl: spec({
    option: 'dropout-impl',
    json: 'dropout_impl',
    metadata: 'alexnet.dropoutImpl',
    label: 'dropout',
    part: 'forward',
    choices: ['op', 'decomposed'],
    exportDefault: 'op',
    auto: { cpu: 'op', wasm: 'op', webgpu: 'decomposed', cuda: 'op' },
    autoReason: "onnxruntime-web's WebGPU build has no training-mode Dropout kernel",
    describe:
      'write dropout as the ONNX Dropout op, or decomposed into RandomUniformLike/Less/Where (for runtimes without a training-mode Dropout kernel)',
    legacy: 'op',
  }),
  maxpoolGrad: spec({
    option: 'maxpool-grad',
    json: 'maxpool_grad',
    metadata: 'alexnet.maxpoolGrad',
    label: 'MaxPool grad',
    part: 'backward',
    choices: ['scatter', 'mask', 'match'],
    exportDefault: 'scatter',
    auto: { cpu: 'scatter', wasm: 'scatter', webgpu: 'mask', cuda: 'scatter' },
    autoReason: "WebGPU's MaxPool has no Indices output",
    describe:
      'MaxPool gradient: scatter (Indices + ScatterElements add), mask (no Indices output; for WebGPU) or match (no Indices: the first input equal to the max, found in the backward, + ScatterElements add; CPU kernels: it crashes the WebGPU EP)',
    legacy: 'unknown',
    // found by running them (Dawn over lavapipe, 2026-11-23): `scatter` fails to run; on onnxruntime-node `match` ends
    // the process while its session is created or first run. onnxruntime-web's WebGPU build runs `match`, and its
    // nodes alone run on both, so autotune's slices would not find the crash out: it is refused by name.
    cannotRun: {
      scatter: [{ ep: 'webgpu', runtimes: ['node', 'web', 'browser'], why: "WebGPU's MaxPool has no Indices output" }],
      match: [{ ep: 'webgpu', runtimes: ['node'], why: NODE_WEBGPU_CRASH }],
    },
  }),
  convWeightGrad: spec({
    option: 'conv-weight-grad',
    json: 'conv_weight_grad',
    metadata: 'alexnet.convWeightGrad',
    label: 'conv weight grad',
    part: 'backward',
    choices: ['conv', 'matmul'],
    exportDefault: 'conv',
    auto: { cpu: 'matmul', wasm: 'matmul', webgpu: 'conv', cuda: 'conv' },
    autoReason: 'faster on cpu and wasm',
    describe:
      'conv weight gradients: conv (transposed Conv) or matmul (a MatMul per kernel offset where >= 16 input channels; faster on CPU)',
    legacy: 'unknown',
    // a segmentation fault on onnxruntime-node's WebGPU EP (as `match` above); onnxruntime-web's runs it
    cannotRun: { matmul: [{ ep: 'webgpu', runtimes: ['node'], why: NODE_WEBGPU_CRASH }] },
  }),
  convDataGrad: spec({
    option: 'conv-data-grad',
    json: 'conv_data_grad',
    metadata: 'alexnet.convDataGrad',
    label: 'conv data grad',
    part: 'backward',
    choices: ['convtranspose', 'conv'],
    exportDefault: 'convtranspose',
    auto: { cpu: 'conv', wasm: 'conv', webgpu: 'convtranspose', cuda: 'convtranspose' },
    autoReason: 'faster on cpu; wasm runs the same CPU kernels',
    describe: 'conv input gradients: convtranspose, or conv (a Conv with the flipped weights, stride-1 layers; faster on CPU)',
    // every data gradient was a ConvTranspose before the option existed
    legacy: 'convtranspose',
  }),
};

/** The name of a formulation: `lrnImpl`, `dropoutImpl`, `maxpoolGrad`, `convWeightGrad`, `convDataGrad`. */
export type FormulationKey = keyof typeof FORMULATIONS;

/** Every formulation, in the table's order. */
export const FORMULATION_KEYS = Object.keys(FORMULATIONS) as FormulationKey[];

/** One choice for every formulation. */
export type Formulation = { [K in FormulationKey]: (typeof FORMULATIONS)[K]['choices'][number] };

/** How LRN is written: the ONNX `LRN` operator, or the same formula in elementary ops (two ways). */
export type LrnImpl = Formulation['lrnImpl'];
/** How training-mode dropout is written: the ONNX Dropout op, or RandomUniformLike, Less and Where. */
export type DropoutImpl = Formulation['dropoutImpl'];
/** How the MaxPool gradient is written: `Indices` + ScatterElements, equality masks, or matched indices + ScatterElements. */
export type MaxPoolGrad = Formulation['maxpoolGrad'];
/** How conv weight gradients are written: a transposed Conv, or MatMuls per kernel offset. */
export type ConvWeightGrad = Formulation['convWeightGrad'];
/** How stride-1 conv input gradients are written: ConvTranspose, or a Conv with the flipped weights. */
export type ConvDataGrad = Formulation['convDataGrad'];

/** The formulations that change forward ops. */
export type ForwardFormulation = Pick<Formulation, 'lrnImpl' | 'dropoutImpl'>;
/** The formulations that change only the gradient graph. */
export type BackwardFormulation = Pick<Formulation, 'maxpoolGrad' | 'convWeightGrad' | 'convDataGrad'>;

/**
 * How a graph was written, as the JSON report and the summary lines give it: null where a choice does not apply (the
 * JSON report's one "not applicable"), `unknown` where a model file does not say.
 */
export type FormulationReport = { [K in FormulationKey as (typeof FORMULATIONS)[K]['json']]: string | null };

/** A value per formulation. */
function mapKeys<T>(f: (key: FormulationKey) => T): Record<FormulationKey, T> {
  return Object.fromEntries(FORMULATION_KEYS.map((k) => [k, f(k)])) as Record<FormulationKey, T>;
}

/** What `export` writes when not told. */
export const EXPORT_FORMULATION = mapKeys((k) => FORMULATIONS[k].exportDefault) as Formulation;

/** The formulation `bench` picks for an EP, with any explicit choices in `chosen` (`auto` or absent: the EP's). */
export function formulationFor(ep: Ep, chosen: Partial<Record<FormulationKey, string>> = {}): Formulation {
  return mapKeys((k) => {
    const c = chosen[k];
    if (c === undefined || c === 'auto') return FORMULATIONS[k].auto[ep];
    if (!(FORMULATIONS[k].choices as readonly string[]).includes(c)) {
      throw new Error(`--${FORMULATIONS[k].option} must be one of auto, ${FORMULATIONS[k].choices.join(', ')}, got ${c}`);
    }
    return c;
  }) as Formulation;
}

/** Why `choice` of formulation `key` is known not to run on `ep` with `runtime` (the table's `cannotRun`), or undefined. */
export function knownFailure(key: FormulationKey, choice: string, runtime: RuntimeName, ep: Ep): KnownFailure | undefined {
  const failures = (FORMULATIONS[key] as FormulationSpec<string>).cannotRun?.[choice] ?? [];
  return failures.find((f) => f.ep === ep && f.runtimes.includes(runtime));
}

/** `decomposed on cpu, wasm, webgpu; op on cuda (why)`: what `auto` means for one formulation, for `--help`. */
export function describeAuto(key: FormulationKey): string {
  const byChoice = new Map<string, Ep[]>();
  for (const [ep, choice] of Object.entries(FORMULATIONS[key].auto) as [Ep, string][])
    byChoice.set(choice, [...(byChoice.get(choice) ?? []), ep]);
  return `${[...byChoice].map(([choice, eps]) => `${choice} on ${eps.join(', ')}`).join('; ')} (${FORMULATIONS[key].autoReason})`;
}

/** Where a formulation applies: backward ones only with gradients, dropout only with a dropout rate. */
function applies(key: FormulationKey, withGradients: boolean, dropout: number): boolean {
  if (FORMULATIONS[key].part === 'backward') return withGradients;
  return key !== 'dropoutImpl' || dropout > 0;
}

/** The report of a formulation for a graph with or without gradients and with a dropout rate. */
export function formulationReport(f: Formulation, withGradients: boolean, dropout: number): FormulationReport {
  const out: Record<string, string | null> = {};
  for (const k of FORMULATION_KEYS) out[FORMULATIONS[k].json] = applies(k, withGradients, dropout) ? f[k] : null;
  return out as FormulationReport;
}

/** The `metadata_props` that record the backward formulations of a training graph. */
export function backwardMetadata(f: BackwardFormulation): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const k of FORMULATION_KEYS)
    if (FORMULATIONS[k].part === 'backward') meta[FORMULATIONS[k].metadata] = f[k as keyof BackwardFormulation];
  return meta;
}

/**
 * The formulation a model's metadata records (`export` writes it); `legacy` values for files that predate a key, and
 * `unknown` for every choice of a model alexnet-onnx did not write (its legacy defaults describe only our own files).
 */
export function formulationFromMetadata(meta: Record<string, string>, withGradients: boolean): FormulationReport {
  const out: Record<string, string | null> = {};
  const ours = writtenByAlexnetOnnx(meta);
  const dropout = ours ? Number(meta['alexnet.dropout'] ?? 0) : 1;
  for (const k of FORMULATION_KEYS) {
    const recorded = ours ? (meta[FORMULATIONS[k].metadata] ?? FORMULATIONS[k].legacy) : 'unknown';
    out[FORMULATIONS[k].json] = applies(k, withGradients, dropout) ? recorded : null;
  }
  return out as FormulationReport;
}

/** `LRN decomposed, MaxPool grad mask, conv weight grad conv`: the choices that apply, for every line that names them. */
export function describeFormulation(r: FormulationReport): string {
  const fields = r as Record<string, string | null>;
  return FORMULATION_KEYS.map((k) => [FORMULATIONS[k].label, fields[FORMULATIONS[k].json]] as const)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([label, v]) => `${label} ${v}`)
    .join(', ');
}
