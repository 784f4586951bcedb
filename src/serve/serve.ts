import { type PageServer, startPageServer } from '../runners/page-server.js';
import { jobApi } from './jobs.js';

/** Starts the page server with the job API: what `alexnet-onnx serve` runs. */
export async function serve(o: { port?: number; host?: string }): Promise<PageServer> {
  let server: PageServer | undefined;
  server = await startPageServer({ ...o, api: jobApi(() => server!) });
  return server;
}
