import { writeFileAtomic, writeFileAtomicAsync } from '../common/files.js';
import { PACKAGE } from '../common/version.js';
import { buildTrainedModel, modelBytes } from '../model/export.js';
import { describeFormulation, formulationReport } from '../model/formulation.js';
import { describeOptimizer } from '../model/optimizer.js';
import { formulationOfOptions } from '../model/training.js';
import { trainingChart } from './chart.js';
import type { TrainOptions } from './options.js';
import type { TrainResult } from './trainer.js';

/** Where a training run's results go: the trained inference model, its chart, and optionally the history as JSON. */
export interface TrainOutputs {
  model: string;
  chart: string;
  json?: string;
}

/** The lines that say what a run trains, before it starts. */
export function trainHeader(o: TrainOptions, runtime: string): string[] {
  const m = o.model;
  const d = o.dataset;
  const warmup = o.schedule.warmup ? `, ${o.schedule.warmup} warm-up steps` : '';
  return [
    `alexnet-onnx train: ${runtime}, EP ${o.ep}, AlexNet (batch ${m.batch}, ${m.imageSize} px, LRN ${m.lrn}, fc8 ${m.fc8Relu ? 'with ReLU' : 'linear'}${m.dropout ? `, dropout ${m.dropout}` : ''}), train ${o.step.wrt === 'all' ? 'every parameter' : 'the conv layers'}`,
    `data: ${d.source} (${d.classes} classes, ${d.train.size} training and ${d.heldOut.size} held-out images of ${d.imageSize} px)`,
    `${describeOptimizer(o.step.optimizer)}, lr ${o.schedule.lr} ${o.schedule.kind}${warmup}, ${o.steps} steps; ` +
      `graph: ${describeFormulation(formulationReport(formulationOfOptions(m, o.step), true, m.dropout))}`,
  ];
}

/** The lines after a run: the held-out accuracy, where it ran. */
export function trainFooter(o: TrainOptions, r: TrainResult): string[] {
  const last = r.evals.at(-1);
  const accuracy = r.interrupted
    ? `interrupted after ${r.steps} of ${o.steps} steps${last ? `: held-out accuracy ${last.accuracy.toFixed(3)} at step ${last.step}` : ''}`
    : `held-out accuracy ${last!.accuracy.toFixed(3)} after ${r.steps} steps (${last!.images} images)`;
  const where = r.stateLocation === 'cpu' ? 'host memory' : `on the device (${r.stateLocation})`;
  const state = o.runtime === 'browser' ? `kept in the browser page (${where})` : where;
  return [
    accuracy,
    `ONNX Runtime ${r.ortVersion}, EP ${o.ep}, device: ${r.device}; parameters and optimizer state between steps: ${state}`,
  ];
}

/** The run as a JSON document: the options, every step, every evaluation, the timing statistics. */
export function trainingJson(o: TrainOptions, r: TrainResult, argv?: string[]): string {
  const { batch, imageSize, classes, lrn, fc8Relu, dropout, seed } = o.model;
  const report = {
    tool: `${PACKAGE.name} ${PACKAGE.version}`,
    argv,
    runtime: o.runtime,
    ep: o.ep,
    ort_version: r.ortVersion,
    device: r.device,
    model: { batch, image_size: imageSize, classes, lrn, fc8_relu: fc8Relu, dropout, seed, wrt: o.step.wrt },
    data: { source: o.dataset.source, train_images: o.dataset.train.size, held_out_images: o.dataset.heldOut.size },
    optimizer: o.step.optimizer,
    schedule: o.schedule,
    steps: o.steps,
    steps_done: r.steps,
    interrupted: r.interrupted,
    state_location: r.stateLocation,
    timing: r.timing && {
      burn_in: o.burnIn,
      n: r.timing.n,
      mean_s: r.timing.mean,
      sd_s: r.timing.sd,
      min_s: r.timing.min,
      p50_s: r.timing.p50,
      max_s: r.timing.max,
    },
    held_out_accuracy: r.evals.at(-1)?.accuracy ?? null,
    evals: r.evals,
    history: r.history.map((h) => ({ step: h.step, lr: h.lr, loss: h.loss, accuracy: h.accuracy, duration_s: h.durationS })),
  };
  return `${JSON.stringify(report, null, 1)}\n`;
}

/** The chart's title: what was trained, on what. */
function chartTitle(o: TrainOptions): string {
  return `AlexNet, ${o.step.optimizer.optimizer} lr ${o.schedule.lr} ${o.schedule.kind}, batch ${o.model.batch}, ${o.model.imageSize} px, ${o.dataset.source} (${o.dataset.classes} classes), ${o.ep}`;
}

/**
 * Writes the trained weights as an ordinary inference model (`buildTrainedModel`, with a symbolic batch so that any
 * tool can feed any batch), the chart, and the JSON if asked; returns the model's size in bytes.
 */
export async function writeTrainOutputs(o: TrainOptions, r: TrainResult, out: TrainOutputs, argv?: string[]): Promise<number> {
  const bytes = modelBytes(buildTrainedModel({ ...o.model, batch: 'dynamic' }, r.weights));
  await writeFileAtomicAsync(out.model, bytes);
  writeFileAtomic(out.chart, new TextEncoder().encode(trainingChart(chartTitle(o), r.history, r.evals, o.logEvery)));
  if (out.json) writeFileAtomic(out.json, new TextEncoder().encode(trainingJson(o, r, argv)));
  return bytes.length;
}
