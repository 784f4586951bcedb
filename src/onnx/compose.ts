import type { GraphBuilder } from './builder.js';
import { attr } from './types.js';

/**
 * Multi-node building blocks shared by the model and the gradient rules.
 */

/**
 * For a [N,C,H,W] tensor, the sum over the channel window [c-r, c+r] (clipped at the edges): the window LRN uses.
 * Written as a Conv over [N,1,C,H*W] with a [size x 1] kernel of ones, so it runs on every EP that has Conv.
 */
export function channelWindowSum(b: GraphBuilder, x: string, size: number, name: string): string {
  const [, c, h, w] = b.typeOf(x).shape;
  if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number')
    throw new Error(`${name}: channels and spatial size must be static`);
  const r = (size - 1) / 2;
  const flat = b.op1('Reshape', [x, b.int64s([0, 1, c, h * w])], {}, { name: `${name}.in` });
  const ones = b.constant('float32', [1, 1, size, 1], Array(size).fill(1));
  const sum = b.op1('Conv', [flat, ones], { kernel_shape: attr.ints([size, 1]), pads: attr.ints([r, 0, r, 0]) }, { name: `${name}.conv` });
  return b.op1('Reshape', [sum, b.int64s([0, c, h, w])], {}, { name: `${name}.out` });
}

/**
 * Reshapes `x` to the shape of `like`. Uses a constant target when `like` is static apart from its batch dimension
 * (ONNX Reshape copies a 0 from x's own batch), and `Shape(like)` only when more is symbolic.
 */
export function reshapeLike(b: GraphBuilder, x: string, like: string, name: string, output?: string): string {
  const shape = b.typeOf(like).shape;
  const xBatch = b.typeOf(x).shape[0];
  const rest = shape.slice(1);
  let target: string;
  if (rest.every((d): d is number => typeof d === 'number') && (typeof shape[0] === 'number' || shape[0] === xBatch)) {
    target = b.int64s([typeof shape[0] === 'number' ? shape[0] : 0, ...rest]);
  } else {
    target = b.op1('Shape', [like], {}, { name: `${name}.shape` });
  }
  return b.op1('Reshape', [x, target], {}, { name, outputs: output ? [output] : undefined });
}
