import type { GraphBuilder } from '../onnx/builder.js';
import type { CompositeGrad } from './backward.js';
import { emitGI, type GradContext, type GradRule } from './context.js';

/** A ReLU whose output gradient is already zero wherever its output is: the gradient passes as it is. */
const RELU_PASS_RULE: GradRule = { grad: (g) => emitGI(g, 0, 'Identity', [g.GO(0)]) };

/**
 * `rule` with the output gradient zeroed where the pooled max is not positive, on the pooled (a quarter-size) tensor.
 * Every window then sends its gradient to an input above zero, so the input gradient is zero wherever the input is.
 */
function positiveWindowsOnly(rule: GradRule): GradRule {
  return {
    readsOutput1: rule.readsOutput1,
    grad: (g: GradContext) => {
      const positive = g.b.op1('Greater', [g.O(0), g.b.scalar(0)], {}, { name: g.name('positive') });
      const dy = g.b.op1('Where', [positive, g.GO(0), g.b.scalar(0)], {}, { name: g.name('dy_positive') });
      rule.grad({ ...g, GO: () => dy });
    },
  };
}

/**
 * Per-node rules that move a ReLU's gradient mask onto the MaxPool that pools it, directly or through one LRN:
 * `Relu -> [LRN] -> MaxPool`, each value read by the next node only. The MaxPool's output gradient is zeroed where
 * the pooled max is 0 (the input is >= 0, so that is where a window holds only zeros); the input gradient is then zero
 * wherever the pool's input is 0. LRN keeps that: y = x * N^-beta is 0 exactly where x is, and its gradient there,
 * dy * N^-beta - x * (...), is 0 when dy is. So the ReLU's `Where(y > 0, dy, 0)` changes nothing and is left out: two
 * full-size ops traded for two on the pooled tensor. The result is the same gradient: the windows dropped send theirs,
 * without the fold, to an input of 0, where the ReLU's mask zeroes it.
 *
 * `zeroPreserving` are the composites that may stand between ReLU and MaxPool (the banded LRN's); the ONNX `LRN`
 * op may too.
 */
export function reluPoolFold(b: GraphBuilder, zeroPreserving: CompositeGrad[], poolRule: GradRule): Record<string, GradRule> {
  const readers = (v: string) => b.nodes.filter((n) => n.inputs.includes(v));
  const byInput = new Map(zeroPreserving.map((c) => [c.input, c]));
  const rules: Record<string, GradRule> = {};
  for (const relu of b.nodes.filter((n) => n.opType === 'Relu')) {
    let value = relu.outputs[0]!;
    let next = readers(value);
    const composite = byInput.get(value);
    if (composite && next.every((n) => composite.nodes.includes(n.name))) {
      value = composite.output;
      next = readers(value);
    } else if (next.length === 1 && next[0]!.opType === 'LRN') {
      value = next[0]!.outputs[0]!;
      next = readers(value);
    }
    if (next.length !== 1 || next[0]!.opType !== 'MaxPool') continue;
    rules[relu.name] = RELU_PASS_RULE;
    rules[next[0]!.name] = positiveWindowsOnly(poolRule);
  }
  return rules;
}
