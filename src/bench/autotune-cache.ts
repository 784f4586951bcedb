/**
 * The autotune cache: one small JSON file of earlier measurements, each under the key of what it was measured for
 * (machine, runtime, EP, ONNX Runtime, sizes, network, settings), so that the next run with the same key skips the
 * search. Written atomically; an unreadable or malformed file is reported and measured over, never fatal.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { outputProblem, writeFileAtomic } from '../common/files.js';

/** What a measurement was made for: plain JSON values, compared as a whole. */
export type CacheKey = Record<string, unknown>;

/** One formulation's result: the choice, and each candidate's median time in milliseconds (those that ran). */
export interface CachedChoice {
  choice: string;
  ms: Record<string, number>;
}

/** One measurement: its key, when it was made, and the choice per formulation (`lrnImpl`, ...). */
export interface CacheEntry {
  key: CacheKey;
  measured_at: string;
  choices: Record<string, CachedChoice>;
}

/** The file's version: a file of another version is measured over. */
const CACHE_VERSION = 1;

/** Entries kept, newest first: each is a few hundred bytes, and keys go stale as machines and versions change. */
const MAX_ENTRIES = 64;

/** `$XDG_CACHE_HOME/alexnet-onnx/autotune.json`, or under `~/.cache` (the XDG default, also for a relative value, which the spec says to ignore). */
export function defaultCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'alexnet-onnx', 'autotune.json');
}

/** The cache's entries, or none with the reason when the file exists but cannot be used (a missing file is no problem). */
export function readCache(file: string): { entries: CacheEntry[]; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
    return { entries: [], problem: (err as Error).message };
  }
  try {
    const data = JSON.parse(text) as { version?: unknown; entries?: unknown };
    if (data?.version !== CACHE_VERSION || !Array.isArray(data.entries))
      throw new Error(`not an autotune cache of version ${CACHE_VERSION}`);
    if (!data.entries.every(isEntry)) throw new Error('an entry is malformed');
    return { entries: data.entries };
  } catch (err) {
    return { entries: [], problem: (err as Error).message };
  }
}

function isEntry(e: unknown): e is CacheEntry {
  const x = e as CacheEntry;
  const isChoice = (c: CachedChoice) => typeof c?.choice === 'string' && typeof c.ms === 'object' && c.ms !== null;
  return (
    typeof x?.key === 'object' &&
    x.key !== null &&
    typeof x.choices === 'object' &&
    x.choices !== null &&
    Object.values(x.choices).every(isChoice)
  );
}

/** The entry measured for exactly `key`. */
export function findEntry(entries: CacheEntry[], key: CacheKey): CacheEntry | undefined {
  const wanted = JSON.stringify(key);
  return entries.find((e) => JSON.stringify(e.key) === wanted);
}

/**
 * Writes `entry` first, in place of any entry with its key, keeping the newest others; returns why the file could
 * not be written, if it could not. Its folder is made where missing.
 */
export function writeCache(file: string, entries: CacheEntry[], entry: CacheEntry): string | undefined {
  const wanted = JSON.stringify(entry.key);
  const kept = [entry, ...entries.filter((e) => JSON.stringify(e.key) !== wanted)].slice(0, MAX_ENTRIES);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify({ version: CACHE_VERSION, entries: kept }, null, 2)}\n`));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Why a `--autotune-cache` path cannot be used, before the run (as `--json` is checked), or undefined. */
export function cacheFileProblem(path: string): string | undefined {
  if (path === '') return '--autotune-cache needs a file name';
  const problem = outputProblem(path);
  return problem && `--autotune-cache ${path}: ${problem}`;
}
