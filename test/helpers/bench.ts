import { type BenchRequest, benchOptions } from '../../src/bench/options.js';
import { runBench } from '../../src/bench/run.js';
import type { BenchOptions, ModeResult } from '../../src/bench/types.js';
import type { Ep, RuntimeName } from '../../src/common/eps.js';
import { formulationFor } from '../../src/model/formulation.js';

/**
 * Benchmark options for a small AlexNet (default batch 1, 67x67 images) with the graph `bench` picks for `ep` (or for
 * `formulationOf`), keeping the first run's outputs so runtimes can be compared.
 */
export function smallBench(runtime: RuntimeName, ep: Ep, o: BenchRequest & { formulationOf?: Ep } = {}): BenchOptions {
  const { formulationOf, model, ...rest } = o;
  return benchOptions({
    steps: 2,
    burnIn: 0,
    logEvery: 1,
    collectOutputs: true,
    ...rest,
    runtime,
    ep,
    model: { batch: 1, imageSize: 67, ...model },
    formulation: formulationFor(formulationOf ?? ep),
  });
}

/** Runs a benchmark and returns its results and every line it logged. */
export async function benchWithLines(o: BenchOptions): Promise<{ results: ModeResult[]; lines: string[] }> {
  const lines: string[] = [];
  const results = await runBench(o, (l) => lines.push(l));
  return { results, lines };
}

/** The seeds' step line and summary line. */
export const STEP_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: step \d+, duration = \d+\.\d{3}$/;
export const SUMMARY_LINE =
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: (Forward|Forward-backward) across \d+ steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/;
