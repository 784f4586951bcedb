import { DTYPES } from './dtypes.js';
import { SHAPE_RULES, type ShapeContext } from './shapes.js';
import {
  type Attribute,
  type Dim,
  type DType,
  type Graph,
  type Initializer,
  type Node,
  numElements,
  readAttribute,
  type TensorData,
  type TensorType,
  type ValueInfo,
} from './types.js';

/** Options for one operator application. */
export interface OpOptions {
  /** Node name; also the name of its single output unless `outputs` is given. Made unique if omitted. */
  name?: string;
  /** Output names, or how many outputs to create (named `<node>:<i>` after the first). */
  outputs?: string[] | number;
}

/**
 * Creates a node, like onnx.helper.make_node: a plain value, no validation.
 */
export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, Attribute> = {},
  name = outputs[0] ?? opType,
): Node {
  return { name, opType, inputs: [...inputs], outputs: [...outputs], attributes: { ...attributes } };
}

/**
 * Builds a graph node by node, computing every value's type with our shape rules as it goes, so each value gets
 * a `value_info`. Names must be unique; the builder refuses a name used twice rather than renaming silently.
 */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Initializer[] = [];
  readonly types = new Map<string, TensorType>();
  /** Known values of small int64 tensors (shape constants and `Shape` outputs), for shape rules. */
  private readonly values = new Map<string, Dim[]>();
  private readonly constants = new Map<string, string>();
  private readonly nodeNames = new Set<string>();
  private counter = 0;

  constructor(
    readonly name: string,
    readonly doc = '',
  ) {}

  /** Declares a graph input. */
  input(name: string, type: TensorType): string {
    this.define(name, type);
    this.inputs.push({ name, type });
    return name;
  }

  /** Adds a named initializer (a parameter or a constant). */
  initializer(name: string, dtype: DType, dims: number[], data: TensorData): string {
    const count = numElements(dims);
    if (data.length !== count) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    this.define(name, { dtype, shape: [...dims] });
    this.initializers.push({ name, dtype, dims: [...dims], data });
    if (dtype === 'int64' && dims.length <= 1) this.values.set(name, Array.from(data as BigInt64Array, Number));
    return name;
  }

  /** A shared constant tensor, created once per distinct value and named after it (e.g. `const.float32.0`). */
  constant(dtype: DType, dims: number[], values: readonly (number | boolean)[]): string {
    const key = `${dtype}[${dims}]=${values.join(',')}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const data = DTYPES[dtype].make(values.length);
    values.forEach((v, i) => {
      if (data instanceof BigInt64Array) data[i] = BigInt(v);
      else data[i] = Number(v);
    });
    const shapeTag = dims.length ? `.${dims.join('x')}` : '';
    const valueTag = values.length <= 4 ? values.join('_') : `${this.constants.size}`;
    const name = this.unique(`const.${dtype}${shapeTag}.${valueTag}`);
    this.constants.set(key, name);
    return this.initializer(name, dtype, dims, data);
  }

  /** A scalar float32 constant. */
  scalar(value: number): string {
    return this.constant('float32', [], [value]);
  }

  /** A 1-D int64 constant, e.g. axes or a target shape. */
  int64s(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** Applies an operator and returns its output names; every output's type is computed now. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, options: OpOptions = {}): string[] {
    for (const i of inputs) if (i !== '' && !this.types.has(i)) throw new Error(`${opType}: unknown input '${i}'`);
    const name = options.name ?? this.unique(`${opType}_${this.counter++}`);
    if (this.nodeNames.has(name)) throw new Error(`node name '${name}' is already used`);
    const outs = options.outputs ?? 1;
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, (_, i) => (i === 0 ? name : `${name}:${i}`)) : outs;
    const node = makeNode(opType, inputs, outputs, attributes, name);
    this.nodeNames.add(name);
    this.inferInto(node, outputs);
    this.nodes.push(node);
    return outputs;
  }

  /** Like `op` for single-output operators. */
  op1(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, options: OpOptions = {}): string {
    return this.op(opType, inputs, attributes, options)[0]!;
  }

  /**
   * Makes `node` produce at least `count` outputs (e.g. MaxPool's Indices, Dropout's mask, which a gradient rule
   * needs), naming new ones `<first output>.<suffix>`. Returns the node's outputs.
   */
  ensureOutputs(node: Node, count: number, suffixes: string[]): string[] {
    const added: string[] = [];
    while (node.outputs.length < count) {
      const suffix = suffixes[node.outputs.length - 1] ?? `out${node.outputs.length}`;
      const name = `${node.outputs[0]}.${suffix}`;
      node.outputs.push(name);
      added.push(name);
    }
    if (added.length) this.inferInto(node, added);
    return node.outputs;
  }

  /** Marks an existing value as a graph output. */
  output(name: string): string {
    this.outputs.push({ name, type: this.typeOf(name) });
    return name;
  }

  typeOf(name: string): TensorType {
    const t = this.types.get(name);
    if (!t) throw new Error(`unknown value '${name}'`);
    return t;
  }

  /** Static shape of a value; throws if any dimension is symbolic. */
  staticShape(name: string): number[] {
    const shape = this.typeOf(name).shape;
    if (!shape.every((d): d is number => typeof d === 'number')) throw new Error(`'${name}' has a symbolic shape [${shape}]`);
    return shape;
  }

  /** Values of a constant (an initializer) as numbers, or undefined if `name` is not an initializer. */
  constantValues(name: string): number[] | undefined {
    const init = this.initializers.find((i) => i.name === name);
    return init ? Array.from(init.data as ArrayLike<number | bigint>, Number) : undefined;
  }

  /** The node that produces a value, if any. */
  producer(name: string): Node | undefined {
    return this.nodes.find((n) => n.outputs.includes(name));
  }

  build(): Graph {
    return {
      name: this.name,
      doc: this.doc,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
      types: new Map(this.types),
    };
  }

  /** A name not yet used by any value or node, derived from `base`. */
  unique(base: string): string {
    if (!this.types.has(base) && !this.nodeNames.has(base)) return base;
    for (let i = 1; ; i++) {
      const candidate = `${base}_${i}`;
      if (!this.types.has(candidate) && !this.nodeNames.has(candidate)) return candidate;
    }
  }

  private define(name: string, type: TensorType): void {
    if (this.types.has(name)) throw new Error(`value name '${name}' is already used`);
    this.types.set(name, { dtype: type.dtype, shape: [...type.shape] });
  }

  private inferInto(node: Node, newOutputs: string[]): void {
    const rule = SHAPE_RULES[node.opType];
    if (!rule) throw new Error(`no shape rule for operator ${node.opType} (node ${node.name})`);
    const ctx: ShapeContext = {
      node,
      has: (i) => (node.inputs[i] ?? '') !== '',
      input: (i) => {
        const n = node.inputs[i];
        if (!n) throw new Error(`${node.name}: missing input ${i}`);
        return this.typeOf(n);
      },
      value: (i) => this.values.get(node.inputs[i] ?? ''),
      int: (n, fallback) => readAttribute(node, n, 'int', fallback),
      ints: (n, fallback) => readAttribute(node, n, 'ints', fallback),
      float: (n, fallback) => readAttribute(node, n, 'float', fallback),
    };
    const { types, value } = rule(ctx);
    node.outputs.forEach((out, i) => {
      if (!newOutputs.includes(out) || out === '') return;
      const t = types[i];
      if (!t) throw new Error(`${node.opType} has no output ${i}`);
      this.define(out, t);
    });
    if (value && newOutputs.includes(node.outputs[0]!)) this.values.set(node.outputs[0]!, value);
  }
}
