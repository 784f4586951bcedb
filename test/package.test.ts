/**
 * The published package, used by name from another project: `npm pack`, then `npm install <tarball>` into a scratch
 * ESM project, then Node and tsc against `alexnet-onnx` as a user would. The repo's own tests import src/ by path, so
 * only this catches a broken exports map, a file left out of `files`, an undeclared dependency, a path that only
 * works inside the repo, or declarations that do not match the code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');

/**
 * `npm test` runs us under npm, which exports its own settings (and any flag it was given) as `npm_config_*`, and the
 * repo's as `npm_package_*`: the children get the environment a user's shell would have instead.
 */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const USE_MJS = `
import { buildForwardModel, buildTrainingModel, modelBytes, readModel, benchOptions, runBench, DEFAULT_OPTIONS, PACKAGE, FORMULATIONS } from 'alexnet-onnx';
const model = { ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 };
const parsed = readModel(modelBytes(buildForwardModel(model)));
const trainingBytes = modelBytes(buildTrainingModel(model)).length;
const lines = [];
const results = await runBench(benchOptions({ ep: 'cpu', modes: ['forward'], steps: 2, burnIn: 0, logEvery: 1, model: { batch: 1, imageSize: 67 } }), (l) => lines.push(l));
let internal = 'imported';
try { await import('alexnet-onnx/dist/cli/main.js'); } catch (e) { internal = e.code; }
console.log(JSON.stringify({ resolved: import.meta.resolve('alexnet-onnx'), name: PACKAGE.name, version: PACKAGE.version,
  outputs: parsed.graph.outputs.map((o) => o.name), kind: parsed.metadata['alexnet.kind'], trainingBytes,
  formulations: Object.keys(FORMULATIONS), results: results.map((r) => ({ mode: r.mode, mean_s: r.mean_s })), lines, internal }));
`;

/** Type-checks only if the declarations are right; the @ts-expect-error line fails the check if they are `any`. */
const USE_TS = `
import { buildTrainingModel, DEFAULT_OPTIONS, type AlexNetOptions, type BenchOptions, type ModeResult } from 'alexnet-onnx';
const options: AlexNetOptions = { ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 };
export const nodes: number = buildTrainingModel(options).graph.nodes.length;
export const meanMs = (r: ModeResult): number => r.mean_s * 1000;
export const totalSteps = (o: BenchOptions): number => o.burnIn + o.steps;
// @ts-expect-error 'fft' is no LRN formulation
export const wrong: AlexNetOptions = { ...options, lrnImpl: 'fft' };
`;

/**
 * skipLibCheck stays off so our own .d.ts files, and every declaration they reach, are checked too: the public API
 * must not name onnx-proto's types (they need protobufjs 6's global `Long`, which TypeScript >= 6 no longer loads).
 */
const TSCONFIG = `{ "files": ["use.ts"], "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022",
  "strict": true, "noEmit": true, "types": ["node"], "skipLibCheck": false } }`;

describe('the packed package, installed by name', () => {
  let scratch = '';
  let project = '';

  beforeAll(() => {
    if (!existsSync(join(REPO, 'dist', 'index.js'))) throw new Error('dist/index.js is missing: run `npm run build` (npm test does)');
    scratch = mkdtempSync(join(tmpdir(), 'alexnet-onnx-package-'));
    // --ignore-scripts: `prepare` would rebuild dist/, which `npm test` has just built.
    const tarball = (
      JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], REPO)) as { filename: string }[]
    )[0]!.filename;
    project = join(scratch, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    // npm's cache holds the locked tarballs (`npm ci`) but no registry metadata, so a plain `--offline` install cannot
    // resolve. Seeding the lockfile with the repo's production entries pins the versions we test with; npm still reads
    // the dependencies from the tarball's package.json and prunes every locked package it does not declare.
    const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const packages = Object.entries(lock.packages).filter(([path, p]) => path.startsWith('node_modules/') && !p.dev);
    const seeded = { lockfileVersion: 3, packages: Object.fromEntries([['', {}], ...packages]) };
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(seeded));
    const start = performance.now();
    // --ignore-scripts: onnxruntime-node's postinstall downloads from NuGet; its CPU provider ships in the npm package.
    run('npm', ['install', join('..', tarball), '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
    console.log(`npm install of ${tarball}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }, 240_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('builds, parses and benches through `import ... from "alexnet-onnx"`, and hides the internals', () => {
    writeFileSync(join(project, 'use.mjs'), USE_MJS);
    const out = JSON.parse(run('node', ['use.mjs'], project).trim().split('\n').pop()!);
    expect(fileURLToPath(out.resolved)).toBe(join(project, 'node_modules', 'alexnet-onnx', 'dist', 'index.js'));
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
    expect([out.name, out.version]).toEqual([pkg.name, pkg.version]);
    expect(out).toMatchObject({
      outputs: ['output'],
      kind: 'forward',
      results: [{ mode: 'forward' }],
      internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
    expect(out.formulations).toContain('lrnImpl');
    expect(out.trainingBytes).toBeGreaterThan(0);
    expect(out.results[0].mean_s).toBeGreaterThan(0);
    expect(out.lines.join('\n')).toMatch(/Forward across 2 steps/);
  }, 60_000);

  it('type-checks a TypeScript consumer against the published declarations', () => {
    writeFileSync(join(project, 'use.ts'), USE_TS);
    writeFileSync(join(project, 'tsconfig.json'), TSCONFIG);
    // tsc prints nothing when the check passes, its diagnostics (on stdout, with a non-zero exit) when it fails.
    const diagnostics = (): string => {
      try {
        return run(TSC, ['-p', 'tsconfig.json'], project);
      } catch (err) {
        return (err as { stdout?: string }).stdout || String(err);
      }
    };
    expect(diagnostics()).toBe('');
  }, 60_000);
});
