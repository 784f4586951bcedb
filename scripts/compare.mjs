#!/usr/bin/env node
// One command that times alexnet-onnx on every runtime/EP this machine has, plus the PyTorch eager peer and the
// seeds' own program on TensorFlow (scripts/peer_tensorflow.py) on the same weights, then prints a ratio table (and the GPU targets' TFLOP/s against the GPU's peak) and writes the reports
// and an SVG chart to a folder outside the checkout (default $TMPDIR/alexnet-onnx-compare-<time>; --out DIR, e.g.
// docs/results to keep them with the docs). It reads the reports back, builds the table and draws the chart with the
// same library code as `alexnet-onnx compare` (src/bench/compare.ts, src/bench/compare-input.ts).
//
//   node scripts/compare.mjs [--batch 32] [--steps 100] [--burn-in 10] [--log-every 10] [--fetch grads|sum]
//                            [--tf32] [--targets node/cuda,pytorch/cuda] [--software-gpu] [--out DIR]
//                            [--python PY] [--tf-python PY] [--profile N]
//                            [--train-step [--optimizer sgd|adamw] [--lr X] [--momentum X] [--nesterov]
//                                          [--weight-decay X] [--beta1 X] [--beta2 X] [--eps X]]
//
// --train-step adds a third mode, the whole training step (forward, loss, backward, optimizer update: bench --mode
// train-step, the PyTorch peer with torch.optim), with the same optimizer and learning rate on both sides; the
// TensorFlow peer has no optimizer step, so its row has none.
// --profile N times each layer over N more steps per mode (bench --profile N, the TensorFlow peer's --profile N) and
// prints a per-layer table per mode after the others. The TensorFlow peer then runs with --inter-op-threads 1 (one op
// at a time, as ONNX Runtime's sequential executor, so that its ops do not overlap): its timed steps too run with
// one inter-op thread. The PyTorch peer has no per-layer profile; the table says so.
// The peers run under --python (default Debian's /usr/bin/python3, with torch 1.13) and --tf-python (default
// $ALEXNET_TF_PYTHON, else /opt/venv-tf/bin/python when it exists, else --python); a peer whose Python lacks its
// framework is skipped with the reason (docs/benchmarks.md, "Peers", says how to make the venvs).
// Targets that cannot run here are listed with the reason, never dropped silently. WebGPU on a software adapter
// (lavapipe, SwiftShader) is seconds per step, so it is left out unless --software-gpu is given. Without --tf32 both
// CUDA sides run strict fp32; with it both allow TF32 (the CUDA EP's use_tf32 default, PyTorch's allow_tf32).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compareChartSvg, formatCompareTable, formatThroughputTable, runsByTarget } from '../dist/bench/compare.js';
import { readRuns } from '../dist/bench/compare-input.js';
import { formatLayerComparison } from '../dist/bench/compare-layers.js';
import { DEFAULT_BENCH_LR } from '../dist/bench/types.js';
import { HYPERPARAMETERS, hyperparametersOf, OPTIMIZER_KINDS, optimizerSettings } from '../dist/model/optimizer.js';
import { DEFAULT_BROWSER } from '../dist/runners/browser.js';
import { checkCudaSetup } from '../dist/runners/cuda.js';
import { installNodeWebGpu } from '../dist/runners/node-webgpu.js';

const USAGE =
  'usage: node scripts/compare.mjs [--batch N] [--steps N] [--burn-in N] [--log-every N] [--fetch grads|sum] [--tf32] [--targets a/b,...] [--software-gpu] [--out DIR] [--python PY] [--tf-python PY] [--profile N] [--train-step [--optimizer sgd|adamw] [--lr X] [--momentum X] [--nesterov] [--weight-decay X] [--beta1 X] [--beta2 X] [--eps X]]';
// the optimizer's options, as bench and export name them
const HYPER = Object.entries(HYPERPARAMETERS);
const OPTIONS = {
  batch: { type: 'string', default: '32' },
  steps: { type: 'string', default: '100' },
  'burn-in': { type: 'string', default: '10' },
  'log-every': { type: 'string', default: '10' },
  fetch: { type: 'string', default: 'grads' },
  tf32: { type: 'boolean', default: false },
  targets: { type: 'string' },
  'software-gpu': { type: 'boolean', default: false },
  out: { type: 'string' },
  python: { type: 'string' },
  'tf-python': { type: 'string' },
  profile: { type: 'string' },
  'train-step': { type: 'boolean', default: false },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  ...Object.fromEntries(HYPER.map(([, spec]) => [spec.option, { type: spec.type === 'boolean' ? 'boolean' : 'string' }])),
};
let a;
try {
  a = parseArgs({ options: OPTIONS }).values;
} catch (err) {
  console.error(`compare: ${err.message}\n${USAGE}`);
  process.exit(2);
}
const TARGETS = [
  'node/cpu',
  'node/cuda',
  'node/webgpu',
  'web/wasm',
  'web/webgpu',
  'browser/wasm',
  'browser/webgpu',
  'pytorch/cpu',
  'pytorch/cuda',
  'tensorflow/cpu',
];
const wanted = a.targets ? a.targets.split(',') : TARGETS;
for (const t of wanted) {
  if (TARGETS.includes(t)) continue;
  console.error(`compare: unknown target ${t}: choose from ${TARGETS.join(', ')}`);
  process.exit(2);
}
const usage = (message) => {
  console.error(`compare: ${message}`);
  process.exit(2);
};
// The training step's options, checked here as bench checks them, then given in full to both sides.
const stepOptions = ['optimizer', 'lr', ...HYPER.map(([, spec]) => spec.option)].filter((o) => a[o] !== undefined);
let step;
if (!a['train-step'] && stepOptions.length)
  usage(`${stepOptions.map((o) => `--${o}`).join(', ')} shape the training step: add --train-step`);
