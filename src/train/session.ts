import type { InferenceSession, Tensor } from 'onnxruntime-common';
import ort from 'onnxruntime-node';
import type { Ep, NodeEp, RuntimeName, WebEp } from '../common/eps.js';
import { PACKAGE } from '../common/version.js';
import { GraphBuilder } from '../onnx/builder.js';
import { encodeModel } from '../onnx/serialize.js';
import { openPageSessions, PageTensor } from '../runners/browser-train.js';
import { explainEpError } from '../runners/errors.js';
import { keepOnDevice } from '../runners/feedback.js';
import { describeDevice, nodeSessionOptions, prepareNodeEp } from '../runners/ort-node.js';
import { loadWebRuntime, webEp } from '../runners/ort-web.js';
import { webSessionOptions } from '../runners/ort-web-common.js';
import { ortNodeVersion } from '../runners/packages.js';
import type { GraphOptLevel } from '../runners/types.js';

/**
 * Sessions for training: fed and fetched anew at every run (a bench runner feeds the same tensors every step), with the
 * outputs that are fed back kept on the device where the runtime can: WebGPU's `preferredOutputLocation: 'gpu-buffer'`
 * (onnxruntime-node and onnxruntime-web), and in the page for the browser runtime, whose sessions live in a headless
 * Chromium. On the CPU and WebAssembly EPs in this process outputs are host memory, fed back as they are.
 */

/** Where and how sessions run. */
export interface RuntimeSettings {
  runtime: RuntimeName;
  ep: Ep;
  /** CPU threads: intra-op threads on onnxruntime-node, WebAssembly threads on onnxruntime-web (0: default). */
  threads: number;
  graphOpt: GraphOptLevel;
  /** CUDA EP only: allow TF32 math. */
  tf32: boolean;
  /** `browser` only: the Chromium or Chrome to run (default Debian's `/usr/bin/chromium`). */
  browserPath?: string;
}

/** A session the trainer runs. */
export interface TrainSession {
  /**
   * Runs the session: all outputs, or `fetches`. `seconds` is the run's own time where it ran: around `session.run`
   * in this process, or in the page for the browser runtime (not the round trip from Node).
   */
  run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<{ outputs: Record<string, Tensor>; seconds: number }>;
  release(): Promise<void>;
}

/** One runtime, set up, that opens sessions and makes the tensors they take. */
export interface TrainRuntime {
  readonly ortVersion: string;
  /** The device, for the header line. */
  readonly device: string;
  /** Whether outputs asked for on the device stay there (WebGPU, the browser page); false: every output comes back to the host. */
  readonly keepsOnDevice: boolean;
  /** Opens a session of `model`; the outputs named in `onDevice` stay on the device where `keepsOnDevice`. */
  open(model: Uint8Array, onDevice?: readonly string[]): Promise<TrainSession>;
  /** A host tensor of this runtime's own Tensor class (each onnxruntime-web build bundles its own). */
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): Tensor;
  tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): Tensor;
  /** The values of float32 `tensors` on the host, those kept on the device fetched. */
  toHost(tensors: Record<string, Tensor>): Promise<Record<string, Float32Array>>;
  /** Frees the tensors kept on the device; host tensors are left to the garbage collector. */
  release(tensors: readonly Tensor[]): Promise<void>;
  /** Ends the runtime (the browser runtime closes Chromium). */
  close(): Promise<void>;
}

/** Sets up the runtime of `s` (the CUDA EP's libraries, Dawn for WebGPU, onnxruntime-web's build, Chromium) for `open`. */
export async function openRuntime(s: RuntimeSettings): Promise<TrainRuntime> {
  if (s.runtime === 'web') return webRuntime(s, webEp(s.ep));
  if (s.runtime === 'browser') return browserRuntime(s, webEp(s.ep));
  if (s.ep === 'wasm') throw new Error("the 'wasm' EP belongs to onnxruntime-web (--runtime web)");
  return nodeRuntime(s, s.ep);
}

/** A session of this process, timed around `session.run`. */
function timed(session: InferenceSession): TrainSession {
  return {
    async run(feeds, fetches) {
      const start = performance.now();
      const outputs = (await (fetches ? session.run(feeds, [...fetches]) : session.run(feeds))) as Record<string, Tensor>;
      return { outputs, seconds: (performance.now() - start) / 1000 };
    },
    release: () => session.release(),
  };
}

