import { describe, expect, it } from 'vitest';
import { fallbackNodes, placementFromLog } from '../../src/runners/placement.js';

const PREFIX = '2026-11-23 12:11:31.445037 [V:onnxruntime:, session_state.cc:1386 VerifyEachNodeIsAssignedToAnEp]';

describe("placement from ORT's verbose log", () => {
  it('reads per-provider node lists', () => {
    const p = placementFromLog([
      `${PREFIX} Node placements`,
      `${PREFIX}  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 2`,
      `${PREFIX}   Conv (conv1.conv_token_2)`,
      `${PREFIX}   MaxPool (pool1_token_7)`,
      `${PREFIX}  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2`,
      `${PREFIX}   LRN (lrn1)`,
      `${PREFIX}   LRN (lrn2)`,
      '2026-11-23 12:11:31.5 [V:onnxruntime:, session_state.cc:186 CreateGraphInfo] SaveMLValueNameIndexMapping',
    ]);
    expect(p.get('conv1.conv_token_2')).toEqual({ op: 'Conv', provider: 'WebGpuExecutionProvider' });
    expect(fallbackNodes(p, 'webgpu')).toEqual(['lrn1 (LRN)', 'lrn2 (LRN)']);
  });

  it('reads "All nodes placed on" and treats wasm as ORT\'s CPU EP', () => {
    const p = placementFromLog([`${PREFIX}  All nodes placed on [CPUExecutionProvider]. Number of nodes: 24`]);
    expect(fallbackNodes(p, 'wasm')).toEqual([]);
    expect(fallbackNodes(p, 'webgpu')).toEqual(['all 24 nodes (*)']);
  });

  it('fails loudly on a log without placements', () => {
    expect(() => placementFromLog(['nothing here'])).toThrow(/no node placements/);
  });
});
