import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from 'onnxruntime-common';
import { ortWebDir } from './packages.js';
import type { FeedSpec } from './page-protocol.js';

/**
 * Static roots: the page itself, our compiled modules the page imports (always from dist/, also when this file runs
 * from src/ under the tests), and onnxruntime-web's browser builds.
 */
function staticRoots(): Record<string, string> {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  return {
    '/app/': dist,
    '/ort/': join(ortWebDir(), 'dist'),
    '/': fileURLToPath(new URL('../../web/', import.meta.url)),
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** Answers one `/api/...` request, or returns false to let the server answer 404. */
export type ApiHandler = (url: URL, res: ServerResponse) => Promise<boolean>;

/** The running page server. */
export interface PageServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Serves `bytes` at a fresh URL (models and feeds of a job) until `drop` is called with it. */
  addBlob(bytes: Uint8Array): string;
  drop(url: string): void;
  close(): Promise<void>;
}

/**
 * The page's HTTP server. Every response carries COOP/COEP (and CORP), so the page is cross-origin isolated and
 * onnxruntime-web may use WebAssembly threads (SharedArrayBuffer). Binds to loopback unless told otherwise.
 */
export async function startPageServer(o: { port?: number; host?: string; api?: ApiHandler } = {}): Promise<PageServer> {
  const roots = staticRoots();
  const blobs = new Map<string, Uint8Array>();
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message ?? err}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only');
    if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (url.pathname.startsWith('/blob/')) {
      const bytes = blobs.get(url.pathname);
      return bytes ? send(res, 200, 'application/octet-stream', bytes) : send(res, 404, 'text/plain', 'no such blob');
    }
    if (url.pathname.startsWith('/api/')) {
      if (o.api && (await o.api(url, res))) return;
      return send(res, 404, 'text/plain', `no API ${url.pathname}`);
    }
    for (const [prefix, root] of Object.entries(roots)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = url.pathname.slice(prefix.length) || 'index.html';
      const file = normalize(join(root, decodeURIComponent(rel)));
      if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || !existsSync(file) || !statSync(file).isFile()) break;
      return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    }
    send(res, 404, 'text/plain', `not found: ${url.pathname}`);
  }

  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    addBlob(bytes) {
      const path = `/blob/${randomUUID()}`;
      blobs.set(path, bytes);
      return path;
    },
    drop(path) {
      blobs.delete(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves each feed's bytes from `server` and describes it for the page. */
export function serveFeeds(server: PageServer, feeds: Record<string, Tensor>): FeedSpec[] {
  return Object.entries(feeds).map(([name, t]) => {
    const data = t.data as Float32Array | BigInt64Array;
    return {
      name,
      type: t.type as FeedSpec['type'],
      dims: [...t.dims],
      url: server.addBlob(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
    };
  });
}

/** Sends a complete response with the cross-origin isolation headers. */
export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
