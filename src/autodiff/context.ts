import type { GraphBuilder } from '../onnx/builder.js';
import { type Attribute, attr, type Node } from '../onnx/types.js';

/**
 * What a gradient rule sees, in ONNX Runtime's gradient-builder terms: I(i) forward input, O(i) forward output,
 * GO(i) gradient flowing into output i, GI(i) the name the rule must give the gradient of input i.
 */
export interface GradContext {
  b: GraphBuilder;
  node: Node;
  I(i: number): string;
  O(i: number): string;
  GO(i: number): string;
  GI(i: number): string;
  /** Whether the gradient of input i is wanted (rules compute only those). */
  needs(i: number): boolean;
  /** A unique node name for a backward node of this forward node. */
  name(step: string): string;
  ints(attrName: string, fallback?: number[]): number[];
  int(attrName: string, fallback?: number): number;
  float(attrName: string, fallback?: number): number;
  string(attrName: string, fallback?: string): string;
  /** Values of a constant input (an initializer); throws if input i is computed. */
  constant(i: number): number[];
}

/** A gradient rule, and the optional second forward output it reads (the forward node is made to produce it). */
export interface GradRule {
  /** Name suffix for the node's output 1 that the rule reads: MaxPool's Indices, Dropout's mask, SCE's log_prob. */
  readsOutput1?: string;
  grad(g: GradContext): void;
}

/** Emits an op whose single output is the gradient of input i. */
export function emitGI(g: GradContext, i: number, opType: string, inputs: string[], attrs: Record<string, Attribute> = {}): void {
  g.b.op1(opType, inputs, attrs, { name: g.name(`d${i}`), outputs: [g.GI(i)] });
}

/**
 * Emits `opType(inputs)` as the gradient of input i, summed back to input i's shape where the forward op broadcast
 * it (elementwise ops with a scalar or per-channel operand).
 */
export function emitUnbroadcast(g: GradContext, i: number, opType: string, inputs: string[]): void {
  const target = g.b.typeOf(g.I(i)).shape;
  const have = g.b.typeOf(g.node.outputs[0]!).shape;
  if (target.length === have.length && target.every((d, k) => d === have[k])) {
    emitGI(g, i, opType, inputs);
    return;
  }
  const grad = g.b.op1(opType, inputs, {}, { name: g.name(`full${i}`) });
  const offset = have.length - target.length;
  const axes: number[] = [];
  have.forEach((d, k) => {
    if (k < offset || (target[k - offset] === 1 && d !== 1)) axes.push(k);
  });
  const summed = g.b.op1('ReduceSum', [grad, g.b.int64s(axes)], { keepdims: attr.int(1) }, { name: g.name(`sum${i}`) });
  emitGI(g, i, 'Reshape', [summed, g.b.int64s(target.map(Number))]);
}

/** Refuses an attribute value the rule does not handle, naming the node. */
export function requireDefault(g: GradContext, name: string, expected: number[] | number, actual: number[] | number): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    throw new Error(
      `gradient of ${g.node.opType} ${g.node.name}: only ${name}=${JSON.stringify(expected)} is supported, got ${JSON.stringify(actual)}`,
    );
  }
}
