import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-common';
import type { WebEp } from '../common/eps.js';
import { openBrowserPage } from './browser.js';
import type { PageSessionCall, PageSessionReply, PageTensorRef, TensorBytes } from './browser-train-protocol.js';
import { serveFeeds } from './page-server.js';
import type { GraphOptLevel } from './types.js';

/**
 * Sessions that live in a headless Chromium page (onnxruntime-web in the page's job worker), run call by call from
 * Node: `train --runtime browser`. Outputs a session keeps stay in the page as `PageTensor`s, fed back by reference, so
 * parameters and optimizer state cross between Node and the page only when read (`read`).
 */

/** The page module whose `callPageSessions` answers the calls (the server's copy of dist/). */
const CLIENT_MODULE = '/app/web/worker-client.js';

/** A tensor held in the page: its type and shape here, its values there (`PageSessions.read`). */
export class PageTensor {
  constructor(
    readonly ref: PageTensorRef,
    /** Where the page holds it: `gpu-buffer` on WebGPU, `cpu` (the page's memory) on WebAssembly. */
    readonly location: Tensor['location'],
  ) {}

  get type(): PageTensorRef['type'] {
    return this.ref.type;
  }

  get dims(): readonly number[] {
    return this.ref.dims;
  }
}

/** A session in the page. */
export interface PageSession {
  /**
   * Runs the session on `feeds` (host tensors are sent, `PageTensor`s named); the outputs it keeps come back as
   * `PageTensor`s, the others as host tensors. `seconds` is `session.run` alone, timed in the page.
   */
  run(
    feeds: Record<string, Tensor | PageTensor>,
    fetches?: readonly string[],
  ): Promise<{ seconds: number; outputs: Record<string, Tensor | PageTensor> }>;
  release(): Promise<void>;
}

/** onnxruntime-web set up in a page, opening sessions there. */
export interface PageSessions {
  readonly ortVersion: string;
  /** The browser and its cores or WebGPU adapter, as the page sees them. */
  readonly device: string;
  /** Opens a session of `model`; its outputs named in `keep` stay in the page after each run. */
  open(model: Uint8Array, keep: readonly string[]): Promise<PageSession>;
  /** The values of tensors held in the page. */
  read(tensors: readonly PageTensor[]): Promise<Tensor[]>;
  /** Frees tensors held in the page. */
  dispose(tensors: readonly PageTensor[]): Promise<void>;
  /** Closes the browser and the page server. */
  close(): Promise<void>;
}

/** A host tensor of base64 bytes from the page. */
function hostTensor(t: TensorBytes): Tensor {
  const bytes = Buffer.from(t.base64, 'base64');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return t.type === 'int64'
    ? new Tensor('int64', new BigInt64Array(buffer), t.dims)
    : new Tensor('float32', new Float32Array(buffer), t.dims);
}

/**
 * Starts a headless Chromium at `browserPath` with the benchmark page and sets onnxruntime-web up in its session
 * worker for `ep` with `threads` WebAssembly threads (0: one per core). Playwright leaves SIGINT and SIGTERM to this
 * program (a Ctrl-C must still be able to read the trained weights from the page): end the process with
 * `process.exit`, which kills the browser, or call `close`.
 */
export async function openPageSessions(o: {
  browserPath?: string;
  ep: WebEp;
  threads: number;
  graphOpt: GraphOptLevel;
}): Promise<PageSessions> {
  // Chromium's TMPDIR: what it leaves behind when it is killed rather than closed goes with this folder
  const tempDir = mkdtempSync(join(tmpdir(), 'alexnet-onnx-browser-'));
  const removeTempDir = (): void => rmSync(tempDir, { recursive: true, force: true });
  // a signal while Chromium starts ends the process too (see `openPageSessions`): the folder goes on exit
  process.on('exit', removeTempDir);
  let opened: Awaited<ReturnType<typeof openBrowserPage>>;
  try {
    opened = await openBrowserPage({ browserPath: o.browserPath, tempDir, ownSignals: true });
  } catch (err) {
    process.off('exit', removeTempDir);
    removeTempDir();
    throw err;
  }
  const { browser, page, server } = opened;
  // now after Playwright's own exit listener, which kills the browser first
  process.off('exit', removeTempDir);
  process.on('exit', removeTempDir);
  const close = async (): Promise<void> => {
    try {
      await browser.close();
      await server.close();
    } finally {
      process.off('exit', removeTempDir);
      removeTempDir();
    }
  };
  const call = async <C extends PageSessionCall>(c: C): Promise<PageSessionReply<C>> => {
    try {
      return await page.evaluate(async ({ url, c }) => (await import(url)).callPageSessions(c), { url: CLIENT_MODULE, c });
    } catch (err) {
      // page.evaluate wraps the page's error in a long message with a call log; the first line is the page's own
      const msg = ((err as Error).message ?? String(err)).replace(/^page\.evaluate: (Error: )?/, '').split('\n')[0]!;
      throw new Error(`in the browser page: ${msg}`);
    }
  };
  let setup: PageSessionReply<{ call: 'setup'; ep: WebEp; threads: number }>;
  try {
    setup = await call({ call: 'setup', ep: o.ep, threads: o.threads, browserVersion: browser.version() });
  } catch (err) {
    await close();
    throw err;
  }
  const location: Tensor['location'] = o.ep === 'webgpu' ? 'gpu-buffer' : 'cpu';

  return {
    ortVersion: setup.ortVersion,
    device: setup.device,
    async open(model, keep) {
      const modelUrl = server.addBlob(model);
      let session: number;
      try {
        ({ session } = await call({ call: 'open', modelUrl, graphOpt: o.graphOpt, keep: [...keep] }));
      } finally {
        server.drop(modelUrl);
      }
      return {
        async run(feeds, fetches) {
          const host: Record<string, Tensor> = {};
          const refs: Record<string, number> = {};
          for (const [name, t] of Object.entries(feeds)) {
            if (t instanceof PageTensor) refs[name] = t.ref.id;
            else host[name] = t;
          }
          const specs = serveFeeds(server, host);
          try {
            const r = await call({ call: 'run', session, feeds: specs, refs, ...(fetches ? { fetches: [...fetches] } : {}) });
            const outputs: Record<string, Tensor | PageTensor> = {};
            for (const [name, t] of Object.entries(r.outputs)) outputs[name] = hostTensor(t);
            for (const [name, ref] of Object.entries(r.kept)) outputs[name] = new PageTensor(ref, location);
            return { seconds: r.seconds, outputs };
          } finally {
            for (const f of specs) server.drop(f.url);
          }
        },
        release: async () => void (await call({ call: 'release', session })),
      };
    },
    async read(tensors) {
      // one call per tensor: a call's reply is one string through Playwright, and fc6's weights alone can be a GB
      const out: Tensor[] = [];
      for (const t of tensors) out.push(hostTensor((await call({ call: 'read', ids: [t.ref.id] })).tensors[0]!));
      return out;
    },
    async dispose(tensors) {
      if (tensors.length) await call({ call: 'dispose', ids: tensors.map((t) => t.ref.id) });
    },
    close,
  };
}