if (a['train-step']) {
  const kind = a.optimizer ?? OPTIMIZER_KINDS[0];
  if (!OPTIMIZER_KINDS.includes(kind)) usage(`--optimizer must be one of ${OPTIMIZER_KINDS.join(', ')}, got ${kind}`);
  const given = Object.fromEntries(
    HYPER.filter(([, spec]) => a[spec.option] !== undefined).map(([key, spec]) => [
      key,
      spec.type === 'boolean' ? a[spec.option] : Number(a[spec.option]),
    ]),
  );
  const { settings, problems } = optimizerSettings(kind, given);
  const lr = a.lr === undefined ? DEFAULT_BENCH_LR : Number(a.lr);
  if (!(lr > 0 && Number.isFinite(lr))) problems.unshift(`--lr must be a number > 0, got ${a.lr}`);
  if (problems.length) usage(problems.join('; '));
  const args = ['--optimizer', kind, '--lr', String(lr)];
  for (const key of hyperparametersOf(kind)) {
    const { option, type } = HYPERPARAMETERS[key];
    // a false flag is both sides' default, and the peer has no --no-nesterov
    if (type === 'boolean') args.push(...(settings[key] ? [`--${option}`] : []));
    else args.push(`--${option}`, String(settings[key]));
  }
  step = { args, text: `train-step ${args.join(' ')}` };
}
const profile = a.profile === undefined ? 0 : /^\d+$/.test(a.profile) ? Number(a.profile) : -1;
if (!Number.isSafeInteger(profile) || profile < 0) usage(`--profile must be a whole number of steps >= 0, got ${a.profile}`);
// bench's --profile, and the TensorFlow peer's with one op at a time
const profiling = profile ? ['--profile', String(profile)] : [];
if (a.tf32 && process.env.NVIDIA_TF32_OVERRIDE === '0') {
  console.error('compare: --tf32 asks for TF32, but NVIDIA_TF32_OVERRIDE=0 in the environment turns it off on both sides: unset it');
  process.exit(2);
}
// a relative --out is the caller's, not the checkout's (the script works from the checkout)
const given = a.out === undefined ? undefined : resolve(a.out);
process.chdir(new URL('..', import.meta.url).pathname);
const BIN = 'dist/cli/bin.js';
const PY = a.python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const TF_PY = a['tf-python'] ?? process.env.ALEXNET_TF_PYTHON ?? (existsSync('/opt/venv-tf/bin/python') ? '/opt/venv-tf/bin/python' : PY);
// find_spec, not import: importing TensorFlow takes seconds
const has = (py, module) =>
  spawnSync(py, ['-c', `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('${module}') else 1)`]).status === 0;
// The same loop and the same fetches on both sides.
const timing = ['--batch', a.batch, '--steps', a.steps, '--burn-in', a['burn-in'], '--log-every', a['log-every']];
const tf32 = (ep) => (a.tf32 && ep === 'cuda' ? ['--tf32'] : []);
const stamp =
  new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z') + (a.tf32 ? '-tf32' : '');
const out = given ?? join(tmpdir(), `alexnet-onnx-compare-${stamp}`);
mkdirSync(out, { recursive: true });
mkdirSync('graphs', { recursive: true });

async function why(f) {
  try {
    await f();
    return undefined;
  } catch (err) {
    return err.message.split('\n')[0];
  }
}

