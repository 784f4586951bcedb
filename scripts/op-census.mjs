#!/usr/bin/env node
// Prints, as Markdown, the operator census of the forward and training graphs for a few configurations, and the
// training graph's size relative to the forward graph. Run after `npm run build`: node scripts/op-census.mjs
import { DEFAULT_OPTIONS } from '../dist/model/alexnet.js';
import { buildForwardModel, modelBytes } from '../dist/model/export.js';
import { buildTrainingModel, DEFAULT_TRAINING } from '../dist/model/training.js';

const configs = [
  ['default (LRN op, scatter MaxPool grad)', {}, {}],
  [
    'cpu formulation in bench (decomposed LRN, MatMul conv weight grad, Conv data grad)',
    { lrnImpl: 'decomposed' },
    { convWeightGrad: 'matmul', convDataGrad: 'conv' },
  ],
  ['webgpu formulation (decomposed LRN, mask MaxPool grad)', { lrnImpl: 'decomposed' }, { maxpoolGrad: 'mask' }],
  ['--head fc --wrt all', { head: 'fc' }, { wrt: 'all' }],
];

const census = (graph) => {
  const c = {};
  for (const n of graph.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1;
  return c;
};

for (const [title, o, t] of configs) {
  const options = { ...DEFAULT_OPTIONS, ...o };
  const fwd = buildForwardModel(options);
  const train = buildTrainingModel(options, { ...DEFAULT_TRAINING, ...t });
  const a = census(fwd.graph);
  const b = census(train.graph);
  const ops = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const fb = modelBytes(fwd).length;
  const tb = modelBytes(train).length;
  console.log(`### ${title}\n`);
  console.log(`| op | forward | training |\n| --- | ---: | ---: |`);
  for (const op of ops) console.log(`| ${op} | ${a[op] ?? 0} | ${b[op] ?? 0} |`);
  console.log(`| **nodes** | **${fwd.graph.nodes.length}** | **${train.graph.nodes.length}** |`);
  console.log(`| values with value_info | ${fwd.graph.types.size} | ${train.graph.types.size} |`);
  console.log(`| file size (batch 32) | ${(fb / 1e6).toFixed(2)} MB | ${(tb / 1e6).toFixed(2)} MB |`);
  console.log(
    `\nTraining graph: ${(train.graph.nodes.length / fwd.graph.nodes.length).toFixed(1)}x the forward graph's nodes, ` +
      `${(tb / fb).toFixed(3)}x its bytes (the weights dominate the file; gradients add nodes, not parameters).\n`,
  );
}
