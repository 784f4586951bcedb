import type { InferenceSession, Tensor } from 'onnxruntime-common';
import ort from 'onnxruntime-node';
import type { Ep, NodeEp, RuntimeName, WebEp } from '../common/eps.js';
import { PACKAGE } from '../common/version.js';
import { GraphBuilder } from '../onnx/builder.js';
import { encodeModel } from '../onnx/serialize.js';
import { explainEpError } from '../runners/errors.js';
import { describeDevice, nodeSessionOptions, prepareNodeEp } from '../runners/ort-node.js';
import { createWebRunner } from '../runners/ort-web.js';
import { ORT_WEB_BUILDS, type OrtWeb } from '../runners/ort-web-common.js';
import { ortNodeVersion } from '../runners/packages.js';
import type { GraphOptLevel } from '../runners/types.js';

/**
 * Sessions for training: fed and fetched anew at every run (a bench runner feeds the same tensors every step), with the
 * outputs that are fed back kept on the device where the runtime can: WebGPU's `preferredOutputLocation: 'gpu-buffer'`
 * (onnxruntime-node and onnxruntime-web). On the CPU and WebAssembly EPs outputs are host memory, fed back as they are.
 */

/** Where and how sessions run. */
export interface RuntimeSettings {
  runtime: Exclude<RuntimeName, 'browser'>;
  ep: Ep;
  /** CPU threads: intra-op threads on onnxruntime-node, WebAssembly threads on onnxruntime-web (0: default). */
  threads: number;
  graphOpt: GraphOptLevel;
  /** CUDA EP only: allow TF32 math. */
  tf32: boolean;
}

/** One runtime, set up, that opens sessions and makes the tensors they take. */
export interface TrainRuntime {
  readonly ortVersion: string;
  /** The device, for the header line. */
  readonly device: string;
  /** Whether outputs asked for on the device stay there (WebGPU); false: every output comes back to the host. */
  readonly keepsOnDevice: boolean;
  /** Opens a session of `model`; the outputs named in `onDevice` stay on the device where `keepsOnDevice`. */
  open(model: Uint8Array, onDevice?: readonly string[]): Promise<InferenceSession>;
  /** A host tensor of this runtime's own Tensor class (each onnxruntime-web build bundles its own). */
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): Tensor;
  tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): Tensor;
}

/** Sets up the runtime of `s` (the CUDA EP's libraries, Dawn for WebGPU, onnxruntime-web's build) for `open`. */
export async function openRuntime(s: RuntimeSettings): Promise<TrainRuntime> {
  if (s.runtime === 'web') return webRuntime(s);
  if (s.ep === 'wasm') throw new Error("the 'wasm' EP belongs to onnxruntime-web (--runtime web)");
  return nodeRuntime(s, s.ep);
}

function locations(names: readonly string[]): InferenceSession.SessionOptions['preferredOutputLocation'] {
  return Object.fromEntries(names.map((n) => [n, 'gpu-buffer' as const]));
}

function nodeRuntime(s: RuntimeSettings, ep: NodeEp): TrainRuntime {
  prepareNodeEp(ep, s.tf32);
  const keepsOnDevice = ep === 'webgpu';
  const device = describeDevice(ep, s.tf32);
  return {
    ortVersion: ortNodeVersion(),
    device,
    keepsOnDevice,
    async open(model, onDevice = []) {
      try {
        return await ort.InferenceSession.create(model, {
          ...nodeSessionOptions(ep, s.threads, s.graphOpt),
          ...(keepsOnDevice && onDevice.length ? { preferredOutputLocation: locations(onDevice) } : {}),
        });
      } catch (err) {
        throw explainEpError(ep, err);
      }
    },
    tensor: (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
      new ort.Tensor(type, data, dims) as Tensor,
  } as TrainRuntime;
}

/**
 * onnxruntime-web in Node. Its process-wide set-up (V8's WebAssembly compiler for the build, ORT's log tee, Dawn's
 * `navigator.gpu`, the WebAssembly threads) has one home, `createWebRunner`: a session of a one-node model does it, and
 * the sessions here come from the same module instance, already set up.
 */
async function webRuntime(s: RuntimeSettings): Promise<TrainRuntime> {
  if (s.ep !== 'wasm' && s.ep !== 'webgpu') throw new Error(`onnxruntime-web has no '${s.ep}' EP here (wasm or webgpu)`);
  const ep: WebEp = s.ep;
  const setup = await createWebRunner({
    ep,
    model: identityModel(),
    feeds: {},
    fetches: [],
    threads: s.threads,
    graphOpt: s.graphOpt,
    tf32: s.tf32,
    profileDir: '',
  });
  await setup.release();
  const mod = (await import(ORT_WEB_BUILDS[ep].module)) as { default?: OrtWeb } & OrtWeb;
  const web = mod.default ?? mod;
  const keepsOnDevice = ep === 'webgpu';
  return {
    ortVersion: setup.ortVersion,
    device: setup.device,
    keepsOnDevice,
    async open(model, onDevice = []) {
      try {
        return await web.InferenceSession.create(model, {
          executionProviders: [ep],
          graphOptimizationLevel: s.graphOpt,
          logSeverityLevel: 3,
          ...(keepsOnDevice && onDevice.length ? { preferredOutputLocation: locations(onDevice) } : {}),
        });
      } catch (err) {
        throw explainEpError(ep, err);
      }
    },
    tensor: (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
      new web.Tensor(type, data, [...dims]),
  } as TrainRuntime;
}

/** A one-node model (`y = Identity(x)`), only to have `createWebRunner` set onnxruntime-web up. */
function identityModel(): Uint8Array {
  const b = new GraphBuilder('setup', 'sets onnxruntime-web up');
  b.output(b.op1('Identity', [b.input('x', { dtype: 'float32', shape: [1] })], {}, { name: 'identity' }));
  return encodeModel(b.build(), { producerName: PACKAGE.name, producerVersion: PACKAGE.version, doc: '', metadata: {} });
}

/**
 * The values of `tensors` on the host: host tensors as they are, device tensors through a session of Identity nodes
 * whose outputs come back to the host (onnxruntime-node's WebGPU tensors cannot be read with `getData`: it aborts
 * the process).
 */
export async function toHost(rt: TrainRuntime, tensors: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const host: Record<string, Float32Array> = {};
  const onDevice = Object.entries(tensors).filter(([name, t]) => {
    if (t.location === 'cpu') host[name] = t.data as Float32Array;
    return t.location !== 'cpu';
  });
  if (!onDevice.length) return host;
  const b = new GraphBuilder('download', 'copies device tensors to the host');
  const outputs = onDevice.map(([, t], i) => {
    const input = b.input(`in${i}`, { dtype: 'float32', shape: [...t.dims] });
    return b.output(b.op1('Identity', [input], {}, { name: `copy${i}`, outputs: [`out${i}`] }));
  });
  const session = await rt.open(
    encodeModel(b.build(), { producerName: PACKAGE.name, producerVersion: PACKAGE.version, doc: '', metadata: {} }),
  );
  try {
    const out = await session.run(Object.fromEntries(onDevice.map(([, t], i) => [`in${i}`, t])));
    onDevice.forEach(([name], i) => {
      host[name] = out[outputs[i]!]!.data as Float32Array;
    });
  } finally {
    await session.release();
  }
  return host;
}
