import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { benchOptions } from '../../src/bench/options.js';
import { parseModel } from '../../src/onnx/parse.js';
import { type BuildRequest, buildInWorker, JobStopped } from '../../src/serve/build.js';
import { tempDir } from '../helpers/cli.js';

const request = (imageSize: number): BuildRequest => ({
  options: benchOptions({ runtime: 'browser', ep: 'wasm', modes: ['forward'], model: { batch: 1, imageSize } }),
  mode: 'forward',
});

describe('buildInWorker: models built off the main thread', () => {
  it('returns the job, its facts and the model bytes', async () => {
    const built = await buildInWorker(request(67), new AbortController().signal);
    expect(built.info).toMatchObject({ mode: 'forward', batch: 1, formulation: 'LRN decomposed' });
    expect(built.job.fetches).toEqual(['output']);
    expect(parseModel(built.model).graph.outputs.map((o) => o.name)).toEqual(['output']);
  });

  it("passes the build's error on as one message", async () => {
    // an image size the API's checks would refuse, sent straight to the builder
    await expect(buildInWorker(request(20), new AbortController().signal)).rejects.toThrow(/pool/);
  });

  it('ends a build that is still running when the signal aborts (the worker is terminated, not waited for)', async () => {
    const dir = tempDir();
    const script = join(dir, 'hang.mjs');
    const started = join(dir, 'started');
    // says it started, then blocks its thread for good without using a core: only terminate() ends it
    writeFileSync(
      script,
      `import { existsSync, writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(started)}, '');\nAtomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n`,
    );
    const stop = new AbortController();
    const build = buildInWorker(request(67), stop.signal, pathToFileURL(script));
    await expect.poll(() => existsSync(started)).toBe(true);
    stop.abort();
    await expect(build).rejects.toBeInstanceOf(JobStopped);
  });
});
