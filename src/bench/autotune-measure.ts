/**
 * How autotune times the candidates of one formulation on this machine: each candidate's slice (`autotune-slice.ts`)
 * in a session of the run's runtime and EP, all of them open at once and run in turns, so that a burst of other work
 * on the machine slows every candidate alike rather than the one that happened to be running.
 */
import type { FormulationKey } from '../model/formulation.js';
import { formulationOfOptions } from '../model/training.js';
import type { TensorData } from '../onnx/types.js';
import { createNodeRunner } from '../runners/ort-node.js';
import { createWebRunner } from '../runners/ort-web.js';
import { fallbackNodes } from '../runners/placement.js';
import type { Runner } from '../runners/types.js';
import { type Built, differingNodes, type Slice, sliceModel, tuningGraph } from './autotune-slice.js';
import { PROBE } from './prefix-profile.js';
import { percentile } from './statistics.js';
import type { BenchOptions } from './types.js';

/** A candidate: one choice of one formulation, with the run's options as they would be with it. */
export interface Candidate {
  choice: string;
  options: BenchOptions;
}

/**
 * What timing a candidate gave: its median time in milliseconds and the number of its nodes that ONNX Runtime put on
 * another provider than the run's EP, or why it could not be timed.
 */
export type Measured = { ms: number; fallback: number } | { failed: string };

/** Times the candidates of one formulation: one result per candidate, in their order. */
export type MeasureChoice = (key: FormulationKey, candidates: Candidate[]) => Promise<Measured[]>;

/** Untimed runs per candidate (the first, which also tells where nodes ran, among them), then timed turns. */
export const AUTOTUNE_LOOP = { burnIn: 2, steps: 5 } as const;

/**
 * After two turns, a candidate whose fastest run is this much slower than the best median sits out the other turns:
 * more runs could not make it win, only cost time.
 */
const HOPELESS = 1.25;

/** A candidate's session and its timed runs so far. */
interface Timing {
  runner: Runner;
  fallback: number;
  ms: number[];
  out: boolean;
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

const median = (ms: number[]): number =>
  percentile(
    [...ms].sort((a, b) => a - b),
    50,
  );

/** A session of the run's runtime for a slice, after its untimed runs. */
async function warmUp(o: BenchOptions, s: Slice, profileDir: string): Promise<Timing> {
  if (o.runtime === 'browser') throw new Error('autotune times in this process: not on --runtime browser');
  const options = {
    ep: o.ep,
    model: s.bytes,
    feeds: s.feeds,
    fetches: s.fetches,
    threads: o.threads,
    graphOpt: o.graphOpt,
    tf32: o.tf32,
    profileDir,
  };
  const runner = await (o.runtime === 'web' ? createWebRunner(options) : createNodeRunner(options));
  try {
    await runner.run();
    // the probe that sums the slice's outputs is the same in every candidate (its Sum has no WebGPU kernel)
    const fallback = fallbackNodes(runner.placement(), o.ep).filter((n) => !n.startsWith(`${PROBE} `) && !n.startsWith(`${PROBE}.`)).length;
    for (let i = 1; i < AUTOTUNE_LOOP.burnIn; i++) await runner.run();
    return { runner, fallback, ms: [], out: false };
  } catch (err) {
    await runner.release();
    throw err;
  }
}

/** Sets out the candidates that can no longer win: more nodes off the EP than another, or too slow (`HOPELESS`). */
function setOut(timings: Timing[]): void {
  const fewest = Math.min(...timings.map((t) => t.fallback));
  const eligible = timings.filter((t) => t.fallback === fewest && t.ms.length);
  const best = Math.min(...eligible.map((t) => median(t.ms)));
  for (const t of timings) if (t.fallback > fewest || Math.min(...t.ms) > HOPELESS * best) t.out = true;
}

/** Times the slices in turns (`AUTOTUNE_LOOP`); a slice that is an error, or whose session fails, is reported failed. */
async function timeSlices(o: BenchOptions, slices: (Slice | Error)[], profileDir: string): Promise<Measured[]> {
  const timings: (Timing | { failed: string })[] = [];
  try {
    for (const s of slices) {
      if (s instanceof Error) timings.push({ failed: firstLine(s) });
      else timings.push(await warmUp(o, s, profileDir).catch((err: unknown) => ({ failed: firstLine(err) })));
    }
    const live = timings.filter((t): t is Timing => 'runner' in t);
    for (let turn = 0; turn < AUTOTUNE_LOOP.steps; turn++) {
      for (const t of live.filter((x) => !x.out)) {
        const start = performance.now();
        await t.runner.run();
        t.ms.push(performance.now() - start);
      }
      if (turn >= 1) setOut(live);
    }
    return timings.map((t) => ('runner' in t ? { ms: median(t.ms), fallback: t.fallback } : t));
  } finally {
    for (const t of timings) if ('runner' in t) await t.runner.release();
  }
}

/**
 * The measurement on this machine: for each formulation, its candidates' graphs are built, the nodes they differ in
 * sliced out (`sliceModel`) and the slices timed in turns (`timeSlices`). A candidate whose graph cannot be built or
 * run is reported failed; candidates that write one graph here are reported at 0 ms. The first candidate's graph (the
 * run's choices as they stand) is kept from the formulation before, whose winner it is.
 */
export function measureSlices(profileDir: string): MeasureChoice {
  const built = new Map<string, Built>();
  const idOf = (c: Candidate) => JSON.stringify(formulationOfOptions(c.options.model, c.options.training));
  const graphOf = (c: Candidate): Built => {
    const id = idOf(c);
    if (!built.has(id)) built.set(id, tuningGraph(c.options, formulationOfOptions(c.options.model, c.options.training)));
    return built.get(id)!;
  };
  return async (_key, candidates) => {
    const keep = candidates[0] && idOf(candidates[0]);
    for (const id of built.keys()) if (id !== keep) built.delete(id);
    const graphs = candidates.map((c) => {
      try {
        return graphOf(c);
      } catch (err) {
        return err as Error;
      }
    });
    const names = differingNodes(graphs.flatMap((g) => (g instanceof Error ? [] : [g.graph])));
    if (!names.size) return graphs.map((g) => (g instanceof Error ? { failed: firstLine(g) } : { ms: 0, fallback: 0 }));
    // the candidates read mostly the same values: their random data is made once
    const pool = new Map<string, TensorData>();
    const slices = graphs.map((g, i) => {
      if (g instanceof Error) return g;
      try {
        return sliceModel(candidates[i]!.options, g, names, pool);
      } catch (err) {
        return err as Error;
      }
    });
    return timeSlices(candidates[0]!.options, slices, profileDir);
  };
}
