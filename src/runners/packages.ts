import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** onnxruntime-node's version, from its package.json. */
export function ortNodeVersion(): string {
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}

/** Folder holding onnxruntime-node's native library, where it also looks for EP provider libraries. */
export function ortNodeBinDir(): string {
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** onnxruntime-web's package folder (its `exports` hide package.json, so it is found from the main file). */
export function ortWebDir(): string {
  return dirname(dirname(require.resolve('onnxruntime-web')));
}

/** onnxruntime-web's version, from its package.json. */
export function ortWebVersion(): string {
  return (JSON.parse(readFileSync(join(ortWebDir(), 'package.json'), 'utf8')) as { version: string }).version;
}
