import { describe, expect, it } from 'vitest';
import { isBackwardNode } from '../../src/autodiff/backward.js';

describe('isBackwardNode', () => {
  it('knows backward nodes by the names the backward pass writes, and as ONNX Runtime renames them', () => {
    for (const name of ['pool1.grad.scatter', 'conv2_grad.sum', 'conv1.weight_grad.sum_sq', 'conv3_grad_nchwc', 'pool1_grad_nchwc'])
      expect(isBackwardNode(name), name).toBe(true);
    for (const name of ['conv3_nchwc', 'conv2.conv', 'lrn1.norm_nchwc', 'pool1', 'ReorderOutput_token_42', 'gradient'])
      expect(isBackwardNode(name), name).toBe(false);
  });
});
