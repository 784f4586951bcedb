import type { ArgumentsCamelCase, Argv } from 'yargs';
import { exportModel, formatExportReport } from '../model/export.js';
import { modelOptionsFrom, withModelOptions, type RawModelArgs } from './model-options.js';

export const command = 'export';
export const describe = 'Write the AlexNet benchmark network as an ONNX model and print its activation shapes';

export function builder(y: Argv) {
  return withModelOptions(y).option('output', {
    alias: 'o',
    describe: 'where to write the .onnx file',
    type: 'string',
    default: 'graphs/alexnet.onnx',
  });
}

type Args = ArgumentsCamelCase<RawModelArgs & { output: string }>;

export function handler(args: Args): void {
  const result = exportModel(modelOptionsFrom(args), args.output);
  console.log(formatExportReport(result));
}