/** What the runtimes of this process share: device tensors freed with `dispose`, read back by `identityToHost`. */
function inProcess(rt: Pick<TrainRuntime, 'ortVersion' | 'device' | 'keepsOnDevice' | 'open' | 'tensor'>): TrainRuntime {
  const full: TrainRuntime = {
    ...rt,
    toHost: (tensors) => identityToHost(full, tensors),
    release: async (tensors) => {
      for (const t of tensors) if (t.location !== 'cpu') t.dispose();
    },
    close: async () => {},
  };
  return full;
}

function nodeRuntime(s: RuntimeSettings, ep: NodeEp): TrainRuntime {
  prepareNodeEp(ep, s.tf32);
  const keepsOnDevice = ep === 'webgpu';
  return inProcess({
    ortVersion: ortNodeVersion(),
    device: describeDevice(ep, s.tf32),
    keepsOnDevice,
    async open(model, onDevice = []) {
      try {
        return timed(
          await ort.InferenceSession.create(model, {
            ...nodeSessionOptions(ep, s.threads, s.graphOpt),
            ...keepOnDevice(ep, onDevice),
          }),
        );
      } catch (err) {
        throw explainEpError(ep, err);
      }
    },
    tensor: ((type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
      new ort.Tensor(type, data, dims) as Tensor) as TrainRuntime['tensor'],
  });
}

/** onnxruntime-web in Node, set up once for the process by `loadWebRuntime`. */
async function webRuntime(s: RuntimeSettings, ep: WebEp): Promise<TrainRuntime> {
  const { ort: web, ortVersion, device } = await loadWebRuntime(ep, s.threads);
  const keepsOnDevice = ep === 'webgpu';
  return inProcess({
    ortVersion,
    device,
    keepsOnDevice,
    async open(model, onDevice = []) {
      try {
        return timed(
          await web.InferenceSession.create(model, {
            ...webSessionOptions(ep, s.graphOpt),
            ...keepOnDevice(ep, onDevice),
          }),
        );
      } catch (err) {
        throw explainEpError(ep, err);
      }
    },
    tensor: ((type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
      new web.Tensor(type, data, [...dims])) as TrainRuntime['tensor'],
  });
}

/**
 * onnxruntime-web in a headless Chromium page (`openPageSessions`): the outputs asked for on the device stay in the
 * page (as GPU buffers on WebGPU) and are fed back by reference, so parameters and optimizer state cross between Node
 * and the page only when read back (`toHost`). Step times are the page's own.
 */
async function browserRuntime(s: RuntimeSettings, ep: WebEp): Promise<TrainRuntime> {
  const page = await openPageSessions({ browserPath: s.browserPath, ep, threads: s.threads, graphOpt: s.graphOpt });
  // a PageTensor travels through the trainer as a Tensor: the trainer only feeds it back, reads it with toHost and frees it
  const asTensor = (t: Tensor | PageTensor): Tensor => t as Tensor;
  const held = (tensors: readonly Tensor[]): PageTensor[] =>
    tensors.filter((t): t is Tensor & PageTensor => (t as unknown) instanceof PageTensor);
  return {
    ortVersion: page.ortVersion,
    device: page.device,
    keepsOnDevice: true,
    async open(model, onDevice = []) {
      const session = await page.open(model, onDevice);
      return {
        async run(feeds, fetches) {
          const r = await session.run(feeds, fetches);
          return { seconds: r.seconds, outputs: Object.fromEntries(Object.entries(r.outputs).map(([n, t]) => [n, asTensor(t)])) };
        },
        release: () => session.release(),
      };
    },
    tensor: ((type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
      new ort.Tensor(type, data, dims) as Tensor) as TrainRuntime['tensor'],
    async toHost(tensors) {
      const entries = Object.entries(tensors);
      const inPage = held(entries.map(([, t]) => t));
      const read = await page.read(inPage);
      const values = new Map(inPage.map((t, i) => [t, read[i]!.data as Float32Array]));
      return Object.fromEntries(entries.map(([n, t]) => [n, values.get(t as Tensor & PageTensor) ?? (t.data as Float32Array)]));
    },
    release: (tensors) => page.dispose(held(tensors)),
    close: () => page.close(),
  };
}

/**
 * The values of `tensors` on the host: host tensors as they are, device tensors through a session of Identity nodes
 * whose outputs come back to the host (onnxruntime-node's WebGPU tensors cannot be read with `getData`: it aborts
 * the process).
 */
async function identityToHost(rt: TrainRuntime, tensors: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
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
    const { outputs: out } = await session.run(Object.fromEntries(onDevice.map(([, t], i) => [`in${i}`, t])));
    onDevice.forEach(([name], i) => {
      host[name] = out[outputs[i]!]!.data as Float32Array;
    });
  } finally {
    await session.release();
  }
  return host;
}
