import { cpus, platform, release } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, jsonReport, modelFields } from '../../src/bench/report-json.js';
import { type ModeResult, REPORT_SCHEMA } from '../../src/bench/types.js';
import { PACKAGE } from '../../src/common/version.js';
import { FORMULATIONS } from '../../src/model/formulation.js';
import { benchWithLines, smallBench } from '../helpers/bench.js';

/** Every value of a JSON report, nested ones included. */
function values(x: unknown): unknown[] {
  if (x === null || typeof x !== 'object') return [x];
  return Object.values(x).flatMap(values);
}

describe('the JSON report: what tells runs apart', () => {
  let results: ModeResult[];
  let before: number;
  beforeAll(async () => {
    before = Date.now();
    const o = smallBench('node', 'cpu', {
      collectOutputs: false,
      model: { head: 'fc', classes: 10, dropout: 0.5, seed: 7, lrn: 'paper' },
      training: { loss: 'softmax-cross-entropy', wrt: 'all' },
    });
    ({ results } = await benchWithLines(o));
  }, 60_000);

  it('records the model, the tool, the machine and the start, with a schema version', () => {
    const [forward, backward] = results;
    expect(forward).toMatchObject({
      schema: REPORT_SCHEMA,
      mode: 'forward',
      image_size: 67,
      lrn: 'paper',
      head: 'fc',
      classes: 10,
      dropout: 0.5,
      seed: 7,
      // the loss and what is differentiated apply to forward-backward only
      loss: null,
      wrt: null,
      tool: PACKAGE.name,
      tool_version: PACKAGE.version,
      node_version: process.version,
      os_platform: platform(),
      os_release: release(),
      cpu_cores: cpus().length,
      // a library call that gave no command line
      argv: null,
    });
    expect(forward!.cpu).toBe(cpus()[0]!.model.trim());
    expect(backward).toMatchObject({ mode: 'forward-backward', loss: 'softmax-cross-entropy', wrt: 'all', classes: 10 });
    expect(backward!.formulation.lrn_impl).toBe(FORMULATIONS.lrnImpl.auto.cpu);
    // one start for the run, before either mode ended
    expect(backward!.started_at).toBe(forward!.started_at);
    const started = Date.parse(forward!.started_at);
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(started).toBeLessThanOrEqual(Date.parse(forward!.date));
    expect(forward!.gpu === null || typeof forward!.gpu === 'string').toBe(true);
  });

  it('keeps the fields other tools read', () => {
    for (const r of results)
      for (const key of ['runtime', 'ep', 'mode', 'batch', 'mean_s', 'sd_s', 'device', 'flops_per_batch', 'tf32'])
        expect(r, key).toHaveProperty(key);
  });

  it("has one 'not applicable': null, never '-'", () => {
    for (const r of results) expect(values(JSON.parse(jsonReport([r]))), r.mode).not.toContain('-');
    expect(results[0]!.formulation).toMatchObject({ maxpool_grad: null, conv_weight_grad: null, conv_data_grad: null });
    expect(results[0]!.tf32).toBeNull();
  });

  it('gives the command line a caller names', async () => {
    const o = smallBench('node', 'cpu', { collectOutputs: false, modes: ['forward'], steps: 1, argv: ['my-tool', '--x'] });
    const { results: r } = await benchWithLines(o);
    expect(r[0]!.argv).toEqual(['my-tool', '--x']);
  }, 60_000);

  it('writes an array for --json and one line per mode for --append', () => {
    expect(JSON.parse(jsonReport(results))).toHaveLength(2);
    const lines = jsonLines(results).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines.slice(0, 2).map((l) => JSON.parse(l).mode)).toEqual(['forward', 'forward-backward']);
  });
});

describe('modelFields', () => {
  const meta = {
    'alexnet.kind': 'training',
    'alexnet.imageSize': '224',
    'alexnet.lrn': 'tf-benchmark',
    'alexnet.head': 'none',
    'alexnet.classes': '1000',
    'alexnet.dropout': '0',
    'alexnet.seed': '1',
    'alexnet.loss': 'l2',
    'alexnet.wrt': 'conv',
  };

  it("reads an exported model's options; classes apply to the FC head only", () => {
    expect(modelFields(meta, 'forward-backward', 224)).toEqual({
      image_size: 224,
      lrn: 'tf-benchmark',
      head: 'none',
      classes: null,
      dropout: 0,
      loss: 'l2',
      wrt: 'conv',
      seed: 1,
    });
  });

  it('claims nothing for a model alexnet-onnx did not write, or a key a file lacks', () => {
    const { 'alexnet.kind': _, ...foreign } = meta;
    expect(modelFields(foreign, 'forward-backward', 100)).toEqual({
      image_size: 100,
      lrn: null,
      head: null,
      classes: null,
      dropout: null,
      loss: null,
      wrt: null,
      seed: null,
    });
    expect(modelFields({ 'alexnet.kind': 'forward', 'alexnet.head': 'fc' }, 'forward', 67)).toMatchObject({
      head: 'fc',
      classes: null,
      seed: null,
    });
  });
});
