import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from 'onnxruntime-common';
import { ortWebDir } from './packages.js';
import type { FeedBytes, FeedSpec } from './page-protocol.js';

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

/** Told when a page starts downloading a blob and when that download ends (`delivered`: every byte was sent). */
export interface BlobHooks {
  onStart?(): void;
  onEnd?(delivered: boolean): void;
}

/** The running page server. */
export interface PageServer {
  /** Where this machine reaches the page: `http://127.0.0.1:PORT` by default; loopback when listening on all interfaces. */
  readonly origin: string;
  /** Serves `bytes` at a fresh URL (models and feeds of a job) until `drop` is called with it. */
  addBlob(bytes: Uint8Array, hooks?: BlobHooks): string;
  drop(url: string): void;
  close(): Promise<void>;
}

/** True for a `--host` that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** True for a `--host` that listens on every interface (Node reads '' as "unspecified": all of them). */
export function isAllInterfaces(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

const inUrl = (address: string): string => (address.includes(':') ? `[${address}]` : address);

/**
 * The names a browser may put in the Host header to reach a server listening on `host`. Anything else is refused:
 * a DNS-rebinding page reaches 127.0.0.1 under its own domain name, which is never in this list.
 */
function hostNames(host: string): string[] {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  if (isLoopback(host)) return [...new Set([inUrl(host), ...loopback])];
  if (!isAllInterfaces(host)) return [inUrl(host.toLowerCase())];
  // read per request: interfaces come and go (DHCP, VPNs)
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => inUrl(i.address)));
  return [...loopback, hostname().toLowerCase(), ...addresses];
}

/**
 * Why a request is refused, or undefined. A browser sends any page's requests to 127.0.0.1, so the Host must be one
 * of ours (DNS rebinding), an Origin must be our own, and the API and blobs take no cross-site request: a plain
 * `<img src>` or link from another site carries no Origin, but browsers mark it with Sec-Fetch-Site.
 */
function refusal(req: IncomingMessage, path: string, listenHost: string, port: number): string | undefined {
  const host = req.headers.host?.toLowerCase();
  const names = hostNames(listenHost);
  if (!host || !names.some((n) => host === `${n}:${port}` || (port === 80 && host === n)))
    return `refused: Host ${host ?? '(none)'} is not this server (open http://${names[0]}:${port}/)`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) return `refused: a page from ${origin} may not use this server`;
  const site = req.headers['sec-fetch-site'];
  const navigation = req.headers['sec-fetch-mode'] === 'navigate' && !/^\/(api|blob)\//.test(path);
  if ((site === 'cross-site' || site === 'same-site') && !navigation) return `refused: a ${site} request may not use ${path}`;
  return undefined;
}

/**
 * The page's HTTP server. Every response carries COOP/COEP (and CORP), so the page is cross-origin isolated and
 * onnxruntime-web may use WebAssembly threads (SharedArrayBuffer). Binds to loopback unless told otherwise.
 */
export async function startPageServer(o: { port?: number; host?: string; api?: ApiHandler } = {}): Promise<PageServer> {
  const roots = staticRoots();
  const blobs = new Map<string, { bytes: Uint8Array; hooks?: BlobHooks }>();
  const host = o.host ?? '127.0.0.1';
  let port = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, TEXT, `${(err as Error).message ?? err}`.split('\n')[0]!);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
      decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, TEXT, `malformed URL: ${JSON.stringify(req.url)}`);
    }
    const refused = refusal(req, url.pathname, host, port);
    if (refused) return send(res, 403, TEXT, refused);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, TEXT, 'GET only');
    if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (url.pathname.startsWith('/blob/')) {
      const blob = blobs.get(url.pathname);
      if (!blob) return send(res, 404, TEXT, `no blob ${url.pathname}: its job is over or was dropped; ask for the job again`);
      if (req.method === 'GET' && blob.hooks) {
        blob.hooks.onStart?.();
        // 'finish' also comes when the client went away mid-download; its reset then shows as the socket's error
        const socket = req.socket;
        res.once('close', () => blob.hooks!.onEnd?.(res.writableFinished && !socket.errored));
      }
      return send(res, 200, 'application/octet-stream', blob.bytes);
    }
    if (url.pathname.startsWith('/api/')) {
      if (o.api && (await o.api(url, res))) return;
      return send(res, 404, TEXT, `no API ${url.pathname}`);
    }
    for (const [prefix, root] of Object.entries(roots)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = url.pathname.slice(prefix.length) || 'index.html';
      const file = normalize(join(root, decodeURIComponent(rel)));
      if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || !existsSync(file) || !statSync(file).isFile()) break;
      return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
    }
    send(res, 404, TEXT, `not found: ${url.pathname}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  port = bound.port;
  const local = isAllInterfaces(host) ? (bound.address === '::' ? '::1' : '127.0.0.1') : host;
  return {
    origin: `http://${inUrl(local)}:${port}`,
    addBlob(bytes, hooks) {
      const path = `/blob/${randomUUID()}`;
      blobs.set(path, { bytes, hooks });
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
  return feedBytes(feeds).map(({ bytes, ...feed }) => ({ ...feed, url: server.addBlob(bytes) }));
}

/** Each feed's description and a view of its bytes (no copy), as the page downloads them. */
export function feedBytes(feeds: Record<string, Tensor>): FeedBytes[] {
  return Object.entries(feeds).map(([name, t]) => {
    const data = t.data as Float32Array | BigInt64Array;
    return {
      name,
      type: t.type as FeedSpec['type'],
      dims: [...t.dims],
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  });
}

const TEXT = 'text/plain; charset=utf-8';

/** Sends a complete response with the cross-origin isolation headers (and `headers`). */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': type,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
