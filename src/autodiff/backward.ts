import type { GraphBuilder } from '../onnx/builder.js';
import { type Node, readAttribute } from '../onnx/types.js';
import type { GradContext, GradRule } from './context.js';
import { GRAD_RULES, NO_GRADIENT_OPS } from './rules.js';

/** Options for `addBackward`. */
export interface BackwardOptions {
  /** Scalar value to differentiate. */
  loss: string;
  /** Values (usually parameters) whose gradients are wanted; each gets `<name>_grad`. */
  wrt: string[];
  /** Per-operator rule overrides (e.g. the mask-based MaxPool gradient for WebGPU). */
  rules?: Record<string, GradRule>;
  /** Groups of forward nodes differentiated as one (`CompositeGrad`). */
  composites?: CompositeGrad[];
  /** Rules for single nodes by name, over `rules` (e.g. a ReLU whose mask a later gradient already applies). */
  nodeRules?: Record<string, GradRule>;
}

/**
 * A group of forward nodes differentiated as one: the backward pass sees a single node from `input` to `output` and
 * asks `rule` for its gradient (`I(0)` = input, `O(0)` = output), instead of differentiating the nodes one by one.
 * For a formula whose closed-form gradient takes fewer ops than its pieces' gradients (the banded LRN).
 */
export interface CompositeGrad {
  /** The group's name: its backward nodes are named `<name>.grad.<step>`. */
  name: string;
  /** The forward nodes it stands for, by name; no value computed inside the group may be read outside it. */
  nodes: string[];
  input: string;
  output: string;
  rule: GradRule;
}

/** The op type of the one node that stands for a `CompositeGrad` while the backward pass walks the graph. */
const COMPOSITE_OP = 'Composite';

/** The suffix of gradient values: `conv1.weight_grad` is the gradient of `conv1.weight`. */
export const GRAD_SUFFIX = '_grad';

/** Name of the gradient of `value`. */
export const gradName = (value: string): string => `${value}${GRAD_SUFFIX}`;

/** Name of a backward node of `forwardNode`: `conv2.conv.grad.dx`. */
export const backwardNodeName = (forwardNode: string, step: string | number): string => `${forwardNode}.grad.${step}`;

/**
 * Whether a node was written by the backward pass: `<node>.grad.<step>`, or a node named after a gradient value,
 * also as ONNX Runtime renames the nodes it rewrites (`conv3_grad_nchwc`: a backward Conv in the NCHWc layout).
 */
export function isBackwardNode(name: string): boolean {
  return /\.grad\b|_grad(\b|_)/.test(name);
}

/**
 * Appends the reverse-mode gradient of `loss` with respect to `wrt` to the graph in `b`, and returns the gradient
 * names in `wrt` order. Walks the forward nodes backwards from the loss, visiting only nodes that lie between a
 * `wrt` value and the loss, asks each rule only for the input gradients some `wrt` value needs, and sums the
 * contributions where a value feeds several consumers. An operator without a rule is an error.
 */
export function addBackward(b: GraphBuilder, options: BackwardOptions): string[] {
  const rules = { ...GRAD_RULES, ...options.rules };
  const composites = new Map((options.composites ?? []).map((c) => [c.name, c]));
  const ruleOf = (n: Node): GradRule | undefined =>
    n.opType === COMPOSITE_OP ? composites.get(n.name)?.rule : (options.nodeRules?.[n.name] ?? rules[n.opType]);
  const forward = collapse([...b.nodes], [...composites.values()]);
  const wrt = new Set(options.wrt);
  for (const w of wrt) b.typeOf(w);

  // Values that depend on a wrt value (forward sweep) and values the loss depends on (backward sweep).
  const dependsOnWrt = new Set(wrt);
  for (const n of forward)
    if (!NO_GRADIENT_OPS.has(n.opType) && n.inputs.some((i) => dependsOnWrt.has(i))) n.outputs.forEach((o) => dependsOnWrt.add(o));
  const feedsLoss = new Set([options.loss]);
  for (const n of [...forward].reverse()) if (n.outputs.some((o) => feedsLoss.has(o))) n.inputs.forEach((i) => feedsLoss.add(i));
  const active = (v: string): boolean => v !== '' && dependsOnWrt.has(v) && feedsLoss.has(v);
  if (!active(options.loss)) throw new Error(`loss '${options.loss}' does not depend on any of: ${[...wrt].join(', ')}`);

  // A node that computes a wrt value itself (not only from one) sends no gradient further back.
  const visited = forward.filter((n) => n.outputs.some(active) && n.inputs.some(active));
  for (const n of visited) {
    if (!ruleOf(n)) {
      throw new Error(
        `no gradient rule for operator ${n.opType} (node ${n.name}); rules exist for: ${Object.keys(rules).sort().join(', ')}`,
      );
    }
  }

  // Every (node, input slot) that will send a gradient to a value; more than one means the contributions are summed.
  const contributions = new Map<string, { node: Node; slot: number }[]>();
  for (const n of visited) {
    n.inputs.forEach((input, slot) => {
      if (!active(input)) return;
      const list = contributions.get(input) ?? [];
      list.push({ node: n, slot });
      contributions.set(input, list);
    });
  }
  const partialName = (value: string, node: Node, slot: number): string => {
    const list = contributions.get(value)!;
    return list.length === 1 ? gradName(value) : `${gradName(value)}.from.${node.name}.${slot}`;
  };
  const finished = new Set<string>();
  b.op1('Identity', [b.scalar(1)], {}, { name: `${options.loss}.seed`, outputs: [gradName(options.loss)] });

  const sumContributions = (value: string): void => {
    const list = contributions.get(value) ?? [];
    if (finished.has(value) || list.length <= 1) return;
    const parts = list.map((c) => partialName(value, c.node, c.slot));
    addAll(b, parts, `${gradName(value)}.sum`, gradName(value));
    finished.add(value);
  };

  for (const node of [...visited].reverse()) {
    const rule = ruleOf(node)!;
    if (rule.readsOutput1) b.ensureOutputs(node, 2, [rule.readsOutput1]);
    for (const out of node.outputs) if (active(out)) sumContributions(out);
    const ctx = context(b, node, active, partialName);
    rule.grad(ctx);
    node.inputs.forEach((input, slot) => {
      if (active(input)) b.typeOf(partialName(input, node, slot));
    });
  }
  return options.wrt.map((w) => {
    sumContributions(w);
    return gradName(w);
  });
}

