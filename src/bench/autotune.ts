/**
 * Autotune: `bench` chooses each graph formulation left to `auto` by timing its candidates (every choice in the
 * formulation table that the run's EP supports) on this machine, runtime, EP and batch, and keeps the result in a
 * cache (`autotune-cache.ts`) so that the next run with the same key skips the search. Each formulation is timed on
 * its own slice of the graph (`autotune-slice.ts`), its candidates in turns (`autotune-measure.ts`), with the choices
 * already made; the fastest candidate among those with the fewest nodes off the EP wins.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from '../common/cleanup.js';
import { FORMULATION_KEYS, FORMULATIONS, type Formulation, type FormulationKey } from '../model/formulation.js';
import { formulationOfOptions, withFormulation } from '../model/training.js';
import { ortNodeVersion, ortWebVersion } from '../runners/packages.js';
import { providerOf } from '../runners/placement.js';
import { type CachedChoice, type CacheEntry, type CacheKey, defaultCacheFile, findEntry, readCache, writeCache } from './autotune-cache.js';
import { type Candidate, type MeasureChoice, type Measured, measureSlices } from './autotune-measure.js';
import { plannedFormulation, unsupported } from './options.js';
import { runEnvironment } from './report-json.js';
import { type BenchOptions, type FormulationSource, hasBackward } from './types.js';

/** `on`: the cache, else measure; `off`: the formulation table's choices; `force`: measure, and replace the cached result. */
export const AUTOTUNE_MODES = ['on', 'off', 'force'] as const;
/** One of {@link AUTOTUNE_MODES}. */
export type AutotuneMode = (typeof AUTOTUNE_MODES)[number];

/** How to autotune: the mode, the cache file, where lines go, and (for tests) what times the candidates. */
export interface AutotuneSettings {
  mode: AutotuneMode;
  /** Default: `defaultCacheFile()`. */
  cacheFile?: string;
  log: (line: string) => void;
  /** Default: `measureSlices`, sessions of this run's runtime and EP. */
  measure?: MeasureChoice;
}

/** The autotune options as given on the command line (absent where not given), and what they apply to. */
export interface AutotuneRequest {
  mode?: string;
  cacheFile?: string;
  /** A `--model` file. */
  model?: string;
  runtime: string;
}

/**
 * An autotune option this run would not use, as one line: `--autotune on|force` or `--autotune-cache` with a
 * `--model` file (its graph is written already) or in the browser (autotune times in this process), the cache with
 * `--autotune off`. `--autotune off` asks for nothing, so it is never refused.
 */
export function autotuneProblem(r: AutotuneRequest): string | undefined {
  const tune = r.mode !== undefined && r.mode !== 'off';
  if (r.cacheFile !== undefined && r.mode === 'off')
    return '--autotune-cache is where autotune keeps its measurements, but --autotune off measures nothing';
  if (!tune && r.cacheFile === undefined) return undefined;
  const what = tune ? `--autotune ${r.mode}` : '--autotune-cache';
  if (r.model) return `${what} chooses how bench writes its graphs, but --model ${r.model} is written already`;
  if (r.runtime === 'browser')
    return `${what}: autotune times its candidates in this process, so --runtime node or web (the browser runs the formulation table's choices)`;
  return undefined;
}

/** `o` with `choices` applied to its model and training options, each with `source`. */
function withChoices(o: BenchOptions, choices: Partial<Record<FormulationKey, string>>, source: FormulationSource): BenchOptions {
  const f = { ...formulationOfOptions(o.model, o.training), ...choices } as Formulation;
  const sources = { ...o.formulationSource };
  for (const k of Object.keys(choices) as FormulationKey[]) sources[k] = source;
  return { ...o, ...withFormulation(o.model, o.training, f), formulationSource: sources };
}

/**
 * The formulations autotune chooses for a run: those left to the table (`auto`, source `table`) that its graphs
 * use. None for a `--model` file: its graph is fixed.
 */
export function tunedKeys(o: BenchOptions): FormulationKey[] {
  if (o.modelFile) return [];
  const used = plannedFormulation(o) as Record<string, string | null>;
  return FORMULATION_KEYS.filter(
    (k) => o.formulationSource?.[k] === 'table' && used[FORMULATIONS[k].json] !== null && !(k === 'lrnImpl' && o.model.lrn === 'none'),
  );
}

