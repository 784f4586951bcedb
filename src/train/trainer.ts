import type { Tensor } from 'onnxruntime-common';
import { nowMs } from '../bench/harness.js';
import type { ProgressListener } from '../bench/progress.js';
import { type Statistics, summarize } from '../bench/statistics.js';
import { buildForwardModel, modelBytes } from '../model/export.js';
import { IMAGES, LABELS, LOSS, LR, OUTPUT, STEP } from '../model/names.js';
import { buildTrainStep, detachInitializers, type TrainStep } from '../model/train-step.js';
import { type Batch, batches, heldOutBatches } from './data.js';
import { type TrainOptions, trainProblems } from './options.js';
import { learningRate, scheduleProblems } from './schedule.js';
import { openRuntime, type TrainRuntime, type TrainSession } from './session.js';
import { evalLine, trainStepLine, trainSummaryLines } from './trainer-lines.js';

/** One training step: its learning rate, loss, the batch's accuracy and how long the step took. */
export interface StepRecord {
  step: number;
  lr: number;
  loss: number;
  /** Share of the batch's images whose highest class score is their label. */
  accuracy: number;
  durationS: number;
}

/** Held-out accuracy after `step` steps, over `images` images. */
export interface EvalRecord {
  step: number;
  accuracy: number;
  images: number;
}

/** What a training run did. */
export interface TrainResult {
  /** Every step, in order. */
  history: StepRecord[];
  /** Every held-out evaluation; the last is after the last step unless the run was interrupted. */
  evals: EvalRecord[];
  /** The steps done (fewer than asked when interrupted). */
  steps: number;
  interrupted: boolean;
  /** Statistics of the full training step's durations in seconds, the first `burnIn` steps left out; undefined if none is left. */
  timing: Statistics | undefined;
  /** The trained parameters, on the host. */
  weights: Record<string, Float32Array>;
  /**
   * Where the parameters and optimizer state lived between steps: `gpu-buffer` (kept on the device) or `cpu`; with the
   * browser runtime, where the page held them (they stay in the page either way).
   */
  stateLocation: Tensor['location'];
  ortVersion: string;
  device: string;
}

/** The index of the highest score in each of the first `count` rows of `scores` [N, classes]. */
export function argmaxRows(scores: Float32Array, classes: number, count: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < count; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[r * classes + c]! > scores[r * classes + best]!) best = c;
    out.push(best);
  }
  return out;
}

function correct(scores: Float32Array, b: Batch, classes: number): number {
  return argmaxRows(scores, classes, b.count).filter((p, r) => BigInt(p) === b.labels[r]).length;
}

/**
 * Trains the network of `o`: builds the training step (`buildTrainStep`: parameters and optimizer state as plain
 * inputs), opens a session on the runtime and EP of `o`, and runs `o.steps` steps, each on the next batch with the
 * schedule's learning rate and `step` = 1, 2, ..., feeding each step's `.next` outputs back as the next step's inputs:
 * on WebGPU they stay GPU buffers and in the browser runtime they stay in the page (the previous ones are released),
 * on the CPU and WebAssembly EPs in this process the output tensors are fed as they are. A step's duration is the
 * runtime's own time of the run (`TrainSession.run`: the page's, in the browser). Every `evalEvery` steps and after
 * the last, a forward session that takes the parameters as inputs measures the held-out accuracy on the current
 * parameter tensors. `log` receives the seeds' style lines;
 * `signal` stops the run after the step under way (no final evaluation), returning what was trained so far.
 */
