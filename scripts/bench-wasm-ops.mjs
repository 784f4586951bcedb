#!/usr/bin/env node
// Where onnxruntime-web's WebAssembly time goes, against onnxruntime-node's CPU EP on the same graph and CPU
// (docs/benchmarks.md, "onnxruntime-web (WebAssembly) against onnxruntime-node"). Run after `npm run build`:
//   node scripts/bench-wasm-ops.mjs profile MODEL.onnx [--runs 5] [--warmup 2] [--threads 1] [--top 12]
//       ORT's profiler in both runtimes, ms per run by op type and the slowest nodes, with the wasm/node ratio
//   node scripts/bench-wasm-ops.mjs options MODEL.onnx [--rounds 5] [--threads 1]
//       wasm session options (memory arena, memory pattern, graph optimization level), alternated runs
//   node scripts/bench-wasm-ops.mjs ceiling [--runs 5] [--threads 1]
//       GFLOP/s of one big Conv and one big MatMul in both runtimes: the most the wasm build can reach here
// Times are process CPU time per run where one thread runs (the main thread runs the WebAssembly with --threads 1),
// so that other jobs on the machine do not count; wall time otherwise.
import fs, { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { parsePrintedProfile } from '../dist/runners/trace.js';

// the library's reader of the profile onnxruntime-web prints on stdout, exported for the script's test
export { parsePrintedProfile };

/** Usage line, printed with exit code 2 on a bad command line. */
export const USAGE =
  'usage: node scripts/bench-wasm-ops.mjs profile|options MODEL.onnx | ceiling [--runs N] [--warmup N] [--rounds N] [--threads N] [--top N]';

/**
 * Per op type, milliseconds per run of ORT profile events (Chrome trace JSON, microseconds), leaving out the first
 * `warmup` runs: `{ byOp: Map<op, ms>, byNode: Map<node, {op, ms}>, runs }`, sorted slowest first.
 */
export function summarizeProfile(events, warmup) {
  const starts = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run')
    .map((e) => e.ts)
    .sort((a, b) => a - b);
  const runOf = (ts) => starts.filter((s) => s <= ts).length - 1;
  const runs = starts.length - warmup;
  if (runs < 1) throw new Error(`the profile has ${starts.length} runs, warm-up ${warmup}: nothing left to count`);
  const byOp = new Map();
  const byNode = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || runOf(e.ts) < warmup) continue;
    const op = e.args?.op_name ?? '?';
    const node = e.name.slice(0, -'_kernel_time'.length);
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur / 1000 / runs);
    const n = byNode.get(node) ?? { op, ms: 0 };
    n.ms += e.dur / 1000 / runs;
    byNode.set(node, n);
  }
  const sorted = (m, ms) => new Map([...m].sort((a, b) => ms(b[1]) - ms(a[1])));
  return { byOp: sorted(byOp, (v) => v), byNode: sorted(byNode, (v) => v.ms), runs };
}

/** CPU milliseconds (user + system) that `f` takes in this process, and its wall milliseconds. */
async function timed(f) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
}

/** onnxruntime-web's WebAssembly build, compiled by TurboFan only, as bench runs it. */
async function loadWeb(threads) {
  v8.setFlagsFromString('--no-liftoff');
  const mod = await import('onnxruntime-web');
  const ort = mod.default ?? mod;
  ort.env.wasm.numThreads = threads;
  return ort;
}

/** Random-ish feeds for every input of `session` (float32 or int64 labels), from its input metadata. */
function feedsFor(ort, session) {
  const feeds = {};
  for (const m of session.inputMetadata) {
    const n = m.shape.reduce((a, b) => a * b, 1);
    feeds[m.name] =
      m.type === 'int64'
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)),
            m.shape,
          )
        : new ort.Tensor(
            'float32',
            Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)),
            m.shape,
          );
  }
  return feeds;
}

/** Profiles `runs` runs after `warmup` of `model` in one runtime; `stdout` captures what onnxruntime-web prints. */
async function profileOne(runtime, ort, model, o, stdout) {
  const common = { graphOptimizationLevel: 'all', enableProfiling: true, logSeverityLevel: 3 };
  const dir = mkdtempSync(join(tmpdir(), 'wasm-ops-'));
  const options =
    runtime === 'web'
      ? { ...common, executionProviders: ['wasm'] }
      : { ...common, executionProviders: ['cpu'], intraOpNumThreads: o.threads, profileFilePrefix: join(dir, 'p') };
  const session = await ort.InferenceSession.create(model, options);
  const feeds = feedsFor(ort, session);
  const cpu = [];
  for (let i = 0; i < o.warmup + o.runs; i++) {
    const t = await timed(() => session.run(feeds));
    if (i >= o.warmup) cpu.push(o.threads === 1 ? t.cpu : t.wall);
  }
  let events;
  if (runtime === 'web') {
    const printed = await stdout.capture(() => session.endProfiling());
    events = parsePrintedProfile(printed);
  } else {
    await session.endProfiling();
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (!file) throw new Error('onnxruntime-node wrote no profile');
    events = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  }
  rmSync(dir, { recursive: true, force: true });
  await session.release();
  return { ...summarizeProfile(events, o.warmup), ms: median(cpu) };
}

