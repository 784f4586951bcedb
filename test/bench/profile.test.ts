import { describe, expect, it } from 'vitest';
import { formatLayerTable, layerOf, perLayer } from '../../src/bench/profile.js';

describe('per-layer profile', () => {
  it('maps node names to layers and directions, including ORT-renamed and inserted nodes', () => {
    expect(layerOf('conv2.conv', 'pool5')).toEqual({ layer: 'conv2', backward: false });
    expect(layerOf('conv2_nchwc', 'pool5')).toEqual({ layer: 'conv2', backward: false });
    expect(layerOf('lrn1', 'pool5')).toEqual({ layer: 'lrn1', backward: false });
    expect(layerOf('pool1.grad.scatter', 'pool5')).toEqual({ layer: 'pool1', backward: true });
    expect(layerOf('conv2_grad.sum', 'pool5')).toEqual({ layer: 'conv2', backward: true });
    expect(layerOf('conv1.conv.grad.dw_t', 'pool5')).toEqual({ layer: 'conv1', backward: true });
    expect(layerOf('conv1.weight_grad.sum_sq', 'pool5')).toEqual({ layer: 'grad_sq_sum', backward: true });
    expect(layerOf('output_nchwc', 'pool5')).toEqual({ layer: 'pool5', backward: false });
    expect(layerOf('ReorderOutput_token_16', 'pool5')).toEqual({ layer: '(runtime)', backward: false });
  });

  it('averages kernel time per step and orders rows as the network', () => {
    const ev = (node: string, dur: number) => ({ node, op: 'X', provider: 'CPUExecutionProvider', dur, run: 1, clock: 'host' as const });
    const rows = perLayer([ev('pool1', 1000), ev('conv1.conv', 4000), ev('conv1.conv.grad.d1', 8000), ev('lrn1', 2000), ev('conv2.conv', 6000)], 2, 'pool5');
    expect(rows).toEqual([
      { layer: 'conv1', forward_ms: 2, backward_ms: 4 },
      { layer: 'lrn1', forward_ms: 1, backward_ms: 0 },
      { layer: 'pool1', forward_ms: 0.5, backward_ms: 0 },
      { layer: 'conv2', forward_ms: 3, backward_ms: 0 },
    ]);
    const table = formatLayerTable(rows, 'title');
    expect(table.split('\n')).toHaveLength(7);
    expect(table).toMatch(/^total\s+6\.50\s+4\.00\s+100%$/m);
  });
});
