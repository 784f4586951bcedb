import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportEntry } from '../../src/bench/compare.js';
import { parseReportEntries, ReportFileError, readRuns, splitRuns } from '../../src/bench/compare-input.js';
import { tempDir } from '../helpers/cli.js';
import { reportEntry } from '../helpers/report-entry.js';

const entry = (mode: string, started_at?: string, over: Partial<ReportEntry> = {}): ReportEntry =>
  reportEntry({ mode, ...(started_at ? { started_at } : {}), ...over });

describe('reading saved reports', () => {
  it('reads a --json array, a single object and JSON Lines', () => {
    const two = [entry('forward'), entry('forward-backward')];
    expect(parseReportEntries(JSON.stringify(two, null, 2), 'a.json')).toEqual(two);
    expect(parseReportEntries(JSON.stringify(two[0]), 'o.json')).toEqual([two[0]]);
    expect(parseReportEntries(`${two.map((t) => JSON.stringify(t)).join('\n')}\n\n`, 's.jsonl')).toEqual(two);
  });

  it.each([
    ['', /^e\.json is not a bench --json report or --append file: it holds no results$/],
    ['{"a": 1}\nnot json\n', /^e\.json is not .*: line 2 is not JSON$/],
    ['{"name": "alexnet-onnx"}', /: its entry has no runtime string/],
    [JSON.stringify([entry('forward'), { ...entry('forward'), mean_s: '0.1' }]), /: entry 2 has no mean_s/],
    [
      JSON.stringify([{ ...entry('forward'), mode: 'train' }]),
      /: its entry has mode "train", not one of forward, forward-backward, train-step$/,
    ],
    [JSON.stringify([entry('train-step')]), /: its entry has mode train-step but no optimizer \(an object with kind and lr\)$/],
    [
      JSON.stringify([entry('train-step', undefined, { optimizer: { kind: 'sgd' } as never })]),
      /: its entry has mode train-step but no optimizer/,
    ],
    [JSON.stringify([{ ...entry('forward'), batch: 0 }]), /: its entry has no batch/],
    [JSON.stringify([{ ...entry('forward'), sd_s: null }]), /: its entry has no sd_s/],
    ['[1, 2]', /: entry 1 is not a JSON object/],
    [
      JSON.stringify([{ ...entry('forward'), profile: {} }]),
      /: its entry has a profile that is not a list of \{layer, forward_ms, backward_ms\}$/,
    ],
    [JSON.stringify([{ ...entry('forward'), profile: [{ layer: 'conv1', forward_ms: '1' }] }]), /: its entry has a profile that is not/],
  ])('refuses %j with one line naming the file', (text, message) => {
    expect(() => parseReportEntries(text, 'e.json')).toThrow(ReportFileError);
    expect(() => parseReportEntries(text, 'e.json')).toThrow(message);
  });

  it('reads per-layer profiles (prefix timing can give a layer a negative time), and null for none', () => {
    const profile = [{ layer: 'conv1', forward_ms: 1.5, backward_ms: -0.2 }];
    const both = [
      { ...entry('forward'), profile },
      { ...entry('forward-backward'), profile: null },
    ];
    expect(parseReportEntries(JSON.stringify(both), 'p.json').map((e) => e.profile)).toEqual([profile, null]);
  });

  it('reads train-step entries with their optimizer, and reports of the schemas before them', () => {
    const optimizer = { kind: 'adamw' as const, lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };
    const now = [
      { ...entry('forward', 't'), schema: 4, optimizer: null },
      { ...entry('train-step', 't'), schema: 4, optimizer },
    ];
    expect(parseReportEntries(JSON.stringify(now), 'a.json').map((e) => e.optimizer)).toEqual([null, optimizer]);
    expect(splitRuns(now, 'a.json')).toHaveLength(1);
    // schema 3 (peak memory, no optimizer field) and 2
    const old = [
      { ...entry('forward', 't'), schema: 3, peak_rss_bytes: 4e8 },
      { ...entry('forward-backward', 't'), schema: 2 },
    ];
    expect(parseReportEntries(JSON.stringify(old), 'old.json')).toEqual(old);
  });

  it('splits a series into runs: a new start time, target or batch, or a mode again', () => {
    const runs = splitRuns(
      [
        entry('forward', 't1'),
        entry('forward-backward', 't1'),
        entry('forward', 't2'),
        entry('forward', 't2'),
        entry('forward', 't2', { runtime: 'web', ep: 'wasm' }),
        entry('forward', 't2', { runtime: 'web', ep: 'wasm', batch: 2 }),
      ],
      's.jsonl',
    );
    expect(runs.map((r) => [r.label, r.entries.length])).toEqual([
      ['s.jsonl#1', 2],
      ['s.jsonl#2', 1],
      ['s.jsonl#3', 1],
      ['s.jsonl#4', 1],
      ['s.jsonl#5', 1],
    ]);
    // one run keeps the file's name; reports without start times (version 1, the PyTorch peer) are one run each
    expect(splitRuns([entry('forward'), entry('forward-backward')], 'a.json').map((r) => r.label)).toEqual(['a.json']);
  });

  it('names an unreadable file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'folder.json'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify([entry('forward')]));
    expect(readRuns([join(dir, 'ok.json')]).map((r) => r.entries.length)).toEqual([1]);
    expect(() => readRuns([join(dir, 'ok.json'), join(dir, 'none.json')])).toThrow(`cannot read ${join(dir, 'none.json')}: no such file`);
    expect(() => readRuns([join(dir, 'folder.json')])).toThrow(/folder\.json: a folder, not a file$/);
  });
});
