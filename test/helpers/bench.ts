import { formulationFor, runBench, type BenchOptions, type ModeResult } from '../../src/bench/bench.js';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { DEFAULT_TRAINING } from '../../src/model/training.js';
import type { Ep, RuntimeName } from '../../src/runners/types.js';

/**
 * Benchmark options for a small AlexNet (default batch 1, 67x67 images) with `formulation`'s graph (default: the one
 * `bench` picks for `ep`), keeping the first run's outputs so runtimes can be compared.
 */
export function smallBench(runtime: RuntimeName, ep: Ep, o: Partial<BenchOptions> & { formulationOf?: Ep } = {}): BenchOptions {
  const f = formulationFor(o.formulationOf ?? ep);
  const { formulationOf: _, ...rest } = o;
  return {
    runtime,
    ep,
    modes: ['forward', 'forward-backward'],
    steps: 2,
    burnIn: 0,
    logEvery: 1,
    threads: 0,
    graphOpt: 'all',
    tf32: false,
    input: 'device',
    fetch: 'grads',
    model: { ...DEFAULT_OPTIONS, batch: 1, imageSize: 67, lrnImpl: f.lrnImpl, dropoutImpl: f.dropoutImpl },
    training: { ...DEFAULT_TRAINING, maxpoolGrad: f.maxpoolGrad, convWeightGrad: f.convWeightGrad, convDataGrad: f.convDataGrad },
    profileSteps: 0,
    profileMethod: 'auto',
    collectOutputs: true,
    ...rest,
  };
}

/** Runs a benchmark and returns its results and every line it logged. */
export async function benchWithLines(o: BenchOptions): Promise<{ results: ModeResult[]; lines: string[] }> {
  const lines: string[] = [];
  const results = await runBench(o, (l) => lines.push(l));
  return { results, lines };
}

/** The seeds' step line and summary line. */
export const STEP_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: step \d+, duration = \d+\.\d{3}$/;
export const SUMMARY_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: (Forward|Forward-backward) across \d+ steps, \d+\.\d{3} \+\/- \d+\.\d{3} sec \/ batch$/;