export async function train(
  o: TrainOptions,
  log: (line: string) => void,
  onProgress?: ProgressListener,
  signal?: AbortSignal,
): Promise<TrainResult> {
  const problems = [...trainProblems(o), ...scheduleProblems(o.schedule, o.steps)];
  if (problems.length) throw new Error(problems.join('; '));
  onProgress?.({ phase: 'build' });
  const step = buildTrainStep(o.model, o.step);
  const forwardBytes = evaluationModel(o, step.parameters);
  onProgress?.({ phase: 'session' });
  const rt = await openRuntime(o);
  let stepSession: TrainSession | undefined;
  let evalSession: TrainSession | undefined;
  let fed: Record<string, Tensor> = {};
  try {
    fed = initialFeeds(rt, step);
    stepSession = await rt.open(
      step.bytes,
      step.feedback.map((f) => f.output),
    );
    evalSession = await rt.open(forwardBytes);
    const history: StepRecord[] = [];
    const evals: EvalRecord[] = [];
    const stream = batches(o.dataset, o.model.batch as number, o.seed);
    const dims = [o.model.batch as number, 3, o.model.imageSize, o.model.imageSize];
    onProgress?.({ phase: 'timed', done: 0, total: o.steps });
    for (let s = 1; s <= o.steps && !signal?.aborted; s++) {
      const batch = stream.next().value;
      const lr = learningRate(o.schedule, s, o.steps);
      const feeds: Record<string, Tensor> = {
        ...fed,
        [IMAGES]: rt.tensor('float32', batch.images, dims),
        [LABELS]: rt.tensor('int64', batch.labels, [batch.labels.length]),
        [LR]: rt.tensor('float32', Float32Array.of(lr), []),
        [STEP]: rt.tensor('int64', BigInt64Array.of(BigInt(s)), []),
      };
      const { outputs: out, seconds: durationS } = await stepSession.run(feeds);
      const replaced = Object.values(fed);
      fed = Object.fromEntries(step.feedback.map((f) => [f.input, out[f.output]!]));
      await rt.release(replaced);
      const loss = (out[LOSS]!.data as Float32Array)[0]!;
      if (!Number.isFinite(loss))
        throw new Error(`the loss is ${loss} at step ${s}: training diverged; try a smaller --lr (this run: ${lr} at that step)`);
      const accuracy = correct(out[OUTPUT]!.data as Float32Array, batch, o.model.classes) / batch.count;
      const record = { step: s, lr, loss, accuracy, durationS };
      history.push(record);
      onProgress?.({ phase: 'timed', done: s, total: o.steps, durationS });
      if (s === 1 || s % o.logEvery === 0 || s === o.steps) log(trainStepLine(nowMs(), record));
      if (s === o.steps || (o.evalEvery > 0 && s % o.evalEvery === 0))
        evals.push(await heldOutAccuracy(rt, evalSession, o, step.parameters, fed, s, log));
    }
    const timed = history.slice(o.burnIn).map((r) => r.durationS);
    const timing = timed.length ? summarize(timed) : undefined;
    if (timing) for (const line of trainSummaryLines(nowMs(), timing, o.burnIn)) log(line);
    const onHost = await rt.toHost(Object.fromEntries(step.parameters.map((p) => [p, fed[p]!])));
    const weights = Object.fromEntries(step.parameters.map((p) => [p, Float32Array.from(onHost[p]!)]));
    return {
      stateLocation: fed[step.feedback[0]!.input]!.location,
      history,
      evals,
      steps: history.length,
      interrupted: history.length < o.steps,
      timing,
      weights,
      ortVersion: rt.ortVersion,
      device: rt.device,
    };
  } finally {
    // freeing is best effort (a failed run's own error matters more); the runtime (a browser) is closed on every path
    await Promise.allSettled([rt.release(Object.values(fed)), evalSession?.release(), stepSession?.release()]);
    await rt.close();
  }
}

/** The first step's parameter and state feeds: the weights of `--seed` and zero state, as host tensors. */
function initialFeeds(rt: TrainRuntime, step: TrainStep): Record<string, Tensor> {
  const types = new Map(step.model.graph.inputs.map((i) => [i.name, i.type.shape as number[]]));
  return Object.fromEntries(step.feedback.map((f) => [f.input, rt.tensor('float32', step.initial[f.input]!, types.get(f.input)!)]));
}

/**
 * The forward model the held-out evaluation runs: the trained parameters are inputs, fed the training step's current
 * tensors; the others (`--wrt conv`) stay initializers; no dropout, which belongs to training.
 */
function evaluationModel(o: TrainOptions, parameters: readonly string[]): Uint8Array {
  const forward = buildForwardModel({ ...o.model, dropout: 0 });
  const g = forward.graph;
  const inputs = [...g.inputs, ...parameters.map((name) => ({ name, type: g.types.get(name)! }))];
  return modelBytes({ ...forward, graph: detachInitializers({ ...g, inputs }, parameters).graph });
}

/** Runs the forward session over the held-out split with the current parameters and logs the accuracy. */
async function heldOutAccuracy(
  rt: TrainRuntime,
  session: TrainSession,
  o: TrainOptions,
  parameters: readonly string[],
  fed: Record<string, Tensor>,
  at: number,
  log: (line: string) => void,
): Promise<EvalRecord> {
  const params = Object.fromEntries(parameters.map((p) => [p, fed[p]!]));
  const dims = [o.model.batch as number, 3, o.model.imageSize, o.model.imageSize];
  let right = 0;
  let images = 0;
  for (const batch of heldOutBatches(o.dataset, o.model.batch as number)) {
    const { outputs: out } = await session.run({ ...params, [IMAGES]: rt.tensor('float32', batch.images, dims) }, [OUTPUT]);
    right += correct(out[OUTPUT]!.data as Float32Array, batch, o.model.classes);
    images += batch.count;
  }
  const record = { step: at, accuracy: right / images, images };
  log(evalLine(nowMs(), record));
  return record;
}