/** The median of `xs`. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Tees onnxruntime-web's stdout writes (`fs.writeSync(1, ...)`, where its profile goes in Node) into a string. */
function stdoutTee() {
  let buffer;
  const original = fs.writeSync;
  fs.writeSync = (fd, data, ...rest) => {
    if (fd === 1 && buffer !== undefined && typeof data === 'string') {
      buffer += data;
      return Buffer.byteLength(data);
    }
    return original(fd, data, ...rest);
  };
  return {
    async capture(f) {
      buffer = '';
      try {
        await f();
        return buffer;
      } finally {
        buffer = undefined;
      }
    },
  };
}

const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
const ratio = (a, b) => (a && b ? (a / b).toFixed(1) : '-');

/** `profile`: both runtimes' per-op times side by side. */
async function profile(modelPath, o) {
  const stdout = stdoutTee();
  const model = readFileSync(modelPath);
  const node = await profileOne('node', (await import('onnxruntime-node')).default, model, o, stdout);
  const web = await profileOne('web', await loadWeb(o.threads), model, o, stdout);
  const unit = o.threads === 1 ? 'CPU ms' : 'wall ms';
  console.log(
    `${modelPath}: ${o.runs} runs after ${o.warmup}, ${o.threads} thread(s); median ${unit} per run: node ${fmt(node.ms)}, wasm ${fmt(web.ms)} (${ratio(web.ms, node.ms)}x)`,
  );
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`kernel ms per run (ORT profiler): node ${fmt(sum(node.byOp))}, wasm ${fmt(sum(web.byOp))}`);
  // The profiler's events are wall time: on a busy machine they take in the time other jobs had the CPU.
  if (o.threads === 1 && (sum(node.byOp) > 1.15 * node.ms || sum(web.byOp) > 1.15 * web.ms))
    console.log('warning: kernel times exceed the CPU time by > 15%: the machine was busy, so the per-op rows are inflated');
  console.log('');
  console.log('op type                 node ms   wasm ms  wasm/node  share of wasm');
  const ops = new Set([...web.byOp.keys(), ...node.byOp.keys()]);
  const total = sum(web.byOp);
  for (const op of ops) {
    const n = node.byOp.get(op);
    const w = web.byOp.get(op);
    console.log(
      `${op.padEnd(22)} ${fmt(n).padStart(8)} ${fmt(w).padStart(9)} ${ratio(w, n).padStart(10)} ${w ? `${((100 * w) / total).toFixed(1)}%` : '-'}`.trimEnd(),
    );
  }
  console.log(`\nslowest ${o.top} nodes on wasm (node's op and time where it kept the node's name)`);
  for (const [name, { op, ms }] of [...web.byNode].slice(0, o.top)) {
    const n = node.byNode.get(name) ?? node.byNode.get(`${name}_nchwc`);
    console.log(
      `${name.padEnd(34)} ${op.padEnd(12)} wasm ${fmt(ms).padStart(7)}  node ${n ? `${fmt(n.ms).padStart(6)} (${n.op})` : '     -'}`,
    );
  }
}