/**
 * `nodes` with each composite's nodes replaced by one node from its input to its output, where its output is made.
 * A composite whose inside value is read outside it is an error: its gradient would miss that reader's contribution.
 */
function collapse(nodes: Node[], composites: CompositeGrad[]): Node[] {
  if (!composites.length) return nodes;
  const owner = new Map(composites.flatMap((c) => c.nodes.map((name) => [name, c] as const)));
  for (const c of composites) {
    const members = nodes.filter((n) => owner.get(n.name) === c);
    if (members.length !== c.nodes.length || !members.some((n) => n.outputs.includes(c.output)))
      throw new Error(`composite gradient ${c.name}: its nodes (${c.nodes.join(', ')}) or its output ${c.output} are not in the graph`);
    const inside = new Set(members.flatMap((n) => n.outputs).filter((v) => v !== c.output));
    const reader = nodes.find((n) => owner.get(n.name) !== c && n.inputs.some((v) => inside.has(v)));
    if (reader) throw new Error(`composite gradient ${c.name}: node ${reader.name} reads a value computed inside it`);
  }
  return nodes.flatMap((n) => {
    const c = owner.get(n.name);
    if (!c) return [n];
    return n.outputs.includes(c.output)
      ? [{ name: c.name, opType: COMPOSITE_OP, inputs: [c.input], outputs: [c.output], attributes: {} }]
      : [];
  });
}

/**
 * Adds values pairwise into `output` with Add nodes: ONNX Sum would be one node, but the WebGPU EP has no Sum kernel.
 */
export function addAll(b: GraphBuilder, values: string[], name: string, output: string): string {
  if (values.length === 1) return b.op1('Identity', values, {}, { name, outputs: [output] });
  let acc = values[0]!;
  for (let k = 1; k < values.length; k++) {
    const last = k === values.length - 1;
    acc = b.op1('Add', [acc, values[k]!], {}, { name: last ? name : `${name}.${k}`, outputs: last ? [output] : undefined });
  }
  return acc;
}

function context(
  b: GraphBuilder,
  node: Node,
  active: (v: string) => boolean,
  partialName: (v: string, n: Node, s: number) => string,
): GradContext {
  let steps = 0;
  return {
    b,
    node,
    I: (i) => node.inputs[i]!,
    O: (i) => {
      const o = node.outputs[i];
      if (!o) throw new Error(`${node.name}: output ${i} is not produced`);
      return o;
    },
    GO: (i) => {
      const o = node.outputs[i]!;
      if (!active(o)) throw new Error(`${node.name}: output ${i} has no gradient`);
      return gradName(o);
    },
    GI: (i) => partialName(node.inputs[i]!, node, i),
    needs: (i) => active(node.inputs[i] ?? ''),
    name: (step) => b.unique(backwardNodeName(node.name, step || steps++)),
    ints: (n, f) => readAttribute(node, n, 'ints', f),
    int: (n, f) => readAttribute(node, n, 'int', f),
    float: (n, f) => readAttribute(node, n, 'float', f),
    string: (n, f) => readAttribute(node, n, 'string', f),
    constant: (i) => {
      const v = b.constantValues(node.inputs[i] ?? '');
      if (!v) throw new Error(`${node.name}: input ${i} must be a constant`);
      return v;
    },
  };
}
