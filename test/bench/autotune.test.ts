import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autotune, autotuneProblem, cacheKey, candidatesOf, codeFingerprint, fastest, tunedKeys } from '../../src/bench/autotune.js';
import { defaultCacheFile, readCache } from '../../src/bench/autotune-cache.js';
import type { Candidate, MeasureChoice, Measured } from '../../src/bench/autotune-measure.js';
import { type BenchRequest, benchOptions, unsupported } from '../../src/bench/options.js';
import type { BenchOptions } from '../../src/bench/types.js';
import { FORMULATION_KEYS, FORMULATIONS, type FormulationKey, formulationFor } from '../../src/model/formulation.js';
import { formulationOfOptions } from '../../src/model/training.js';
import { ortNodeVersion } from '../../src/runners/packages.js';
import { cli, tempDir } from '../helpers/cli.js';

/** A run where every formulation applies: the FC head with dropout, both modes. */
const ALL: BenchRequest = { model: { batch: 4, imageSize: 67, head: 'fc', classes: 10, dropout: 0.5 } };

/** A fake timer: each candidate's time from `ms` (default 10 ms), and a record of every formulation it was asked to time. */
function fakeTimer(ms: (key: FormulationKey, choice: string) => Measured = () => ({ ms: 10, fallback: 0 })) {
  const asked: { key: FormulationKey; candidates: Candidate[] }[] = [];
  const measure: MeasureChoice = async (key, candidates) => {
    asked.push({ key, candidates });
    return candidates.map((c) => ms(key, c.choice));
  };
  return { measure, asked };
}

async function tune(o: BenchOptions, settings: { mode?: 'on' | 'off' | 'force'; cacheFile: string; measure: MeasureChoice }) {
  const lines: string[] = [];
  const tuned = await autotune(o, {
    mode: settings.mode ?? 'on',
    cacheFile: settings.cacheFile,
    measure: settings.measure,
    log: (l) => lines.push(l),
  });
  return { tuned, lines };
}

const choiceOf = (o: BenchOptions, k: FormulationKey): string => formulationOfOptions(o.model, o.training)[k];

