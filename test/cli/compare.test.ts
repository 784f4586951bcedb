import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUT_FILES } from '../../src/cli/compare.js';
import { cli, tempDir } from '../helpers/cli.js';
import { pythonHas } from '../scripts/peers.js';

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));
const SMALL = ['--batch', '1', '--image-size', '67', '--steps', '2', '--burn-in', '0', '--threads', '1'];
// compare.mjs's default TensorFlow Python; TensorFlow is not part of the set-up or of CI
const TF_PYTHON = process.env.ALEXNET_TF_PYTHON ?? '/opt/venv-tf/bin/python';
const tfReady = pythonHas(TF_PYTHON, 'tensorflow');

/** The table's rows, each split into its cells. */
const rows = (stdout: string): string[][] =>
  stdout
    .split('\n')
    .filter((l) => /^\d+ /.test(l))
    .map((l) => l.split(/\s{2,}/));

describe('alexnet-onnx compare', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    // a --json report, and an --append file that two runs wrote
    expect(cli(['bench', ...SMALL, '--json', join(dir, 'a.json')]).status).toBe(0);
    for (let i = 0; i < 2; i++) expect(cli(['bench', ...SMALL, '--mode', 'forward', '--append', join(dir, 's.jsonl')]).status).toBe(0);
    expect(cli(['bench', ...SMALL, '--profile', '1', '--json', join(dir, 'p.json')]).status).toBe(0);
  });

  it('prints each run against the first, the --append series run by run', () => {
    const r = cli(['compare', 'a.json', 's.jsonl'], dir);
    expect(r.status, r.stderr).toBe(0);
    const table = rows(r.stdout);
    expect(table.map((row) => row.slice(0, 4))).toEqual([
      ['1', 'a.json', 'node/cpu', '1'],
      ['2', 's.jsonl#1', 'node/cpu', '1'],
      ['3', 's.jsonl#2', 'node/cpu', '1'],
    ]);
    expect(table[0]![5]).toBe('baseline');
    expect(table[1]![5]).toMatch(/^\d+\.\d\d$/);
    // each mode's peak memory (Linux); the series timed forward only
    if (process.platform === 'linux') expect(table[1]![6]).toMatch(/^\d+$/);
    expect(table[1]!.slice(7, 10)).toEqual(['n/a', 'n/a', 'n/a']);
    expect(r.stdout).toMatch(/^baseline: #1 a\.json \(node\/cpu, batch 1\)/m);
    expect(r.stdout).not.toMatch(/wrote/);
    // no run has per-layer times
    expect(r.stdout).not.toMatch(/per layer|per-layer/);
  });

  it("puts the runs' per-layer times side by side, each mode's, after the other tables", () => {
    // a TensorFlow peer report as scripts/peer_tensorflow.py --profile writes one: its own layer names, an fc head
    const ours = JSON.parse(readFileSync(join(dir, 'p.json'), 'utf8')) as Record<string, unknown>[];
    const layer = (name: string, f: number, b = 0) => ({ layer: name, forward_ms: f, backward_ms: b });
    const tf = ours.map((e) => ({
      runtime: 'tensorflow',
      ep: 'cpu',
      mode: e.mode,
      batch: 1,
      mean_s: 0.002,
      sd_s: 0.0001,
      device: 'dev',
      inter_op_threads: 1,
      profile: [layer('conv1', 0.5, e.mode === 'forward' ? 0 : 0.25), layer('pool5', 0.125), layer('fc6', 1), layer('(other)', 0)],
    }));
    writeFileSync(join(dir, 'tf.json'), JSON.stringify(tf));
    const r = cli(['compare', 'p.json', 'tf.json', 'a.json'], dir);
    expect(r.status, r.stderr).toBe(0);
    const [, forward, backward] = r.stdout.split(/^(?=Forward)/m);
    expect(r.stdout.indexOf('Forward per layer')).toBeGreaterThan(r.stdout.indexOf('baseline: #1'));
    expect(forward).toMatch(
      /^Forward per layer, ms per step .*:\n {2}#1 = p\.json node\/cpu: .*\n {2}#2 = tf\.json tensorflow\/cpu: TensorFlow step stats, 1 inter-op thread/,
    );
    const lines = (text: string) =>
      text
        .trim()
        .split('\n')
        .slice(3)
        .map((l) => l.split(/\s{2,}/));
    const f = lines(forward!);
    expect(f[0]).toEqual(['layer', '#1 fwd ms', '#2 fwd ms']);
    // bench's layers in network order, TensorFlow's fc6 after pool5, the rows that are no layer last
    const names = f.map((row) => row[0]);
    expect(names.slice(1, 11)).toEqual(['conv1', 'lrn1', 'pool1', 'conv2', 'lrn2', 'pool2', 'conv3', 'conv4', 'conv5', 'pool5']);
    expect(names.slice(11)).toEqual(['fc6', '(runtime)', '(other)', 'total']);
    expect(f[2]![2]).toBe('-');
    expect(f[1]![1]).toMatch(/^\d+\.\d\d$/);
    expect(f.at(-1)![2]).toBe('1.63');
    const b = lines(backward!.split('\n\n')[0]!);
    expect(b[0]).toEqual(['layer', '#1 fwd ms', '#1 bwd ms', '#2 fwd ms', '#2 bwd ms']);
    expect(b.find((row) => row[0] === 'conv1')!.slice(3)).toEqual(['0.50', '0.25']);
    expect(b.find((row) => row[0] === 'loss')!.slice(3)).toEqual(['-', '-']);
    // the run without --profile has no columns, and is named once
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('no per-layer times: #3 (run without --profile)');
  });

  it('divides by the run --baseline names, and writes the chart (--svg) or the table and chart (--out)', () => {
    const svg = join(dir, 'c.svg');
    const r = cli(['compare', 'a.json', 's.jsonl', '--baseline', '3', '--svg', svg], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(rows(r.stdout)[2]![5]).toBe('baseline');
    expect(r.stdout).toMatch(/^baseline: #3 s\.jsonl#2 /m);
    expect(r.stdout).toContain(`wrote ${svg}`);
    const chart = readFileSync(svg, 'utf8');
    expect(chart).toMatch(/^<svg /);
    for (const name of ['a.json: node/cpu', 's.jsonl#1: node/cpu', 's.jsonl#2: node/cpu']) expect(chart).toContain(`>${name}</text>`);
    const out = join(dir, 'out');
    const o = cli(['compare', 'a.json', 's.jsonl', '-o', out], dir);
    expect(o.status, o.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual([OUT_FILES.table, OUT_FILES.chart].sort());
    // the file holds what was printed, up to the lines saying what was written
    expect(readFileSync(join(out, OUT_FILES.table), 'utf8')).toBe(o.stdout.split(/^wrote /m)[0]);
  });

  it("shows train-step reports as a third column group, with the optimizer's line and a third bar", () => {
    // a train-step report as bench (report schema 4) and the PyTorch peer write one: mode train-step, its optimizer
    const [, fb] = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as Record<string, unknown>[];
    const optimizer = { kind: 'adamw', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 };
    const mean = (fb!.mean_s as number) * 1.5;
    writeFileSync(join(dir, 't.json'), JSON.stringify([{ ...fb, schema: 4, mode: 'train-step', mean_s: mean, optimizer }]));
    const svg = join(dir, 't.svg');
    const r = cli(['compare', 't.json', 'a.json', '--svg', svg], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(
      r.stdout
        .split('\n')[0]!
        .split(/\s{2,}/)
        .slice(10, 14),
    ).toEqual(['train-step ms', 'x baseline', 'peak MB', 'device']);
    const table = rows(r.stdout);
    expect(table[0]!.slice(4, 6)).toEqual(['n/a', 'n/a']);
    expect(table[0]!.slice(10, 12)).toEqual([`${(mean * 1000).toFixed(2)} +/- ${((fb!.sd_s as number) * 1000).toFixed(2)}`, 'baseline']);
    // the schema 3 report has no train-step
    expect(table[1]!.slice(10, 13)).toEqual(['n/a', 'n/a', 'n/a']);
    expect(r.stdout).toMatch(/^train-step = .*: adamw \(lr 0\.001, beta1 0\.9, beta2 0\.999, eps 1e-8, weight_decay 0\.01\)$/m);
    expect(readFileSync(svg, 'utf8')).toContain('>train-step</text>');
  });

  it.each([
    [['nope.json'], /^alexnet-onnx: cannot read nope\.json: no such file$/],
    [['a.json', 'notes.txt'], /^alexnet-onnx: notes\.txt is not a bench --json report or --append file: line 1 is not JSON$/],
    [['other.json'], /^alexnet-onnx: other\.json is not a bench --json report or --append file: its entry has no runtime string/],
    [['.'], /^alexnet-onnx: cannot read \.: a folder, not a file$/],
    [['a.json', '--baseline', '2'], /^alexnet-onnx: --baseline must be a run's # in the table, 1 to 1, got 2$/],
    [['a.json', '-o', 'x', '--svg', 'y.svg'], /^alexnet-onnx: --out x already holds the chart .*: give --out or --svg, not both$/],
    [['a.json', '--svg', ''], /^alexnet-onnx: --svg needs a file name$/],
    [[], /^alexnet-onnx: Not enough non-option arguments/],
  ])('refuses %j with one line, exit 2', (args, message) => {
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    writeFileSync(join(dir, 'other.json'), '{"name": "x"}\n');
    const r = cli(['compare', ...args], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
  });
});

describe('scripts/compare.mjs', () => {
  it('runs a target, prints its table and writes reports and chart outside the checkout (--out: from the caller)', () => {
    const cwd = tempDir();
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [join(CHECKOUT, 'scripts/compare.mjs'), '--targets', 'node/cpu', '--batch', '1', '--steps', '1', '--burn-in', '0', ...args],
        { cwd, encoding: 'utf8', maxBuffer: 64 << 20 },
      );
    const r = run([]);
    expect(r.status, r.stderr).toBe(0);
    const out = /^wrote .* in (.+)$/m.exec(r.stdout)?.[1];
    expect(out, r.stdout).toBeDefined();
    try {
      expect(relative(tmpdir(), out!)).toMatch(/^alexnet-onnx-compare-\d{8}T\d{6}Z$/);
      expect(relative(CHECKOUT, out!)).toMatch(/^\.\./);
      const files = readdirSync(out!);
      expect(files.filter((f) => f.endsWith('-node-cpu-b1.json'))).toHaveLength(1);
      expect(files.filter((f) => /-compare-b1\.(txt|svg)$/.test(f))).toHaveLength(2);
      // the table from the same library code as `alexnet-onnx compare`, which can read the reports again
      // mean, x PyTorch (not run) and peak MB, per mode
      expect(r.stdout).toMatch(/^node\/cpu\s+\d+\.\d\d \+\/- \d+\.\d\d\s+n\/a\s+\d+\s+\d+\.\d\d \+\/- \d+\.\d\d\s+n\/a\s+\d+\s/m);
      const again = /^compare them again .*: alexnet-onnx compare (.+)$/m.exec(r.stdout)![1]!.split(' ');
      expect(cli(['compare', ...again]).status).toBe(0);
    } finally {
      rmSync(out!, { recursive: true, force: true });
    }
    const rel = run(['--out', 'results']);
    expect(rel.status, rel.stderr).toBe(0);
    expect(readdirSync(join(cwd, 'results')).filter((f) => f.endsWith('.svg'))).toHaveLength(1);
    expect(existsSync(join(CHECKOUT, 'results'))).toBe(false);
    expect(run(['--targets', 'node/tpu']).stderr).toMatch(/^compare: unknown target node\/tpu: choose from node\/cpu, /);
  });

  const compareMjs = (args: string[]) =>
    spawnSync(process.execPath, [join(CHECKOUT, 'scripts/compare.mjs'), ...args], {
      cwd: tempDir(),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });

  // the per-layer table's rows for `mode`, each split into its cells (after its title and source lines)
  const layerRows = (stdout: string, mode: string): string[][] => {
    const section = stdout.split(new RegExp(`^${mode} per layer, `, 'm'))[1]!.split('\n\n')[0]!;
    return section
      .split('\n')
      .filter((l) => !/^ {2}|^ms per step|^no per-layer/.test(l) && l.includes('  '))
      .map((l) => l.split(/\s{2,}/));
  };

  // one run for both options, to keep this file's time down
  it('with --train-step times the training step on bench and the PyTorch peer with the same optimizer; with --profile, per layer on bench', () => {
    const out = tempDir();
    const args = ['--targets', 'node/cpu,pytorch/cpu', '--batch', '1', '--steps', '1', '--burn-in', '0', '--out', out, '--profile', '1'];
    const r = compareMjs([...args, '--train-step', '--optimizer', 'sgd', '--nesterov', '--lr', '0.0001']);
    expect(r.status, r.stderr).toBe(0);
    const step = '--mode train-step --optimizer sgd --lr 0.0001 --momentum 0.9 --nesterov --weight-decay 0';
    expect(r.stdout).toContain(
      `== node/cpu train-step: ${process.execPath} dist/cli/bin.js bench --runtime node --ep cpu --batch 1 --steps 1 --burn-in 0 --log-every 10 ${step} --profile 1 --json `,
    );
    expect(r.stdout).toMatch(/^== node\/cpu: \S+ dist\/cli\/bin\.js bench .* --fetch grads --profile 1 --json /m);
    // the PyTorch peer has no --profile
    expect(r.stdout).toMatch(
      new RegExp(`^== pytorch/cpu train-step: \\S+ scripts/peer_pytorch.py .* --log-every 10 ${step} --threads \\d+ --json `, 'm'),
    );
    expect(/^== pytorch\/cpu: (.*)$/m.exec(r.stdout)?.[1]).not.toMatch(/--profile/);
    // mean, x PyTorch, peak MB for each of the three modes
    const cells = String.raw`\s+\d+\.\d\d \+\/- \d+\.\d\d\s+(\S+)\s+\d+`;
    const node = new RegExp(`^node/cpu${cells}${cells}${cells}\\s`, 'm').exec(r.stdout);
    expect(node, r.stdout).not.toBeNull();
    for (const ratio of node!.slice(1)) expect(ratio).toMatch(/^\d+\.\d\d$/);
    expect(r.stdout).toMatch(/^train-step = .*: sgd \(lr 0\.0001, momentum 0\.9, nesterov true, weight_decay 0\)$/m);
    expect(readdirSync(out).filter((f) => f.endsWith('-train-step.json'))).toHaveLength(2);
    // a per-layer table per mode, bench's columns only, after the other tables
    expect(r.stdout.indexOf('Forward per layer, ')).toBeGreaterThan(r.stdout.indexOf('train-step = '));
    const f = layerRows(r.stdout, 'Forward');
    expect(f[0]).toEqual(['layer', 'node/cpu fwd ms']);
    expect(f.map((row) => row[0])).toContain('conv5');
    expect(f.at(-1)![0]).toBe('total');
    for (const mode of ['Forward-backward', 'Train-step'])
      expect(layerRows(r.stdout, mode)[0]).toEqual(['layer', 'node/cpu fwd ms', 'node/cpu bwd ms']);
    // said once: the PyTorch peer has no per-layer times
    expect(r.stdout.match(/PyTorch peer has no per-layer profile/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/^no per-layer times: pytorch\/cpu \(the PyTorch peer has no per-layer profile\)$/m);
  });

  it.skipIf(!tfReady)(
    `with --profile runs the TensorFlow peer with --profile N and one inter-op thread${tfReady ? '' : ` (skipped: no tensorflow in ${TF_PYTHON})`}`,
    () => {
      const out = tempDir();
      const args = ['--targets', 'node/cpu,tensorflow/cpu', '--batch', '1', '--steps', '1', '--burn-in', '0', '--profile', '1'];
      const r = compareMjs([...args, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^== tensorflow\/cpu: \S+ scripts\/peer_tensorflow\.py .* --inter-op-threads 1 --profile 1 --json /m);
      expect(r.stdout).toMatch(/^ {2}tensorflow\/cpu: TensorFlow step stats, 1 inter-op thread: /m);
      const b = layerRows(r.stdout, 'Forward-backward');
      expect(b[0]).toEqual(['layer', 'node/cpu fwd ms', 'node/cpu bwd ms', 'tensorflow/cpu fwd ms', 'tensorflow/cpu bwd ms']);
      const conv2 = b.find((row) => row[0] === 'conv2')!;
      for (const cell of conv2.slice(1)) expect(Number(cell)).toBeGreaterThan(0);
    },
  );

  it.each([
    [['--profile', '1.5'], 'compare: --profile must be a whole number of steps >= 0, got 1.5'],
    [['--profile=x'], 'compare: --profile must be a whole number of steps >= 0, got x'],
    [['--lr', '0.1', '--optimizer', 'adamw'], 'compare: --optimizer, --lr shape the training step: add --train-step'],
    [['--train-step', '--optimizer', 'adamw', '--momentum', '0.5'], 'compare: --momentum is not a hyperparameter of --optimizer adamw'],
    [['--train-step', '--optimizer', 'lion'], 'compare: --optimizer must be one of sgd, adamw, got lion'],
    [['--train-step', '--lr', '0'], 'compare: --lr must be a number > 0, got 0'],
  ])('refuses %j in one line, exit code 2, before running anything', (args, message) => {
    const r = compareMjs(args);
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', `${message}\n`]);
  });
});
