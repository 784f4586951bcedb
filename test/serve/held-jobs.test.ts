import { describe, expect, it } from 'vitest';
import type { BlobHooks, PageServer } from '../../src/runners/page-server.js';
import type { BuiltJob } from '../../src/serve/build.js';
import { HeldJobs } from '../../src/serve/held-jobs.js';

/** A page server that only keeps the blobs' hooks, so a test can play the page's downloads. */
function fakeServer(): PageServer & { blobs: Map<string, BlobHooks> } {
  const blobs = new Map<string, BlobHooks>();
  let n = 0;
  return {
    origin: 'http://127.0.0.1:1',
    blobs,
    addBlob(_bytes, hooks) {
      const url = `/blob/${++n}`;
      blobs.set(url, hooks ?? {});
      return url;
    },
    drop: (url) => void blobs.delete(url),
    close: async () => {},
  };
}

const built = (modelBytes: number): BuiltJob => ({
  job: { ep: 'wasm', threads: 0, graphOpt: 'all', fetches: [], label: 'Forward', burnIn: 0, steps: 1, logEvery: 1 },
  info: { mode: 'forward', batch: 1, flopsPerBatch: null, formulation: '' },
  model: new Uint8Array(modelBytes),
  feeds: [{ name: 'images', type: 'float32', dims: [1], bytes: new Uint8Array(4) }],
});

describe('HeldJobs: the blobs of built jobs', () => {
  it('drops each blob once its page has downloaded it in full, and keeps one whose download broke off', () => {
    const server = fakeServer();
    const held = new HeldJobs(() => server);
    const { modelUrl, feeds } = held.add(built(8));
    const model = server.blobs.get(modelUrl)!;
    model.onStart!();
    model.onEnd!(false);
    expect(server.blobs.has(modelUrl)).toBe(true);
    model.onStart!();
    model.onEnd!(true);
    expect(server.blobs.has(modelUrl)).toBe(false);
    expect(held.count).toBe(1);
    server.blobs.get(feeds[0]!.url)!.onStart!();
    server.blobs.get(feeds[0]!.url)!.onEnd!(true);
    expect(held.count).toBe(0);
  });

  it('bounds the jobs waiting for their pages: the oldest one no page is downloading goes, never one being downloaded', () => {
    const server = fakeServer();
    const held = new HeldJobs(() => server, { jobs: 3, bytes: 1000 });
    const jobs = [held.add(built(8)), held.add(built(8))];
    server.blobs.get(jobs[0]!.modelUrl)!.onStart!(); // job 0's page is downloading
    jobs.push(held.add(built(8)));
    expect(held.makeRoom()).toBe(true);
    expect(server.blobs.has(jobs[0]!.modelUrl)).toBe(true);
    expect(server.blobs.has(jobs[1]!.modelUrl)).toBe(false);
    expect(server.blobs.has(jobs[1]!.feeds[0]!.url)).toBe(false);
    expect(held.count).toBe(2);
    jobs.push(held.add(built(8)));
    server.blobs.get(jobs[2]!.modelUrl)!.onStart!();
    server.blobs.get(jobs[3]!.modelUrl)!.onStart!();
    // every held job is being downloaded: no room, nothing dropped
    expect(held.makeRoom()).toBe(false);
    expect(held.count).toBe(3);
  });

  it('bounds the bytes held: one large waiting job makes room for the next by going, if idle', () => {
    const server = fakeServer();
    const held = new HeldJobs(() => server, { jobs: 4, bytes: 1000 });
    const big = held.add(built(2000));
    server.blobs.get(big.modelUrl)!.onStart!();
    expect(held.makeRoom()).toBe(false);
    server.blobs.get(big.modelUrl)!.onEnd!(false);
    expect(held.makeRoom()).toBe(true);
    expect(server.blobs.has(big.modelUrl)).toBe(false);
    expect(held.count).toBe(0);
  });

  it('clear() drops everything', () => {
    const server = fakeServer();
    const held = new HeldJobs(() => server);
    held.add(built(8));
    held.add(built(8));
    held.clear();
    expect(server.blobs.size).toBe(0);
    expect(held.count).toBe(0);
  });
});
