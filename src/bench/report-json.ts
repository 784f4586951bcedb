/**
 * The fields of the `--json` report that tell runs apart (the model, the tool, the machine), and the report's two
 * file forms: one JSON array (`--json`) and one JSON line per mode (`--append`).
 */
import { cpus, platform, release } from 'node:os';
import { PACKAGE } from '../common/version.js';
import { writtenByAlexnetOnnx } from '../model/names.js';
import { nvidiaGpu } from '../runners/devices.js';
import { type BenchMode, hasBackward, type ModeResult } from './types.js';

/** The model's options in the report. */
export type ModelFields = Pick<ModeResult, 'image_size' | 'lrn' | 'head' | 'classes' | 'dropout' | 'loss' | 'wrt' | 'seed'>;

/** The tool and the machine in the report. */
export type EnvironmentFields = Pick<
  ModeResult,
  'tool' | 'tool_version' | 'node_version' | 'os_platform' | 'os_release' | 'cpu' | 'cpu_cores' | 'gpu'
>;

/** A recorded number, or null where the key is missing or not a number. */
function numberOf(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * The model's options from its `metadata_props` (export records every option; a built-in model carries the same), or
 * null for each one a model alexnet-onnx did not write. `imageSize` is what the run fed, known for every model. The
 * loss and `wrt` apply to forward-backward and the training step only, and classes to the FC head only: null elsewhere.
 */
export function modelFields(meta: Record<string, string>, mode: BenchMode, imageSize: number): ModelFields {
  const ours = writtenByAlexnetOnnx(meta);
  const get = (key: string): string | undefined => (ours ? meta[`alexnet.${key}`] : undefined);
  const head = get('head') ?? null;
  const training = hasBackward(mode);
  return {
    image_size: imageSize,
    lrn: get('lrn') ?? null,
    head,
    classes: head === 'fc' ? numberOf(get('classes')) : null,
    dropout: numberOf(get('dropout')),
    loss: training ? (get('loss') ?? null) : null,
    wrt: training ? (get('wrt') ?? null) : null,
    seed: numberOf(get('seed')),
  };
}

/** This tool, Node and the machine. */
export function runEnvironment(): EnvironmentFields {
  const cores = cpus();
  return {
    tool: PACKAGE.name,
    tool_version: PACKAGE.version,
    node_version: process.version,
    os_platform: platform(),
    os_release: release(),
    cpu: cores[0]?.model.trim() || 'unknown',
    cpu_cores: cores.length,
    gpu: nvidiaGpu() ?? null,
  };
}

/** The `--json` file: an array of every mode's result, indented. */
export function jsonReport(results: ModeResult[]): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** The `--append` lines: one JSON object per mode, one line each, so that a series of runs is one JSON Lines file. */
export function jsonLines(results: ModeResult[]): string {
  return results.map((r) => `${JSON.stringify(r)}\n`).join('');
}
