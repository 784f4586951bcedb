import { existsSync, statSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { cudaSourceKind, DEFAULT_CUDA_EP_SOURCE, setupCuda } from '../runners/cuda.js';
import { nvidiaGpu } from '../runners/devices.js';
import { ortNodeBinDir } from '../runners/packages.js';
import { UsageError } from './errors.js';

export const command = 'setup <component>';
export const describe = 'Install an optional execution provider for onnxruntime-node (cuda)';

export function builder(y: Argv) {
  return y
    .positional('component', { describe: 'what to install', choices: ['cuda'] as const, demandOption: true })
    .option('from', {
      describe: 'a folder, an npm tarball (.tgz) or an npm package spec holding the CUDA EP libraries',
      type: 'string',
      default: DEFAULT_CUDA_EP_SOURCE,
    })
    .option('into', { describe: "target folder (default: onnxruntime-node's native library folder)", type: 'string' })
    .example('$0 setup cuda', 'fetch the CUDA EP from the npm registry (--from) and install it')
    .example('$0 setup cuda --from ep.tgz', 'install from an npm tarball fetched elsewhere (npm pack), offline');
}

type Args = ArgumentsCamelCase<{ component: 'cuda'; from: string; into?: string }>;

export function handler(args: Args): void {
  // a source or target that cannot be one is a usage mistake, found before anything is fetched
  try {
    cudaSourceKind(args.from);
  } catch (err) {
    throw new UsageError(`--from ${(err as Error).message}`);
  }
  if (args.into !== undefined && !(existsSync(args.into) && statSync(args.into).isDirectory()))
    throw new UsageError(`--into ${args.into}: no such folder`);
  const r = setupCuda(args.from, args.into ?? ortNodeBinDir(), (line) => console.log(line));
  console.log(
    `installed ${r.files.join(', ')} (ONNX Runtime ${r.epVersion} CUDA EP, matching onnxruntime-node ${r.ortVersion}) into ${r.into}`,
  );
  const gpu = nvidiaGpu();
  console.log(
    gpu
      ? `GPU: ${gpu}`
      : 'note: no NVIDIA GPU or driver found on this machine (nvidia-smi failed); the CUDA EP also needs CUDA 13 and cuDNN 9 libraries',
  );
}