// What this machine has.
const cuda = await why(() => checkCudaSetup());
let adapter = '';
const webgpu = await why(async () => {
  adapter = await installNodeWebGpu();
  if (!a['software-gpu'] && /llvmpipe|lavapipe|swiftshader|software/i.test(adapter)) {
    throw new Error(`software WebGPU adapter (${adapter}): seconds per step; add --software-gpu to include it`);
  }
});
const browser = existsSync(DEFAULT_BROWSER) ? undefined : `no browser at ${DEFAULT_BROWSER}`;
const torch = has(PY, 'torch') ? undefined : `no torch in ${PY} (--python)`;
const tensorflow = has(TF_PY, 'tensorflow') ? undefined : `no TensorFlow in ${TF_PY} (--tf-python; docs/benchmarks.md, "Peers")`;
const torchCuda =
  (torch ?? spawnSync(PY, ['-c', 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)']).status === 0)
    ? undefined
    : 'torch.cuda.is_available() is false';
const all = {
  'node/cpu': undefined,
  'node/cuda': cuda,
  'node/webgpu': webgpu,
  'web/wasm': undefined,
  'web/webgpu': webgpu,
  'browser/wasm': browser,
  'browser/webgpu': browser ?? webgpu,
  'pytorch/cpu': torch,
  'pytorch/cuda': torchCuda,
  'tensorflow/cpu': tensorflow,
};

console.log(
  `== ${new Date().toISOString()} on ${hostname()}: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model.trim()}; batch ${a.batch}, ${a.steps} steps after ${a['burn-in']}; CUDA math ${a.tf32 ? 'TF32 allowed' : 'strict fp32'}${step ? `; ${step.text}` : ''}${profile ? `; per layer over ${profile} more steps` : ''}`,
);
const files = [];
const skipped = [];
const model = `graphs/compare-b${a.batch}.onnx`;
execFileSync(process.execPath, [BIN, 'export', '--batch', a.batch, '-o', model], { stdio: ['ignore', 'ignore', 'inherit'] });
// One process per target for the seeds' two modes, and with --train-step one more for the training step, so that a
// failing step costs its own column only and a peer's peak memory for it is the step's.
function measure(target, runtime, ep, trainStep) {
  const json = join(out, `${stamp}-${runtime}-${ep}-b${a.batch}${trainStep ? '-train-step' : ''}.json`);
  const threads = ['--threads', String(cpus().length)];
  // --fetch is forward-backward's: a training step fetches its loss
  const mode = trainStep ? ['--mode', 'train-step', ...step.args] : ['--fetch', a.fetch];
  const cmd =
    runtime === 'tensorflow'
      ? [
          TF_PY,
          [
            'scripts/peer_tensorflow.py',
            '--model',
            model,
            ...timing,
            ...mode,
            ...threads,
            ...(profile ? ['--inter-op-threads', '1', ...profiling] : []),
            '--json',
            json,
          ],
        ]
      : runtime === 'pytorch'
        ? [
            PY,
            [
              'scripts/peer_pytorch.py',
              '--model',
              model,
              '--device',
              ep,
              ...timing,
              ...mode,
              ...tf32(ep),
              ...(ep === 'cpu' ? threads : []),
              '--json',
              json,
            ],
          ]
        : [
            process.execPath,
            [BIN, 'bench', '--runtime', runtime, '--ep', ep, ...timing, ...mode, ...tf32(ep), ...profiling, '--json', json],
          ];
  const name = `${target}${trainStep ? ' train-step' : ''}`;
  console.log(`== ${name}: ${[cmd[0], ...cmd[1]].join(' ')}`);
  const r = spawnSync(cmd[0], cmd[1], { stdio: 'inherit' });
  if (r.status === 0) {
    files.push(json);
    return;
  }
  // the TensorFlow peer exits 3 without TensorFlow, and 1 when its output check against ONNX Runtime fails
  const reason =
    runtime === 'tensorflow' && r.status === 3
      ? `no TensorFlow in ${TF_PY}`
      : `failed with exit code ${r.status}${runtime === 'tensorflow' ? ' (see its check: line above)' : ''}`;
  skipped.push(`${name}: ${reason}`);
}

for (const target of wanted) {
  if (all[target]) {
    skipped.push(`${target}: ${all[target]}`);
    console.log(`== ${target}: skipped: ${all[target]}`);
    continue;
  }
  const [runtime, ep] = target.split('/');
  measure(target, runtime, ep, false);
  if (step && runtime === 'tensorflow') skipped.push(`${target} train-step: the TensorFlow peer has no optimizer step`);
  else if (step) measure(target, runtime, ep, true);
}
const reports = readRuns(files).flatMap((run) => run.entries);

const table = formatCompareTable(reports);
const throughput = formatThroughputTable(reports);
const layers = formatLayerComparison(runsByTarget(reports));
const lines = [
  table,
  ...(throughput ? ['', throughput] : []),
  ...(layers ? ['', layers] : []),
  ...skipped.map((s) => `not measured: ${s}`),
];
console.log(`\n${lines.join('\n')}`);
const base = join(out, `${stamp}-compare-b${a.batch}`);
writeFileSync(`${base}.txt`, `${lines.join('\n')}\n`);
writeFileSync(
  `${base}.svg`,
  compareChartSvg(
    runsByTarget(reports),
    `AlexNet batch ${a.batch}${a.tf32 ? ' (CUDA: TF32 allowed)' : ''}: mean ms per batch (log scale), ${hostname()}, ${stamp}`,
  ),
);
console.log(`wrote ${base}.txt and ${base}.svg, with the reports, in ${out}`);
if (files.length) console.log(`compare them again (--baseline N, --svg FILE): alexnet-onnx compare ${files.join(' ')}`);
