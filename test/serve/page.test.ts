import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, DEFAULT_BROWSER } from '../../src/runners/browser.js';
import type { PageServer } from '../../src/runners/page-server.js';
import { buildInWorker } from '../../src/serve/build.js';
import { serve } from '../../src/serve/serve.js';
import { STEP_LINE, SUMMARY_LINE } from '../helpers/bench.js';

/** Screenshots land here for people to look at (CI keeps the folder as an artifact). */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

const status = (page: Page): Promise<string> => page.locator('#status').innerText();

async function runFromControls(page: Page, controls: Record<string, string>, whileRunning?: () => Promise<void>): Promise<void> {
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Ready'));
  for (const [id, value] of Object.entries(controls)) {
    if (await page.locator(`select#${id}`).count()) await page.selectOption(`#${id}`, value);
    else await page.fill(`#${id}`, value);
  }
  await page.click('#run');
  await whileRunning?.();
  await page.waitForFunction(() => ['Done.', 'Failed.'].includes(document.getElementById('status')!.textContent!), undefined, {
    timeout: 240_000,
  });
}

describe('alexnet-onnx serve: the page in a real browser', () => {
  let server: PageServer;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serve({ port: 0 });
    browser = await chromium.launch({ executablePath: DEFAULT_BROWSER, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs both modes from the controls after a real click: step lines, statistics, chart; screenshot in test-artifacts/', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await runFromControls(page, { mode: 'both', batch: '1', imageSize: '67', steps: '6', burnIn: '1', logEvery: '2' });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-page.png'), fullPage: true });
    expect(await status(page)).toBe('Done.');
    expect(await page.locator('#notices').innerText()).toBe('');
    const log = (await page.locator('#log').innerText()).split('\n').filter(Boolean);
    expect(log.filter((l) => STEP_LINE.test(l))).toHaveLength(6);
    expect(log.filter((l) => SUMMARY_LINE.test(l))).toHaveLength(2);
    expect(log.filter((l) => l === 'all nodes ran on wasm')).toHaveLength(2);
    const rows = await page.locator('#results tr').allInnerTexts();
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^forward\t\d+\.\d\d/);
    expect(rows[2]).toMatch(/^forward-backward\t\d+\.\d\d/);
    expect(await page.locator('#results p').innerText()).toMatch(
      /ONNX Runtime 1\.29\.0 \(onnxruntime-web\), EP wasm, device: .*WebAssembly SIMD, \d+ threads?\)/,
    );
    const points = await page
      .locator('#chart svg polyline')
      .evaluateAll((ls) => ls.map((l) => l.getAttribute('points')!.split(' ').length));
    expect(points).toEqual([6, 6]);
    await page.close();
  });

  it('says on the page when it is not cross-origin isolated and the browser has no WebGPU, and still runs on one thread', async () => {
    const plain = await chromium.launch({ executablePath: DEFAULT_BROWSER });
    try {
      const page = await plain.newPage();
      // The page as a proxy that drops the isolation headers would deliver it.
      await page.route('**/*', async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers['cross-origin-opener-policy'];
        delete headers['cross-origin-embedder-policy'];
        await route.fulfill({ response, headers });
      });
      await page.goto(`${server.origin}/`);
      await runFromControls(page, { mode: 'forward', batch: '1', imageSize: '67', steps: '2', burnIn: '0', logEvery: '1' });
      await page.screenshot({ path: join(ARTIFACTS, 'serve-page-no-isolation-no-webgpu.png'), fullPage: true });
      const notices = await page.locator('#notices').innerText();
      expect(notices).toContain('not cross-origin isolated');
      expect(notices).toContain('WebGPU is not available');
      expect(await page.locator('#ep option[value=webgpu]').isDisabled()).toBe(true);
      expect(await status(page)).toBe('Done.');
      expect(await page.locator('#results p').innerText()).toContain('WebAssembly SIMD, 1 thread, not cross-origin isolated');
    } finally {
      await plain.close();
    }
  });

  it('shows a bad control value as an error on the page, and the API answers 400 with the reason', async () => {
    const r = await fetch(`${server.origin}/api/job?batch=0`);
    expect(r.status).toBe(400);
    expect(await r.text()).toBe('batch must be an integer in [1, 512], got 0');
    const small = await fetch(`${server.origin}/api/job?imageSize=20`);
    expect(await small.text()).toMatch(/^image-size 20 gives an empty pool5; the smallest allowed is \d+$/);
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await runFromControls(page, { imageSize: '20' });
    expect(await status(page)).toBe('Failed.');
    expect(await page.locator('#notices .error').innerText()).toContain('gives an empty pool5');
    await page.close();
  });

  it('waits on the page while the server builds another job, then runs (the busy answer is asked again)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let builds = 0;
    const busy = await serve({
      port: 0,
      build: async (request, signal) => {
        if (++builds === 1) await gate;
        return buildInWorker(request, signal);
      },
    });
    try {
      const other = fetch(`${busy.origin}/api/job?batch=1&imageSize=67`);
      await expect.poll(() => builds).toBe(1);
      const page = await browser.newPage();
      await page.goto(`${busy.origin}/`);
      await runFromControls(page, { mode: 'forward', batch: '1', imageSize: '67', steps: '2', burnIn: '0', logEvery: '1' }, async () => {
        await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Waiting: the server builds one job'));
        release();
        expect((await other).status).toBe(200);
      });
      expect(await status(page)).toBe('Done.');
      expect(builds).toBeGreaterThanOrEqual(2);
      await page.close();
    } finally {
      await busy.close();
    }
  });

  it('sends the cross-origin isolation headers and refuses paths outside its folders', async () => {
    const r = await fetch(`${server.origin}/`);
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await r.text()).toContain('<form id="controls">');
    expect((await fetch(`${server.origin}/ort/ort.wasm.min.mjs`)).status).toBe(200);
    expect((await fetch(`${server.origin}/app/web/page.js`)).status).toBe(200);
    expect((await fetch(`${server.origin}/app/%2e%2e/package.json`)).status).toBe(404);
  });
});
