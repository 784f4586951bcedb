import { networkInterfaces } from 'node:os';
import { isAllInterfaces, isLoopback, type PageServer, startPageServer } from '../runners/page-server.js';
import type { BuildJob } from './build.js';
import { jobApi } from './jobs.js';

/**
 * Starts the page server with the job API: what `alexnet-onnx serve` runs. `build` replaces the worker that builds
 * models (tests); `log` gets a line per job. Closing stops a build in progress at once.
 */
export async function serve(o: { port?: number; host?: string; build?: BuildJob; log?: (line: string) => void }): Promise<PageServer> {
  let server: PageServer | undefined;
  const api = jobApi(() => server!, { build: o.build, log: o.log });
  server = await startPageServer({ port: o.port, host: o.host, api: api.handle });
  const close = server.close;
  return {
    ...server,
    close: () => {
      api.close();
      return close();
    },
  };
}

/** What `serve` tells its user about where it listens. */
export interface Listening {
  /** Where to open the page on this machine. */
  open: string;
  /** Addresses other machines may use (when listening on all interfaces). */
  others: string[];
  /** Set when the page can be reached from other machines. */
  warning?: string;
}

/** Where a server listening on `host` can be opened, and a warning when that is beyond this machine. */
export function listening(host: string, origin: string): Listening {
  const open = `${origin}/`;
  if (isLoopback(host)) return { open, others: [] };
  const port = new URL(origin).port;
  const all = isAllInterfaces(host);
  const others = all
    ? Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        // link-local IPv6 addresses need a zone id no browser accepts in a URL
        .filter((i) => !i.internal && !(i.family === 'IPv6' && i.scopeid))
        .map((i) => `http://${i.family === 'IPv6' ? `[${i.address}]` : i.address}:${port}/`)
    : [];
  const where = all ? `all network interfaces (--host ${JSON.stringify(host)})` : host;
  return {
    open,
    others,
    warning:
      `listening on ${where}, not only this machine: anyone who can reach it can use the page and make this process ` +
      'build models; without --host it listens on 127.0.0.1 only',
  };
}
