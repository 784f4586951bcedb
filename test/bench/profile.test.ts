import { describe, expect, it } from 'vitest';
import { formatLayerTable, perLayer } from '../../src/bench/profile.js';

describe('per-layer profile', () => {
  it('averages kernel time per step and orders rows as the network', () => {
    const ev = (node: string, dur: number) => ({ node, op: 'X', provider: 'CPUExecutionProvider', dur, run: 1, clock: 'host' as const });
    const rows = perLayer(
      [ev('pool1', 1000), ev('conv1.conv', 4000), ev('conv1.conv.grad.d1', 8000), ev('lrn1', 2000), ev('conv2.conv', 6000)],
      2,
      'pool5',
    );
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

describe('per-layer table', () => {
  const rows = [
    { layer: 'conv1', forward_ms: 3, backward_ms: 0 },
    { layer: 'pool1', forward_ms: 1, backward_ms: 0 },
  ];

  it('has no backward column for a forward-only profile, and keeps the share', () => {
    const lines = formatLayerTable(rows, 'Forward per layer:').split('\n');
    expect(lines[1]).toMatch(/^layer\s+forward ms\s+share$/);
    expect(lines.join('\n')).not.toContain('backward');
    expect(lines).toContainEqual(expect.stringMatching(/^conv1\s+3\.00\s+75\.0%$/));
    expect(lines.at(-1)).toMatch(/^total\s+4\.00\s+100%$/);
  });

  it('keeps the backward column when any row has backward time', () => {
    const table = formatLayerTable([...rows, { layer: 'conv2', forward_ms: 1, backward_ms: 2 }], 't');
    expect(table).toMatch(/^layer\s+forward ms\s+backward ms\s+share$/m);
    expect(table).toMatch(/^pool1\s+1\.00\s+0\.00\s+14\.3%$/m);
  });
});
