import type { Argv } from 'yargs';
import { DEFAULT_BROWSER } from '../runners/browser.js';
import { GRAPH_OPT_LEVELS } from '../runners/types.js';

/** Where and how the sessions run, as yargs parses `withRuntimeOptions`' options. */
export interface RawRuntimeArgs {
  runtime: string;
  ep?: string;
  browser?: string;
  threads: number;
  graphOpt: string;
}

/** `--runtime`, `--ep`, `--browser`, `--threads` and `--graph-opt`: the same for `bench` and `train`. */
export function withRuntimeOptions<T>(y: Argv<T>) {
  return y
    .option('runtime', {
      describe: 'node: onnxruntime-node; web: onnxruntime-web in Node; browser: onnxruntime-web in a headless Chromium page',
      choices: ['node', 'web', 'browser'],
      default: 'node',
    })
    .option('ep', {
      describe: 'execution provider: node: cpu|cuda|webgpu (default cpu); web and browser: wasm|webgpu (default wasm)',
      choices: ['cpu', 'cuda', 'webgpu', 'wasm'],
    })
    .option('browser', {
      describe: `Chromium or Chrome for --runtime browser (default ${DEFAULT_BROWSER}; never downloaded)`,
      type: 'string',
    })
    .option('threads', {
      describe: "CPU threads: node: intra-op threads (0: ORT's default); web/browser: WebAssembly threads (0: one per core)",
      type: 'number',
      default: 0,
    })
    .option('graph-opt', { describe: 'ONNX Runtime graph optimization level', choices: GRAPH_OPT_LEVELS, default: 'all' });
}
