import type { WebEp } from '../common/eps.js';
import { createNodeRunner } from '../runners/ort-node.js';
import { createWebRunner } from '../runners/ort-web.js';
import type { BrowserJob } from '../runners/page-protocol.js';
import type { Runner, RunnerOptions } from '../runners/types.js';
import type { PreparedMode } from './prepare.js';
import { type BenchMode, type BenchOptions, MODE_LABEL } from './types.js';

/** The seeds' loop as a page runs it: its label and step counts. */
export type Loop = Pick<BrowserJob, 'label' | 'burnIn' | 'steps' | 'logEvery'>;

/** The seeds' loop for one mode, as the options set it. */
export function seedLoop(o: BenchOptions, mode: BenchMode): Loop {
  return { label: MODE_LABEL[mode], burnIn: o.burnIn, steps: o.steps, logEvery: o.logEvery };
}

/**
 * A page job for these options (EP, threads, graph optimization): what to fetch, the loop to run, and for a training
 * step what to feed back after each step and the step counter (`step`).
 */
export function pageJob(
  o: BenchOptions,
  fetches: string[],
  loop: Loop,
  step: Pick<BrowserJob, 'feedback' | 'counter'> = {},
): Omit<BrowserJob, 'modelUrl' | 'feeds'> {
  const training = step.feedback?.length ? { feedback: step.feedback, counter: step.counter } : {};
  return { ep: o.ep as WebEp, threads: o.threads, graphOpt: o.graphOpt, fetches, ...loop, ...training };
}

function runnerOptions(o: BenchOptions, p: PreparedMode, profileDir: string): RunnerOptions {
  return {
    ep: o.ep,
    model: p.bytes,
    feeds: p.feeds,
    fetches: p.fetches,
    feedback: p.feedback,
    counter: p.counter,
    threads: o.threads,
    graphOpt: o.graphOpt,
    tf32: o.tf32,
    profileDir,
  };
}

/** A session of the options' runtime in this process (onnxruntime-node, or onnxruntime-web in Node) for a prepared mode. */
export function openRunner(o: BenchOptions, p: PreparedMode, profileDir: string): Promise<Runner> {
  if (o.runtime === 'browser') throw new Error('the browser runtime runs page jobs, not in-process sessions');
  return o.runtime === 'web' ? createWebRunner(runnerOptions(o, p, profileDir)) : createNodeRunner(runnerOptions(o, p, profileDir));
}
