import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, DEFAULT_BROWSER } from '../../src/runners/browser.js';
import type { PageServer } from '../../src/runners/page-server.js';
import { buildInWorker } from '../../src/serve/build.js';
import { serve } from '../../src/serve/serve.js';
import { STEP_LINE, SUMMARY_LINE } from '../helpers/bench.js';
import { checkChart, type Liveness, startLivenessProbe } from './page-probes.js';

/** Screenshots land here for people to look at (CI keeps the folder as an artifact). */
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');

const status = (page: Page): Promise<string> => page.locator('#status').innerText();
const logLines = async (page: Page): Promise<string[]> => (await page.locator('#log').innerText()).split('\n').filter(Boolean);

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Ready'));
}

async function setControls(page: Page, controls: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(controls)) {
    if (await page.locator(`select#${id}`).count()) await page.selectOption(`#${id}`, value);
    else await page.fill(`#${id}`, value);
  }
}

async function finished(page: Page): Promise<void> {
  await page.waitForFunction(() => ['Done.', 'Failed.'].includes(document.getElementById('status')!.textContent!), undefined, {
    timeout: 240_000,
  });
}

async function runFromControls(page: Page, controls: Record<string, string>, whileRunning?: () => Promise<void>): Promise<void> {
  // ready, or done with the run before
  await page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
  await setControls(page, controls);
  await page.click('#run');
  await whileRunning?.();
  await finished(page);
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

  it("starts from bench's defaults (both modes), runs both after a real click: step lines, statistics, a readable chart", async () => {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await ready(page);
    const defaults = await page.$$eval('#controls input, #controls select', (cs) =>
      Object.fromEntries(cs.map((c) => [c.id, (c as HTMLInputElement).value])),
    );
    expect(defaults).toEqual({
      ep: 'wasm',
      mode: 'both',
      batch: '32',
      imageSize: '224',
      lrn: 'tf-benchmark',
      head: 'none',
      steps: '100',
      burnIn: '10',
      logEvery: '10',
      threads: '0',
    });
    // the mode is left at its default
    await runFromControls(page, { batch: '1', imageSize: '67', steps: '12', burnIn: '1', logEvery: '4' });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-page.png'), fullPage: true });
    expect(await status(page)).toBe('Done.');
    expect(await page.locator('#notices').innerText()).toBe('');
    const log = await logLines(page);
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
    const chart = await checkChart(page);
    expect(chart.points).toEqual([12, 12]);
    expect(chart.legend).toEqual(['forward', 'forward-backward']);
    expect(chart.outside, 'text outside the chart (cut off)').toEqual([]);
    expect(chart.legendOverPlot, 'legend inside the plot area').toBe(false);
    // timed steps 0-11: round ticks that stay within them
    expect(chart.xTicks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(chart.yTicks.length).toBeGreaterThan(2);
    expect(chart.yLabelsOverTitle, 'y labels over the axis title').toBe(false);
    await page.close();
  });

  it('stays alive while a job runs: the page keeps drawing, step lines and the step counter arrive as the steps run', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await ready(page);
    await startLivenessProbe(page);
    await runFromControls(page, { mode: 'forward', batch: '4', imageSize: '224', steps: '8', burnIn: '1', logEvery: '1' });
    expect(await status(page)).toBe('Done.');
    const live = await page.evaluate(() => (window as unknown as { liveness: Liveness }).liveness);
    // a job on the page's own thread would leave no frame between its steps (one gap as long as the loop) and every
    // line would show at the end, in one frame
    expect(live.maxFrameGapMs, 'longest gap between animation frames').toBeLessThan(500);
    const stepLines = live.lines.filter((l) => STEP_LINE.test(l.text));
    const shown = stepLines.map((l) => l.t);
    expect(shown).toHaveLength(8);
    expect(new Set(shown).size, 'frames that showed new step lines').toBe(8);
    // the lines came as the steps ran: at least half the run of steps 1-7 (their own durations) lies between the
    // frames that showed the first and the last line, however fast this machine is
    const ranMs = stepLines.slice(1).reduce((ms, l) => ms + 1000 * Number(/duration = ([\d.]+)/.exec(l.text)![1]), 0);
    expect(ranMs).toBeGreaterThan(0);
    expect(shown[7]! - shown[0]!, 'ms between the frames showing the first and the last step line').toBeGreaterThan(ranMs / 2);
    const counter = live.progress.filter((p) => /^step \d+ \/ 9, forward/.test(p));
    // steps done: 0 while the first runs (the counter is told between steps, outside their timing)
    expect(counter[0]).toBe('step 0 / 9, forward (burn-in)');
    // the worker sends at most one count per 100 ms (and always the last), so which middle steps show depends on speed
    const done = counter.map((p) => Number(/^step (\d+)/.exec(p)![1]));
    expect(done, 'counts never go back').toEqual([...done].sort((a, b) => a - b));
    expect(
      done.some((n) => n > 0 && n < 9),
      `a count between the first and the last: ${counter.join('; ')}`,
    ).toBe(true);
    expect(counter.at(-1)).toBe('step 9 / 9, forward');
    // and the counter was drawn as it went
    expect(live.progressShown.filter((p) => /^step \d+ \/ 9, forward/.test(p)).length).toBeGreaterThanOrEqual(3);
    expect(live.progress.slice(0, 4)).toEqual([
      'forward: building the model on the server',
      'forward: loading the model',
      'forward: creating the session',
      'forward: first run',
    ]);
    await page.close();
  });

  it('stops a run at once with Stop, keeps the finished mode, and runs again afterwards', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await ready(page);
    await setControls(page, { mode: 'both', batch: '1', imageSize: '67', steps: '60', burnIn: '1', logEvery: '1' });
    await page.click('#run');
    await page.waitForFunction(() => /^step ([3-9]|\d\d+) \/ 61, forward-backward/.test(document.getElementById('progress')!.textContent!));
    const clicked = Date.now();
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Stopped'));
    expect(Date.now() - clicked).toBeLessThan(2000);
    expect(await status(page)).toMatch(/^Stopped forward-backward at step \d+ \/ 61; the results of forward are kept\.$/);
    const rows = await page.locator('#results tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t')[0])).toEqual(['mode', 'forward']);
    expect(await page.locator('#run').isEnabled()).toBe(true);
    expect(await page.locator('#stop').isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'serve-page-stopped.png'), fullPage: true });
    // the worker is gone: no line arrives after the stop
    const after = (await logLines(page)).length;
    await page.waitForTimeout(500);
    expect((await logLines(page)).length).toBe(after);
    expect((await logLines(page)).filter((l) => SUMMARY_LINE.test(l))).toHaveLength(1);
    await runFromControls(page, { mode: 'forward', steps: '2', logEvery: '1' });
    expect(await status(page)).toBe('Done.');
    expect((await logLines(page)).filter((l) => STEP_LINE.test(l))).toHaveLength(2);
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

  it("refuses on the page what bench refuses, with bench's line, before running any mode", async () => {
    const r = await fetch(`${server.origin}/api/check?imageSize=1`);
    expect(r.status).toBe(400);
    expect(await r.text()).toBe('--image-size 1 gives an empty pool5; the smallest allowed is 57');
    const page = await browser.newPage();
    await page.goto(`${server.origin}/`);
    await runFromControls(page, { imageSize: '1' });
    expect(await status(page)).toBe('Failed.');
    expect(await page.locator('#notices .error').innerText()).toBe('--image-size 1 gives an empty pool5; the smallest allowed is 57');
    expect(await page.locator('#log').innerText()).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'serve-page-refused.png'), fullPage: true });
    // the next run clears the old refusal
    await runFromControls(page, { imageSize: '67', batch: '1', mode: 'forward', steps: '1', burnIn: '0' });
    expect(await status(page)).toBe('Done.');
    expect(await page.locator('#notices').innerText()).toBe('');
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
      const other = fetch(`${busy.origin}/api/job?batch=1&imageSize=67&mode=forward`);
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

  it('sends the cross-origin isolation headers (the job worker too) and refuses paths outside its folders', async () => {
    const r = await fetch(`${server.origin}/`);
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await r.text()).toContain('<form id="controls">');
    expect((await fetch(`${server.origin}/ort/ort.wasm.min.mjs`)).status).toBe(200);
    expect((await fetch(`${server.origin}/app/web/page.js`)).status).toBe(200);
    const worker = await fetch(`${server.origin}/app/web/job-worker.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await fetch(`${server.origin}/app/%2e%2e/package.json`)).status).toBe(404);
  });
});
