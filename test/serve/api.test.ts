import { type IncomingHttpHeaders, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobResponse } from '../../src/runners/page-protocol.js';
import type { PageServer } from '../../src/runners/page-server.js';
import { type BuildJob, type BuiltJob, JobStopped } from '../../src/serve/build.js';
import { serve } from '../../src/serve/serve.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET (or `method`) to the server on 127.0.0.1 with exactly these headers (`host: null`: no Host header at all). */
function get(server: PageServer, path: string, headers: Record<string, string | null> = {}, method = 'GET'): Promise<Reply> {
  const { port } = new URL(server.origin);
  const { host, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method,
        host: '127.0.0.1',
        port,
        path,
        headers: { ...rest, ...(host ? { host } : {}) } as Record<string, string>,
        setHost: host !== null,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const text = (r: Reply): string => r.body.toString('utf8');

/** A built job of a few bytes, told apart by `tag`. */
function fakeBuilt(tag: number, size = 16): BuiltJob {
  return {
    job: { ep: 'wasm', threads: 0, graphOpt: 'all', fetches: ['output'], label: 'Forward', burnIn: 0, steps: 1, logEvery: 1 },
    info: { mode: 'forward', batch: 1, flopsPerBatch: 1, formulation: 'LRN decomposed' },
    model: new Uint8Array(size).fill(tag),
    feeds: [{ name: 'images', type: 'float32', dims: [1], bytes: new Uint8Array(4).fill(tag) }],
  };
}

/** A build that waits for the test: `release(n)` finishes the n-th build (from 1). */
function gatedBuild(): { build: BuildJob; started: number[]; release(n: number): void; signals: AbortSignal[] } {
  const gates: (() => void)[] = [];
  const started: number[] = [];
  const signals: AbortSignal[] = [];
  const build: BuildJob = (_request, signal) =>
    new Promise<BuiltJob>((resolve, reject) => {
      const n = started.length + 1;
      started.push(n);
      signals.push(signal);
      gates[n] = () => resolve(fakeBuilt(n));
      signal.addEventListener('abort', () => reject(new JobStopped()));
    });
  return { build, started, signals, release: (n) => gates[n]!() };
}

let server: PageServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const job = async (path = '/api/job?mode=forward&batch=1&imageSize=67'): Promise<JobResponse> =>
  JSON.parse(text(await get(server!, path))) as JobResponse;

describe('serve: who may use the server', () => {
  it('refuses a Host that is not its own (DNS rebinding) with 403 and one line, and takes its loopback names', async () => {
    server = await serve({ port: 0 });
    const { port } = new URL(server.origin);
    const evil = await get(server, '/', { host: `rebind.example:${port}` });
    expect(evil.status).toBe(403);
    expect(text(evil)).toBe(`refused: Host rebind.example:${port} is not this server (open http://127.0.0.1:${port}/)`);
    expect((await get(server, '/', { host: '127.0.0.1:1' })).status).toBe(403);
    // no Host at all: Node's HTTP parser refuses an HTTP/1.1 request without one before we see it
    expect((await get(server, '/', { host: null })).status).toBe(400);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`])
      expect((await get(server, '/', { host })).status, host).toBe(200);
  });

  it("refuses another page's Origin, and cross-site requests for the API and blobs, but not its own page", async () => {
    const gate = gatedBuild();
    server = await serve({ port: 0, build: gate.build });
    const foreign = await get(server, '/api/job', { origin: 'http://attacker.example' });
    expect(foreign.status).toBe(403);
    expect(text(foreign)).toBe('refused: a page from http://attacker.example may not use this server');
    expect((await get(server, '/', { origin: 'null' })).status).toBe(403);
    const img = await get(server, '/api/job', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' });
    expect(img.status).toBe(403);
    expect(text(img)).toBe('refused: a cross-site request may not use /api/job');
    expect((await get(server, '/api/job', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(403);
    expect((await get(server, '/blob/x', { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' })).status).toBe(403);
    expect(gate.started).toEqual([]);
    // a link from another site to the page itself is fine; the page's own requests are same-origin
    expect((await get(server, '/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(200);
    expect((await get(server, '/app/web/page.js', { origin: server.origin, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('answers a malformed URL with 400, not 500', async () => {
    server = await serve({ port: 0 });
    for (const path of ['/%ZZ', '/app/%E0%A4%A', '/api/job%ZZ']) {
      const r = await get(server, path);
      expect(r.status, path).toBe(400);
      expect(text(r)).toBe(`malformed URL: ${JSON.stringify(path)}`);
    }
  });
});

describe('serve: jobs', () => {
  it('builds one job at a time: another request meanwhile gets 503 with Retry-After, and the server keeps answering', async () => {
    const gate = gatedBuild();
    server = await serve({ port: 0, build: gate.build });
    const first = get(server, '/api/job?mode=forward-backward&batch=2&imageSize=67');
    await expect.poll(() => gate.started).toEqual([1]);
    const second = await get(server, '/api/job?mode=forward&batch=1');
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('2');
    expect(text(second)).toBe(
      'the server builds one job at a time and is building job 1 (forward-backward, batch 2, image size 67, wasm): try again in 2 s',
    );
    expect((await get(server, '/')).status).toBe(200);
    gate.release(1);
    expect((await first).status).toBe(200);
    expect(gate.started).toEqual([1]);
  });

  it('keeps each job its own blobs until its page has downloaded them: a newer job does not take them', async () => {
    const gate = gatedBuild();
    server = await serve({ port: 0, build: gate.build });
    const first = job();
    await expect.poll(() => gate.started).toEqual([1]);
    gate.release(1);
    const a = await first;
    const second = job();
    await expect.poll(() => gate.started).toEqual([1, 2]);
    gate.release(2);
    const b = await second;
    const modelA = await get(server, a.job.modelUrl);
    expect(modelA.status).toBe(200);
    expect([...modelA.body]).toEqual(new Array(16).fill(1));
    expect([...(await get(server, a.job.feeds[0]!.url)).body]).toEqual([1, 1, 1, 1]);
    expect([...(await get(server, b.job.modelUrl)).body]).toEqual(new Array(16).fill(2));
    // downloaded once in full: gone (the server may see the download end just after the client did; HEAD downloads nothing)
    await expect.poll(async () => (await get(server!, a.job.modelUrl, {}, 'HEAD')).status).toBe(404);
    expect(text(await get(server, a.job.modelUrl))).toMatch(
      /^no blob \/blob\/[\w-]+: its job is over or was dropped; ask for the job again$/,
    );
  });

  it('keeps a blob whose download broke off, so the page can fetch it again', async () => {
    const size = 64 << 20; // far more than the sockets buffer: the server cannot finish while the client holds back
    server = await serve({ port: 0, build: async () => fakeBuilt(7, size) });
    const { job: j } = await job();
    const { port } = new URL(server.origin);
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: j.modelUrl }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
    const whole = await get(server, j.modelUrl);
    expect(whole.status).toBe(200);
    expect(whole.body.byteLength).toBe(size);
    await expect.poll(async () => (await get(server!, j.modelUrl, {}, 'HEAD')).status).toBe(404);
  });

  it('stops a build in progress when the server closes', async () => {
    const gate = gatedBuild();
    server = await serve({ port: 0, build: gate.build });
    const pending = get(server, '/api/job?mode=forward').catch(() => undefined);
    await expect.poll(() => gate.started).toEqual([1]);
    await server.close();
    server = undefined;
    expect(gate.signals[0]!.aborted).toBe(true);
    await pending;
  });

  it("answers the controls (bench's defaults) and checks a whole run as bench would, building nothing", async () => {
    const gate = gatedBuild();
    server = await serve({ port: 0, build: gate.build });
    const controls = await get(server, '/api/controls');
    expect(controls.status).toBe(200);
    expect(JSON.parse(text(controls)).defaults).toMatchObject({ mode: 'both', batch: '32', imageSize: '224' });
    const ok = await get(server, '/api/check?batch=1&imageSize=67');
    expect(ok.status).toBe(200);
    expect(JSON.parse(text(ok))).toEqual({ modes: ['forward', 'forward-backward'] });
    const refused = await get(server, '/api/check?imageSize=1&mode=forward');
    expect(refused.status).toBe(400);
    expect(text(refused)).toBe('--image-size 1 gives an empty pool5; the smallest allowed is 57');
    const both = await get(server, '/api/job?batch=1&imageSize=67');
    expect(both.status).toBe(400);
    expect(text(both)).toBe('a job times one mode: mode must be one of forward, forward-backward');
    expect(gate.started).toEqual([]);
  });

  it('builds a real job in the worker thread: the page gets the model and feeds it needs', async () => {
    server = await serve({ port: 0 });
    const r = await job('/api/job?mode=forward-backward&batch=1&imageSize=67');
    expect(r.info).toMatchObject({ mode: 'forward-backward', batch: 1 });
    expect(r.job.fetches).toHaveLength(10);
    const model = await get(server, r.job.modelUrl);
    expect(model.status).toBe(200);
    expect(model.body.byteLength).toBeGreaterThan(1e6);
    for (const f of r.job.feeds) {
      const bytes = await get(server, f.url);
      expect(bytes.body.byteLength, f.name).toBe(f.dims.reduce((a, b) => a * b, 1) * (f.type === 'int64' ? 8 : 4));
    }
  });
});