/** `options`: wasm session options, each set in its own session, alternated round by round. */
async function options(modelPath, o) {
  const ort = await loadWeb(o.threads);
  const model = readFileSync(modelPath);
  const sets = {
    'runner (arena off, pattern off)': {},
    'arena on': { enableCpuMemArena: true },
    'arena + memory pattern': { enableCpuMemArena: true, enableMemPattern: true },
    'graph opt basic': { graphOptimizationLevel: 'basic' },
    'graph opt extended': { graphOptimizationLevel: 'extended' },
  };
  const times = Object.fromEntries(Object.keys(sets).map((k) => [k, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (const [name, extra] of Object.entries(sets)) {
      const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', ...extra });
      const feeds = feedsFor(ort, session);
      await session.run(feeds);
      const t = await timed(() => session.run(feeds));
      times[name].push(o.threads === 1 ? t.cpu : t.wall);
      await session.release();
    }
  }
  const unit = o.threads === 1 ? 'CPU ms' : 'wall ms';
  console.log(`${modelPath}: wasm, ${o.threads} thread(s), median ${unit} of ${o.rounds} alternated rounds (second run of each session)`);
  for (const [name, xs] of Object.entries(times))
    console.log(`${name.padEnd(34)} ${fmt(median(xs)).padStart(8)}  (${xs.map(fmt).join(' ')})`);
}

/** One-node models for the ceiling: a conv3-sized Conv at batch 32 and a square MatMul. */
async function ceilingModels() {
  const { GraphBuilder } = await import('../dist/onnx/builder.js');
  const { encodeModel } = await import('../dist/onnx/serialize.js');
  const { attr } = await import('../dist/onnx/types.js');
  const info = { producerName: 'bench-wasm-ops', producerVersion: '1', doc: '', metadata: {} };
  const rnd = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 0.1);
  const conv = new GraphBuilder('conv');
  const x = conv.input('x', { dtype: 'float32', shape: [32, 192, 13, 13] });
  const w = conv.initializer('w', 'float32', [384, 192, 3, 3], rnd(384 * 192 * 9));
  conv.output(conv.op1('Conv', [x, w], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }, { name: 'y' }));
  const mm = new GraphBuilder('matmul');
  const a = mm.input('a', { dtype: 'float32', shape: [1024, 1024] });
  const b = mm.initializer('b', 'float32', [1024, 1024], rnd(1024 * 1024));
  mm.output(mm.op1('MatMul', [a, b], {}, { name: 'y' }));
  return [
    { name: 'Conv [32,192,13,13] * [384,192,3,3]', bytes: encodeModel(conv.build(), info), flops: 2 * 32 * 384 * 13 * 13 * 192 * 9 },
    { name: 'MatMul [1024,1024] x [1024,1024]', bytes: encodeModel(mm.build(), info), flops: 2 * 1024 ** 3 },
  ];
}

/** `ceiling`: GFLOP/s of the ceiling models in both runtimes, median of `runs` runs after one. */
async function ceiling(o) {
  const runtimes = { node: (await import('onnxruntime-node')).default, wasm: await loadWeb(o.threads) };
  const unit = o.threads === 1 ? 'CPU time' : 'wall time';
  console.log(`${o.threads} thread(s), median of ${o.runs} runs, ${unit}`);
  for (const m of await ceilingModels()) {
    const gflops = {};
    for (const [rt, ort] of Object.entries(runtimes)) {
      const session = await ort.InferenceSession.create(
        m.bytes,
        rt === 'node' ? { executionProviders: ['cpu'], intraOpNumThreads: o.threads } : { executionProviders: ['wasm'] },
      );
      const feeds = feedsFor(ort, session);
      await session.run(feeds);
      const ms = [];
      for (let i = 0; i < o.runs; i++) {
        const t = await timed(() => session.run(feeds));
        ms.push(o.threads === 1 ? t.cpu : t.wall);
      }
      await session.release();
      gflops[rt] = m.flops / median(ms) / 1e6;
    }
    console.log(
      `${m.name.padEnd(38)} node ${fmt(gflops.node).padStart(6)} GFLOP/s  wasm ${fmt(gflops.wasm).padStart(6)} GFLOP/s  node/wasm ${ratio(gflops.node, gflops.wasm)}x`,
    );
  }
}

/** Reads the command line; exits 2 with one line on a usage error. */
function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: Object.fromEntries(['runs', 'warmup', 'rounds', 'threads', 'top'].map((k) => [k, { type: 'string' }])),
    });
  } catch (err) {
    usage(err.message);
  }
  const [command, model, ...extra] = parsed.positionals;
  const num = (k, d, min) => {
    const v = parsed.values[k] === undefined ? d : Number(parsed.values[k]);
    if (!Number.isSafeInteger(v) || v < min) usage(`--${k} must be an integer >= ${min}`);
    return v;
  };
  const o = {
    runs: num('runs', 5, 1),
    warmup: num('warmup', 2, 1),
    rounds: num('rounds', 5, 1),
    threads: num('threads', 1, 1),
    top: num('top', 12, 0),
  };
  if (extra.length) usage(`unexpected argument ${extra[0]}`);
  if (command === 'ceiling' && model === undefined) return { command, o };
  if ((command === 'profile' || command === 'options') && model !== undefined) return { command, model, o };
  usage(command === undefined ? 'no command' : `${command}: wrong arguments`);
}

function usage(why) {
  process.stderr.write(`bench-wasm-ops: ${why}\n${USAGE}\n`);
  process.exit(2);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { command, model, o } = parse(process.argv.slice(2));
  if (command === 'profile') await profile(model, o);
  else if (command === 'options') await options(model, o);
  else await ceiling(o);
  // onnxruntime-web's WebAssembly threads keep the process alive
  process.exit(0);
}
