import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../../src/model/export.js';
import { tempDir } from '../helpers/cli.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/bench-wasm-ops.mjs', import.meta.url));

interface TraceEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name: string };
}
interface Summary {
  byOp: Map<string, number>;
  byNode: Map<string, { op: string; ms: number }>;
  runs: number;
}
interface Script {
  summarizeProfile(events: TraceEvent[], warmup: number): Summary;
  parsePrintedProfile(text: string): TraceEvent[];
  median(xs: number[]): number;
}

/** The script's exports (imported by URL: it is plain JavaScript, without type declarations). */
const script = (): Promise<Script> => import(pathToFileURL(SCRIPT).href) as Promise<Script>;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A profile of three runs: per run, a Conv (`c`) of 1000 us and two Mul nodes of 100 and 300 us, run 0 slower. */
function profile(): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (let r = 0; r < 3; r++) {
    const t = r * 10_000;
    const slow = r === 0 ? 10 : 1;
    events.push({ cat: 'Session', name: 'model_run', ts: t, dur: 5000 });
    events.push({ cat: 'Node', name: 'c_kernel_time', ts: t + 1, dur: 1000 * slow, args: { op_name: 'Conv' } });
    events.push({ cat: 'Node', name: 'm1_kernel_time', ts: t + 2, dur: 100 * slow, args: { op_name: 'Mul' } });
    events.push({ cat: 'Node', name: 'm2_kernel_time', ts: t + 3, dur: 300 * slow, args: { op_name: 'Mul' } });
    events.push({ cat: 'Node', name: 'm2_fence_before', ts: t + 3, dur: 7777, args: { op_name: 'Mul' } });
  }
  return events;
}

describe('scripts/bench-wasm-ops.mjs', () => {
  it('sums kernel times per op type and per node, per run, leaving out the warm-up runs', async () => {
    const { summarizeProfile } = await script();
    const s = summarizeProfile(profile(), 1);
    expect(s.runs).toBe(2);
    expect([...s.byOp]).toEqual([
      ['Conv', 1],
      ['Mul', 0.4],
    ]);
    expect(s.byNode.get('m2')).toEqual({ op: 'Mul', ms: 0.3 });
    expect([...s.byNode.keys()]).toEqual(['c', 'm2', 'm1']);
    expect(summarizeProfile(profile(), 0).byOp.get('Conv')).toBe(4);
    expect(() => summarizeProfile(profile(), 3)).toThrow(/3 runs, warm-up 3/);
  });

  it('reads the profile onnxruntime-web prints among other output, and the median', async () => {
    const { parsePrintedProfile, median } = await script();
    const text = `some log line\n[\n${JSON.stringify(profile()[0])},\n${JSON.stringify(profile()[1])}\n]\nmore\n`;
    expect(parsePrintedProfile(text).map((e) => e.name)).toEqual(['model_run', 'c_kernel_time']);
    expect(() => parsePrintedProfile('no profile here')).toThrow(/printed no profile/);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('refuses a bad command line with one line and exit code 2', () => {
    for (const args of [[], ['profile'], ['ceiling', 'x.onnx'], ['profile', 'x.onnx', '--runs', '0'], ['ceiling', '--speed', '2']]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^bench-wasm-ops: .*\nusage: /);
    }
  });

  it('profiles a model in onnxruntime-node and onnxruntime-web and lists both per op type', () => {
    const r = run(['profile', smallModel(), '--runs', '1', '--warmup', '1', '--top', '3']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/median CPU ms per run: node [\d.]+, wasm [\d.]+ \([\d.]+x\)/);
    // both runtimes timed the convs; the wasm build has no NCHWc layout, so its fused convs appear as FusedConv
    expect(r.stdout).toMatch(/^FusedConv +- +[\d.]+ +- +[\d.]+%$/m);
    expect(r.stdout).toMatch(/^MaxPool +[\d.]+ +[\d.]+ +[\d.-]+ +[\d.]+%$/m);
    expect(r.stdout.match(/^conv\d\.conv +FusedConv +wasm/gm)?.length).toBe(3);
  });

  it('times each wasm session option set in alternated rounds', () => {
    const r = run(['options', smallModel(), '--rounds', '1']);
    expect(r.status, r.stderr).toBe(0);
    for (const set of [
      'runner \\(arena off, pattern off\\)',
      'arena on',
      'arena \\+ memory pattern',
      'graph opt basic',
      'graph opt extended',
    ])
      expect(r.stdout).toMatch(new RegExp(`^${set} +[\\d.]+ +\\([\\d.]+\\)$`, 'm'));
  });

  it('gives the GFLOP/s of the big Conv and MatMul in both runtimes (needs dist/)', () => {
    const r = run(['ceiling', '--runs', '1']);
    expect(r.status, r.stderr).toBe(0);
    for (const op of ['Conv', 'MatMul'])
      expect(r.stdout).toMatch(new RegExp(`^${op} \\[.* node +[\\d.]+ GFLOP/s +wasm +[\\d.]+ GFLOP/s +node/wasm [\\d.]+x$`, 'm'));
  });
});

/** A small exported forward model (batch 1, 67x67 images), written once per test. */
function smallModel(): string {
  const model = join(tempDir('wasm-ops-'), 'small.onnx');
  writeFileSync(model, modelBytes(buildForwardModel({ ...DEFAULT_OPTIONS, batch: 1, imageSize: 67 })));
  return model;
}