/**
 * A formulation's candidates for a run: the table's choices that `unsupported` does not refuse here (among them those the
 * table's `cannotRun` names for this EP and runtime), the run's own first.
 */
export function candidatesOf(o: BenchOptions, key: FormulationKey): string[] {
  const current = formulationOfOptions(o.model, o.training)[key];
  const choices: string[] = [current, ...FORMULATIONS[key].choices.filter((c) => c !== current)];
  return choices.filter((c) => unsupported(withChoices(o, { [key]: c }, 'autotune')) === undefined);
}

/** Every field of `options` but the formulations and `drop`, sorted by name: the network's or training graph's settings. */
function settings(options: object, drop: string[] = []): Record<string, unknown> {
  const skip = new Set<string>([...FORMULATION_KEYS, ...drop]);
  return Object.fromEntries(
    Object.entries(options)
      .filter(([k]) => !skip.has(k))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/**
 * A fingerprint of the code in `dirs` (every file, in name order): a cached choice was measured on the graphs that code
 * wrote, so a changed formulation (a new gradient rule, a rewritten LRN) must be measured again even where the package
 * version stayed the same.
 */
export function codeFingerprint(dirs: readonly string[]): string {
  const h = createHash('sha256');
  for (const dir of dirs)
    for (const name of readdirSync(dir).sort()) {
      if (!/\.(js|ts)$/.test(name) || name.endsWith('.d.ts')) continue;
      h.update(name).update(readFileSync(join(dir, name)));
    }
  return h.digest('hex').slice(0, 16);
}

let graphCode: string | undefined;

/** The fingerprint of the code that writes the graphs autotune times: the model, the gradient rules, the ONNX builder. */
function graphCodeFingerprint(): string {
  graphCode ??= codeFingerprint(['../model/', '../autodiff/', '../onnx/'].map((d) => fileURLToPath(new URL(d, import.meta.url))));
  return graphCode;
}

/**
 * What a measurement depends on: the tool and the code that writes the graphs, the runtime and EP and their versions, the machine (CPU model and cores,
 * NVIDIA GPU, Vulkan driver for WebGPU), the session settings, the network's options (batch, image size, LRN preset,
 * head, classes, dropout, ...; not the weights' seed), the modes and the training graph's options, the formulations
 * not tuned, and each tuned one's candidates (a table that gains a choice measures again).
 */
export function cacheKey(o: BenchOptions, candidates: Partial<Record<FormulationKey, string[]>>): CacheKey {
  const env = runEnvironment();
  const training = o.modes.some(hasBackward);
  const f = formulationOfOptions(o.model, o.training);
  const fixed = Object.fromEntries(FORMULATION_KEYS.filter((k) => !candidates[k]).map((k) => [k, f[k]]));
  return {
    tool_version: env.tool_version,
    graph_code: graphCodeFingerprint(),
    runtime: o.runtime,
    ep: o.ep,
    ort_version: o.runtime === 'node' ? ortNodeVersion() : ortWebVersion(),
    cpu: env.cpu,
    cpu_cores: env.cpu_cores,
    gpu: env.gpu,
    vulkan_driver: o.ep === 'webgpu' ? (process.env.VK_DRIVER_FILES ?? null) : null,
    threads: o.threads,
    graph_opt: o.graphOpt,
    tf32: o.tf32,
    input: o.input,
    modes: o.modes,
    network: settings(o.model, ['seed']),
    training: training ? settings(o.training) : null,
    fixed,
    candidates,
  };
}

/** The cached choices for every tuned formulation, or undefined when the entry lacks one or names a choice no longer offered. */
function cachedChoices(entry: CacheEntry, candidates: Partial<Record<FormulationKey, string[]>>): Record<string, string> | undefined {
  const choices: Record<string, string> = {};
  for (const [k, offered] of Object.entries(candidates)) {
    const choice = entry.choices[k]?.choice;
    if (choice === undefined || !offered.includes(choice)) return undefined;
    choices[k] = choice;
  }
  return choices;
}

/** The winner: among the candidates that ran, those with the fewest nodes off the EP, the fastest (the first on a tie). */
export function fastest(choices: string[], measured: Measured[]): string {
  const ran = choices.flatMap((choice, i) => {
    const m = measured[i];
    return m && 'ms' in m ? [{ choice, ...m }] : [];
  });
  if (!ran.length) return choices[0]!;
  const fewest = Math.min(...ran.map((r) => r.fallback));
  return ran.filter((r) => r.fallback === fewest).reduce((a, b) => (b.ms < a.ms ? b : a)).choice;
}

const formatMs = (ms: number): string => `${ms >= 100 ? ms.toFixed(0) : ms.toPrecision(3)} ms`;

/** `autotune: lrn-impl decomposed 12.1 ms, op 15.3 ms -> decomposed`: the candidates that ran by time, then those that failed. */
export function autotuneLine(o: BenchOptions, key: FormulationKey, choices: string[], measured: Measured[], winner: string): string {
  const rows = choices.map((choice, i) => ({ choice, m: measured[i]! }));
  const ran = rows.flatMap(({ choice, m }) => ('ms' in m ? [{ choice, ...m }] : [])).sort((a, b) => a.ms - b.ms);
  const failed = rows.flatMap(({ choice, m }) => ('failed' in m ? [`${choice} failed (${m.failed})`] : []));
  const off = (n: number) => (n ? ` (${n} node${n > 1 ? 's' : ''} not on ${providerOf(o.ep)})` : '');
  const parts = [...ran.map((r) => `${r.choice} ${formatMs(r.ms)}${off(r.fallback)}`), ...failed];
  return `autotune: ${FORMULATIONS[key].option} ${parts.join(', ')} -> ${winner}`;
}

/**
 * The run's options with every formulation left to `auto` chosen by measurement or from the cache, and the lines
 * saying so (`autotune: ...`, `warning: ...`) sent to `s.log`. Unchanged with `off`, for a `--model` file, and where
 * nothing is left to choose; `--runtime browser` gets the table's choices (autotune runs sessions in this process).
 */
export async function autotune(o: BenchOptions, s: AutotuneSettings): Promise<BenchOptions> {
  const keys = s.mode === 'off' ? [] : tunedKeys(o);
  if (!keys.length) return o;
  if (o.runtime === 'browser') {
    s.log("autotune: not on --runtime browser (it times candidates in this process): the formulation table's choices");
    return o;
  }
  const candidates: Partial<Record<FormulationKey, string[]>> = {};
  for (const k of keys) {
    const offered = candidatesOf(o, k);
    if (offered.length > 1) candidates[k] = offered;
  }
  if (!Object.keys(candidates).length) return o;
  const file = s.cacheFile ?? defaultCacheFile();
  const key = cacheKey(o, candidates);
  const cache = readCache(file);
  if (cache.problem) s.log(`warning: autotune cache ${file} cannot be used (${cache.problem}): measuring, then replacing it`);
  const hit = s.mode === 'on' ? findEntry(cache.entries, key) : undefined;
  const cached = hit && cachedChoices(hit, candidates);
  if (cached) {
    s.log(`autotune: cached (${file})`);
    return withChoices(o, cached, 'cache');
  }
  const { tuned, choices } = await measureAll(o, candidates, s);
  const problem = writeCache(file, cache.entries, { key, measured_at: new Date().toISOString(), choices });
  if (problem) s.log(`warning: autotune cache ${file} not written: ${problem}`);
  return tuned;
}

/** Measures each formulation in turn, the choices made so far applied to the next one's candidates. */
async function measureAll(
  o: BenchOptions,
  candidates: Partial<Record<FormulationKey, string[]>>,
  s: AutotuneSettings,
): Promise<{ tuned: BenchOptions; choices: Record<string, CachedChoice> }> {
  const profileDir = mkdtempSync(join(tmpdir(), 'alexnet-onnx-autotune-'));
  const removeDir = (): void => rmSync(profileDir, { recursive: true, force: true });
  const release = onCleanup(removeDir);
  try {
    const measure = s.measure ?? measureSlices(profileDir);
    let tuned = o;
    const choices: Record<string, CachedChoice> = {};
    for (const [k, offered] of Object.entries(candidates) as [FormulationKey, string[]][]) {
      const list: Candidate[] = offered.map((choice) => ({ choice, options: withChoices(tuned, { [k]: choice }, 'autotune') }));
      const measured = await measure(k, list);
      const winner = fastest(offered, measured);
      s.log(autotuneLine(o, k, offered, measured, winner));
      const ms = Object.fromEntries(offered.flatMap((c, i) => (measured[i] && 'ms' in measured[i] ? [[c, measured[i].ms]] : [])));
      choices[k] = { choice: winner, ms };
      tuned = withChoices(tuned, { [k]: winner }, 'autotune');
    }
    return { tuned, choices };
  } finally {
    removeDir();
    release();
  }
}
