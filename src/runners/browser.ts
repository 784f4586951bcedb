import { existsSync } from 'node:fs';
import type { Tensor } from 'onnxruntime-common';
import { type Browser, chromium, type Page } from 'playwright-core';
import { EpUnavailableError } from './errors.js';
import type { BrowserJob, BrowserJobResult, JobProgress } from './page-protocol.js';
import { type PageServer, serveFeeds, startPageServer } from './page-server.js';

/** Debian's Chromium; we never download a browser. */
export const DEFAULT_BROWSER = '/usr/bin/chromium';

/**
 * Chromium flags: WebGPU is behind `--enable-unsafe-webgpu` on Linux; Vulkan lets it use a real GPU where there is
 * one (without a GPU Chromium falls back to SwiftShader, a CPU implementation).
 */
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

/** A headless Chromium with the benchmark page open, served from 127.0.0.1 with cross-origin isolation. */
export interface BrowserBench {
  /**
   * Runs one job in the page; step lines reach `log` as the page prints them, and its phases and steps reach
   * `progress` as the page's job reports them (a step at most every few tenths of a second: the page's job worker
   * thins them out).
   */
  runJob(
    job: Omit<BrowserJob, 'modelUrl' | 'feeds'>,
    model: Uint8Array,
    feeds: Record<string, Tensor>,
    log: (line: string) => void,
    progress?: (p: JobProgress) => void,
  ): Promise<BrowserJobResult>;
  close(): Promise<void>;
}

/**
 * Starts the page server and a headless Chromium at `browserPath`, and opens the page. `tempDir` becomes Chromium's
 * TMPDIR: the folder it leaves behind when it is killed rather than closed (on Ctrl-C) then goes with that folder.
 */
export async function openBrowserBench(o: { browserPath?: string; tempDir?: string } = {}): Promise<BrowserBench> {
  let to: JobListener = NOBODY;
  const { browser, page, server } = await openBrowserPage({
    ...o,
    beforeLoad: async (page) => {
      await page.exposeFunction('alexnetReport', (line: string) => to.log(line));
      await page.exposeFunction('alexnetProgress', (p: JobProgress) => to.progress?.(p));
    },
  });
  return bench(browser, page, server, (l) => (to = l));
}

/** The benchmark page open in a headless Chromium, and the server it comes from. */
export interface BrowserPage {
  browser: Browser;
  page: Page;
  server: PageServer;
}

/**
 * Starts the page server and a headless Chromium at `browserPath`, and opens the page (`beforeLoad` runs before it
 * loads). `tempDir` becomes Chromium's TMPDIR (see `openBrowserBench`). `ownSignals`: Playwright leaves SIGINT and
 * SIGTERM to this program instead of closing the browser and ending the process on them, for a caller that still needs
 * the page after Ctrl-C; it must then end the process with `process.exit` (Playwright kills the browser on exit).
 */
export async function openBrowserPage(o: {
  browserPath?: string;
  tempDir?: string;
  ownSignals?: boolean;
  beforeLoad?: (page: Page) => Promise<void>;
}): Promise<BrowserPage> {
  const path = o.browserPath ?? DEFAULT_BROWSER;
  if (!existsSync(path)) {
    throw new EpUnavailableError(
      `no browser at ${path}: install Debian's chromium (apt-get install chromium) or give --browser PATH to a Chromium or Chrome`,
    );
  }
  const server = await startPageServer();
  let browser: Browser | undefined;
  try {
    const env = o.tempDir ? { env: { ...process.env, TMPDIR: o.tempDir } } : {};
    const signals = o.ownSignals ? { handleSIGINT: false, handleSIGTERM: false } : {};
    browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS, ...env, ...signals });
    const page = await browser.newPage();
    await o.beforeLoad?.(page);
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => 'alexnet' in window, undefined, { timeout: 30_000 });
    return { browser, page, server };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}

/** Where the page's bindings send a job's lines and progress. */
interface JobListener {
  log(line: string): void;
  progress?(p: JobProgress): void;
}

const NOBODY: JobListener = { log: () => {} };

function bench(browser: Browser, page: Page, server: PageServer, listen: (l: JobListener) => void): BrowserBench {
  return {
    async runJob(job, model, feeds, log, progress) {
      const feedSpecs = serveFeeds(server, feeds);
      const blobs = [server.addBlob(model), ...feedSpecs.map((f) => f.url)];
      listen({ log, progress });
      try {
        const full: BrowserJob = { ...job, modelUrl: blobs[0]!, feeds: feedSpecs };
        return await page.evaluate(
          (j) => (window as unknown as { alexnet: { runJob(j: BrowserJob): Promise<BrowserJobResult> } }).alexnet.runJob(j),
          full,
        );
      } catch (err) {
        // page.evaluate wraps the page's error in a long message with a call log; the first line is the page's own.
        const msg = ((err as Error).message ?? String(err)).replace(/^page\.evaluate: (Error: )?/, '').split('\n')[0]!;
        throw new Error(`in the browser page: ${msg}`);
      } finally {
        listen(NOBODY);
        blobs.forEach((b) => server.drop(b));
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
