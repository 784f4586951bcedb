import type { ArgumentsCamelCase, Argv } from 'yargs';
import { listening, serve } from '../serve/serve.js';
import { UsageError } from './errors.js';

export const command = 'serve';
export const describe =
  'Serve the benchmark page (onnxruntime-web, wasm or webgpu) for your own browser, with COOP/COEP for WebAssembly threads';

export function builder(y: Argv) {
  return y
    .option('port', { describe: 'TCP port (0: any free port)', type: 'number', default: 8080 })
    .option('host', {
      describe: "address to listen on; the default keeps the page on this machine ('', 0.0.0.0 or :: : all interfaces, with a warning)",
      type: 'string',
      default: '127.0.0.1',
    })
    .example('$0 serve', 'the page on http://127.0.0.1:8080/ for a browser on this machine')
    .example('$0 serve --port 0', 'on any free port (the URL is printed)')
    .example('$0 serve --host 0.0.0.0', 'for browsers on other machines too (trusted networks only)');
}

type Args = ArgumentsCamelCase<{ port: number; host: string }>;

export async function handler(args: Args): Promise<void> {
  if (!Number.isSafeInteger(args.port) || args.port < 0 || args.port > 65535)
    throw new UsageError(`--port must be an integer in [0, 65535], got ${args.port}`);
  const server = await serve({ port: args.port, host: args.host, log: (line) => console.log(`alexnet-onnx serve: ${line}`) });
  const where = listening(args.host, server.origin);
  if (where.warning) console.error(`alexnet-onnx serve: WARNING: ${where.warning}`);
  console.log(`alexnet-onnx serve: open ${where.open} in a browser (Ctrl-C stops)`);
  if (where.others.length) console.log(`alexnet-onnx serve: from other machines: ${where.others.join(' ')}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void server.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