describe('autotune with a fake timer', () => {
  it("tunes every formulation of the table, with the table's choices as candidates, and the fastest wins", async () => {
    const o = benchOptions(ALL);
    expect(tunedKeys(o)).toEqual(FORMULATION_KEYS);
    // the fastest is always a choice other than the table's, so a winner that stayed put would show
    const winner = (k: FormulationKey) => FORMULATIONS[k].choices.find((c) => c !== FORMULATIONS[k].auto.cpu)!;
    const timer = fakeTimer((k, c) => ({ ms: c === winner(k) ? 5 : 20, fallback: 0 }));
    const { tuned, lines } = await tune(o, { cacheFile: join(tempDir(), 'a.json'), measure: timer.measure });
    expect(timer.asked.map((a) => a.key)).toEqual(FORMULATION_KEYS);
    for (const { key, candidates } of timer.asked) {
      expect(candidates.map((c) => c.choice).sort()).toEqual([...FORMULATIONS[key].choices].sort());
      expect(candidates[0]!.choice).toBe(FORMULATIONS[key].auto.cpu);
      expect(choiceOf(tuned, key)).toBe(winner(key));
      expect(tuned.formulationSource![key]).toBe('autotune');
      expect(lines).toContain(
        `autotune: ${FORMULATIONS[key].option} ${winner(key)} 5.00 ms, ${candidates
          .map((c) => c.choice)
          .filter((c) => c !== winner(key))
          .map((c) => `${c} 20.0 ms`)
          .join(', ')} -> ${winner(key)}`,
      );
    }
  });

  it('times each formulation with the choices already made', async () => {
    const o = benchOptions(ALL);
    const timer = fakeTimer((_, c) => ({ ms: c === 'op' ? 1 : 9, fallback: 0 }));
    await tune(o, { cacheFile: join(tempDir(), 'a.json'), measure: timer.measure });
    const later = timer.asked.find((a) => a.key === 'maxpoolGrad')!;
    for (const c of later.candidates) expect(c.options.model.lrnImpl).toBe('op');
  });

  it('keeps a choice given explicitly, and times nothing for it', async () => {
    const o = benchOptions({ ...ALL, formulation: { lrnImpl: 'op', convDataGrad: 'convtranspose' } });
    const timer = fakeTimer();
    const { tuned } = await tune(o, { cacheFile: join(tempDir(), 'a.json'), measure: timer.measure });
    expect(timer.asked.map((a) => a.key)).toEqual(FORMULATION_KEYS.filter((k) => k !== 'lrnImpl' && k !== 'convDataGrad'));
    expect(choiceOf(tuned, 'lrnImpl')).toBe('op');
    expect(choiceOf(tuned, 'convDataGrad')).toBe('convtranspose');
    expect(tuned.formulationSource).toMatchObject({ lrnImpl: 'user', convDataGrad: 'user', maxpoolGrad: 'autotune' });
  });

  it('tunes only what the run uses: no backward choice in forward mode, no dropout choice without dropout, no LRN choice without LRN', () => {
    expect(tunedKeys(benchOptions({ ...ALL, modes: ['forward'] }))).toEqual(['lrnImpl', 'dropoutImpl']);
    expect(tunedKeys(benchOptions({ model: { lrn: 'none' } }))).toEqual(
      FORMULATION_KEYS.filter((k) => FORMULATIONS[k].part === 'backward'),
    );
    expect(tunedKeys(benchOptions({ formulation: formulationFor('cpu') }))).toEqual([]);
  });

  it('offers only what the EP can run (unsupported): no MaxPool Indices on webgpu, no training Dropout op on onnxruntime-web', () => {
    const web = benchOptions({ ...ALL, runtime: 'web', ep: 'webgpu' });
    const node = benchOptions({ ...ALL, runtime: 'node', ep: 'webgpu' });
    expect(candidatesOf(web, 'dropoutImpl')).toEqual(['decomposed']);
    expect(candidatesOf(node, 'dropoutImpl')).toContain('op');
    expect(candidatesOf(web, 'maxpoolGrad')).not.toContain('scatter');
    // these end onnxruntime-node's WebGPU EP in a segmentation fault, which no slice shows
    expect(candidatesOf(node, 'maxpoolGrad')).not.toContain('match');
    expect(candidatesOf(node, 'convWeightGrad')).toEqual(['conv']);
    expect(candidatesOf(web, 'convWeightGrad')).toContain('matmul');
    expect(tunedKeys(node)).toContain('convWeightGrad');
    // the formulation table's cannotRun, as bench refuses a choice given on the command line
    expect(unsupported(benchOptions({ ep: 'webgpu', formulation: { convWeightGrad: 'matmul' } }))).toMatch(
      /^--conv-weight-grad matmul cannot run on webgpu: it crashes onnxruntime-node's WebGPU EP .*; use conv \(or auto\)$/,
    );
    expect(unsupported(benchOptions({ ep: 'webgpu', modes: ['forward'], formulation: { convWeightGrad: 'matmul' } }))).toBeUndefined();
  });

  it('prefers a candidate that keeps every node on the EP, and passes over one that failed', () => {
    expect(fastest(['a', 'b', 'c'], [{ ms: 9, fallback: 0 }, { ms: 1, fallback: 2 }, { failed: 'no kernel' }])).toBe('a');
    expect(
      fastest(
        ['a', 'b'],
        [
          { ms: 9, fallback: 0 },
          { ms: 8, fallback: 0 },
        ],
      ),
    ).toBe('b');
    expect(
      fastest(
        ['a', 'b'],
        [
          { ms: 8, fallback: 0 },
          { ms: 8, fallback: 0 },
        ],
      ),
    ).toBe('a');
    expect(fastest(['a', 'b'], [{ failed: 'x' }, { failed: 'y' }])).toBe('a');
  });

  it('says which candidates failed and which put nodes off the EP', async () => {
    const o = benchOptions({ formulation: { maxpoolGrad: 'scatter', convWeightGrad: 'conv', convDataGrad: 'conv' } });
    const offered = candidatesOf(o, 'lrnImpl');
    const [first, last] = [offered[0]!, offered.at(-1)!];
    const timer = fakeTimer((_, c) =>
      c === first ? { ms: 3, fallback: 1 } : c === last ? { failed: 'no kernel' } : { ms: 4, fallback: 0 },
    );
    const { tuned, lines } = await tune(o, { cacheFile: join(tempDir(), 'a.json'), measure: timer.measure });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${first} 3.00 ms (1 node not on cpu)`);
    expect(lines[0]).toMatch(new RegExp(`, ${last} failed \\(no kernel\\) -> \\w+$`));
    // with a third candidate, the one that stayed on the EP wins; else the only one that ran
    expect(choiceOf(tuned, 'lrnImpl')).toBe(offered.length > 2 ? offered[1] : first);
  });
});

describe('the autotune cache', () => {
  it('is read on the next run, which times nothing, and missed when a key field changes', async () => {
    const file = join(tempDir(), 'sub', 'autotune.json');
    const first = fakeTimer((_, c) => ({ ms: c === 'conv' ? 1 : 2, fallback: 0 }));
    const a = await tune(benchOptions(ALL), { cacheFile: file, measure: first.measure });
    const second = fakeTimer();
    const b = await tune(benchOptions(ALL), { cacheFile: file, measure: second.measure });
    expect(second.asked).toEqual([]);
    expect(b.lines).toEqual([`autotune: cached (${file})`]);
    expect(formulationOfOptions(b.tuned.model, b.tuned.training)).toEqual(formulationOfOptions(a.tuned.model, a.tuned.training));
    for (const k of FORMULATION_KEYS) expect(b.tuned.formulationSource![k]).toBe('cache');
    const changed = fakeTimer();
    await tune(benchOptions({ ...ALL, model: { ...ALL.model, batch: 8 } }), { cacheFile: file, measure: changed.measure });
    expect(changed.asked.length).toBe(FORMULATION_KEYS.length);
    // both measurements are kept
    expect(readCache(file).entries).toHaveLength(2);
  });

  it('has a key that changes with every setting the choice depends on, and names this machine and ONNX Runtime', () => {
    const base = benchOptions(ALL);
    const key = (o: BenchOptions) => JSON.stringify(cacheKey(o, { lrnImpl: candidatesOf(o, 'lrnImpl') }));
    const k = cacheKey(base, {});
    expect(k).toMatchObject({
      cpu: cpus()[0]!.model.trim(),
      cpu_cores: cpus().length,
      ort_version: ortNodeVersion(),
      runtime: 'node',
      ep: 'cpu',
    });
    expect(k).toHaveProperty('gpu');
    expect(k).toHaveProperty('tool_version');
    expect(k.graph_code).toMatch(/^[0-9a-f]{16}$/);
    const changes: BenchRequest[] = [
      { runtime: 'web' },
      { ep: 'webgpu' },
      { threads: 1 },
      { graphOpt: 'basic' },
      { input: 'host' },
      { modes: ['forward'] },
      { model: { ...ALL.model, batch: 5 } },
      { model: { ...ALL.model, imageSize: 99 } },
      { model: { ...ALL.model, lrn: 'paper' } },
      { model: { ...ALL.model, classes: 11 } },
      { model: { ...ALL.model, dropout: 0.25 } },
      { model: { ...ALL.model, head: 'none', dropout: 0 } },
      { training: { wrt: 'all' } },
      { formulation: { convDataGrad: 'convtranspose' } },
    ];
    for (const change of changes) expect(key(benchOptions({ ...ALL, ...change })), JSON.stringify(change)).not.toBe(key(base));
  });

  it("is keyed by a fingerprint of the graph-writing code, which changes with any of its files' names or contents", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'lrn.js'), 'export const a = 1;');
    writeFileSync(join(dir, 'notes.md'), 'not code');
    const before = codeFingerprint([dir]);
    writeFileSync(join(dir, 'notes.md'), 'still not code');
    expect(codeFingerprint([dir])).toBe(before);
    writeFileSync(join(dir, 'lrn.js'), 'export const a = 2;');
    const edited = codeFingerprint([dir]);
    expect(edited).not.toBe(before);
    writeFileSync(join(dir, 'pool-grad.js'), '');
    expect(codeFingerprint([dir])).not.toBe(edited);
  });

  it('lives in $XDG_CACHE_HOME/alexnet-onnx, else ~/.cache/alexnet-onnx (a relative XDG_CACHE_HOME is ignored)', () => {
    expect(defaultCacheFile({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/alexnet-onnx/autotune.json');
    expect(defaultCacheFile({})).toMatch(/\/\.cache\/alexnet-onnx\/autotune\.json$/);
    expect(defaultCacheFile({ XDG_CACHE_HOME: 'rel' })).toBe(defaultCacheFile({}));
  });

  it('is measured over, with a warning, when corrupt, and replaced', async () => {
    const file = join(tempDir(), 'autotune.json');
    writeFileSync(file, '{"version": 1, "entries": [');
    const timer = fakeTimer();
    const { lines } = await tune(benchOptions(ALL), { cacheFile: file, measure: timer.measure });
    expect(lines[0]).toMatch(new RegExp(`^warning: autotune cache ${file} cannot be used \\(.*\\): measuring, then replacing it$`));
    expect(timer.asked.length).toBe(FORMULATION_KEYS.length);
    const cache = readCache(file);
    expect(cache.problem).toBeUndefined();
    expect(cache.entries).toHaveLength(1);
  });

  it('never stops the run when it cannot be read or written', async () => {
    const dir = join(tempDir(), 'is-a-directory');
    mkdirSync(dir);
    const timer = fakeTimer();
    const { tuned, lines } = await tune(benchOptions(ALL), { cacheFile: dir, measure: timer.measure });
    expect(lines[0]).toMatch(/^warning: autotune cache .* cannot be used/);
    expect(lines.at(-1)).toMatch(/^warning: autotune cache .* not written: /);
    expect(tuned.formulationSource!.lrnImpl).toBe('autotune');
  });

  it('is neither read nor written with off; force measures again and replaces the entry', async () => {
    const file = join(tempDir(), 'autotune.json');
    const o = benchOptions(ALL);
    const off = fakeTimer();
    const r = await tune(o, { mode: 'off', cacheFile: file, measure: off.measure });
    expect(r.tuned).toBe(o);
    expect(off.asked).toEqual([]);
    expect(r.lines).toEqual([]);
    await tune(o, { cacheFile: file, measure: fakeTimer((_, c) => ({ ms: c === 'op' ? 1 : 2, fallback: 0 })).measure });
    const force = fakeTimer((_, c) => ({ ms: c === 'op' ? 2 : 1, fallback: 0 }));
    const f = await tune(o, { mode: 'force', cacheFile: file, measure: force.measure });
    expect(force.asked.length).toBe(FORMULATION_KEYS.length);
    expect(choiceOf(f.tuned, 'lrnImpl')).not.toBe('op');
    const entries = readCache(file).entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.choices.lrnImpl!.choice).toBe(choiceOf(f.tuned, 'lrnImpl'));
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });
});

describe('where autotune does not run', () => {
  it('leaves a --model file and the browser to their own choices', async () => {
    const timer = fakeTimer();
    const browser = await tune(benchOptions({ runtime: 'browser' }), { cacheFile: join(tempDir(), 'a.json'), measure: timer.measure });
    expect(browser.lines).toEqual([
      "autotune: not on --runtime browser (it times candidates in this process): the formulation table's choices",
    ]);
    expect(browser.tuned.formulationSource!.lrnImpl).toBe('table');
    const file = { path: 'm.onnx', bytes: new Uint8Array(), metadata: {}, images: [] };
    expect(tunedKeys({ ...benchOptions(), modelFile: file })).toEqual([]);
    expect(timer.asked).toEqual([]);
  });

  it('refuses autotune options that the run would not use, but never --autotune off', () => {
    expect(autotuneProblem({ mode: 'force', model: 'm.onnx', runtime: 'node' })).toBe(
      '--autotune force chooses how bench writes its graphs, but --model m.onnx is written already',
    );
    expect(autotuneProblem({ cacheFile: 'c.json', runtime: 'browser' })).toMatch(
      /^--autotune-cache: autotune times its candidates in this process/,
    );
    expect(autotuneProblem({ mode: 'off', cacheFile: 'c.json', runtime: 'node' })).toMatch(/^--autotune-cache is where autotune keeps/);
    expect(autotuneProblem({ mode: 'off', model: 'm.onnx', runtime: 'browser' })).toBeUndefined();
    expect(autotuneProblem({ mode: 'on', runtime: 'web' })).toBeUndefined();
  });
});

describe('alexnet-onnx bench --autotune (a real small run through the CLI)', () => {
  const SMALL = ['bench', '--batch', '1', '--image-size', '67', '--steps', '1', '--burn-in', '0'];
  const report = (file: string) =>
    JSON.parse(readFileSync(file, 'utf8')) as {
      formulation: Record<string, string | null>;
      formulation_source: Record<string, string | null>;
    }[];

  it('times the candidates of every formulation, runs the winners, and reads them from the cache the next time', () => {
    const dir = tempDir();
    const cache = join(dir, 'autotune.json');
    const json = join(dir, 'r.json');
    const first = cli([...SMALL, '--autotune-cache', cache, '--json', json]);
    expect(first.status, first.stderr).toBe(0);
    const tuned = ['lrnImpl', 'maxpoolGrad', 'convWeightGrad', 'convDataGrad'] as const;
    for (const k of tuned) {
      const line = first.stdout.split('\n').find((l) => l.startsWith(`autotune: ${FORMULATIONS[k].option} `));
      expect(line, k).toMatch(/^autotune: \S+ (\S+ [\d.]+ ms(, |(?= -> )))+ -> \S+$/);
      for (const c of FORMULATIONS[k].choices) expect(line).toContain(` ${c} `);
    }
    const [forward, backward] = report(json);
    expect(backward!.formulation_source).toEqual({
      lrn_impl: 'autotune',
      dropout_impl: null,
      maxpool_grad: 'autotune',
      conv_weight_grad: 'autotune',
      conv_data_grad: 'autotune',
    });
    expect(forward!.formulation_source).toEqual({
      lrn_impl: 'autotune',
      dropout_impl: null,
      maxpool_grad: null,
      conv_weight_grad: null,
      conv_data_grad: null,
    });
    // what the lines chose is what ran
    for (const k of tuned) expect(first.stdout).toContain(`-> ${backward!.formulation[FORMULATIONS[k].json]}\n`);
    expect(readCache(cache).entries).toHaveLength(1);

    const second = cli([...SMALL, '--autotune-cache', cache, '--json', json]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain(`autotune: cached (${cache})\n`);
    expect(second.stdout).not.toMatch(/autotune: lrn-impl/);
    expect(report(json)[1]!.formulation).toEqual(backward!.formulation);
    expect(report(json)[1]!.formulation_source.lrn_impl).toBe('cache');
  });

  it("runs the table's choices with --autotune off, and an explicit choice as given", () => {
    const dir = tempDir();
    const json = join(dir, 'r.json');
    const r = cli([...SMALL, '--mode', 'forward', '--autotune', 'off', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('autotune');
    expect(report(json)[0]!.formulation_source.lrn_impl).toBe('table');
    expect(report(json)[0]!.formulation.lrn_impl).toBe(FORMULATIONS.lrnImpl.auto.cpu);
    const user = cli([...SMALL, '--mode', 'forward', '--lrn-impl', 'op', '--autotune-cache', join(dir, 'c.json'), '--json', json]);
    expect(user.status, user.stderr).toBe(0);
    expect(user.stdout).not.toContain('autotune');
    expect(report(json)[0]!.formulation_source.lrn_impl).toBe('user');
  });

  it('refuses autotune options the run would not use, and an unusable cache path, with exit code 2', () => {
    const dir = tempDir();
    const off = cli([...SMALL, '--autotune', 'off', '--autotune-cache', join(dir, 'c.json')]);
    expect([off.status, off.stderr.trim()]).toEqual([
      2,
      'alexnet-onnx: --autotune-cache is where autotune keeps its measurements, but --autotune off measures nothing',
    ]);
    const folder = cli([...SMALL, '--autotune-cache', dir]);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toMatch(/^alexnet-onnx: --autotune-cache \S+: it is a directory, not a file\n$/);
  });
});
