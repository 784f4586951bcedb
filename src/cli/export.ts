import type { ArgumentsCamelCase, Argv } from 'yargs';
import { exportModel, formatExportReport } from '../model/export.js';
import {
  modelOptionsFrom,
  type RawModelArgs,
  type RawTrainingArgs,
  trainingOptionsFrom,
  withModelOptions,
  withTrainingOptions,
} from './model-options.js';

export const command = 'export';
export const describe = 'Write the AlexNet benchmark network as an ONNX model and print its activation shapes';

export function builder(y: Argv) {
  return withTrainingOptions(withModelOptions(y))
    .option('grad', { describe: 'write the training graph: forward, loss, gradients and grad_sq_sum', type: 'boolean', default: false })
    .option('output', { alias: 'o', describe: 'where to write the .onnx file', type: 'string', default: 'graphs/alexnet.onnx' });
}

type Args = ArgumentsCamelCase<RawModelArgs & RawTrainingArgs & { output: string; grad: boolean }>;

export function handler(args: Args): void {
  const options = modelOptionsFrom(args);
  const result = exportModel(options, args.output, args.grad ? trainingOptionsFrom(options, args) : undefined);
  console.log(formatExportReport(result));
}
