/**
 * Sessions that live in the page's job worker for `train --runtime browser`: Node opens them and runs them call by
 * call (`PageSessionCall`), and the outputs it asks to keep stay here between runs, named by id, so parameters and
 * optimizer state never cross to Node while training runs. Browser code: no Node imports, and nothing that needs a
 * window (workers have none).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { WebEp } from '../common/eps.js';
import type { PageSessionCall, PageSessionReplies, PageTensorRef, TensorBytes } from '../runners/browser-train-protocol.js';
import { keepOnDevice } from '../runners/feedback.js';
import { type OrtWeb, webSessionOptions } from '../runners/ort-web-common.js';
import { checkEp, fetchBytes, pageDevice, setUpOrt, toBase64 } from './run-job.js';

let loaded: { ort: OrtWeb; ep: WebEp } | undefined;
const sessions = new Map<number, { session: InferenceSession; keep: Set<string> }>();
const tensors = new Map<number, Tensor>();
let nextId = 1;

function ortOf(): OrtWeb {
  if (!loaded) throw new Error("the page's sessions are not set up: call 'setup' first");
  return loaded.ort;
}

/** A tensor's values, read back from the GPU where it is a GPU buffer. */
async function bytesOf(t: Tensor): Promise<TensorBytes> {
  const data = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array | BigInt64Array;
  return { type: t.type as TensorBytes['type'], dims: [...t.dims], base64: toBase64(data) };
}

function heldTensor(id: number): Tensor {
  const t = tensors.get(id);
  if (!t) throw new Error(`the page holds no tensor ${id}: it was disposed`);
  return t;
}

/** Loads onnxruntime-web's build for `ep` once (WebAssembly threads are fixed when it first runs), as a bench job does. */
async function setup(ep: WebEp, threads: number, version?: string): Promise<PageSessionReplies['setup']> {
  if (loaded && loaded.ep !== ep) throw new Error(`the page's sessions run on ${loaded.ep} already`);
  const { problem, adapter } = await checkEp(ep);
  if (problem) throw new Error(problem);
  loaded ??= { ort: await setUpOrt(ep, threads), ep };
  const ort = loaded.ort;
  const device = pageDevice(ort, ep, adapter, version);
  return { ortVersion: ort.env.versions.web ?? 'unknown', device };
}

async function open(c: Extract<PageSessionCall, { call: 'open' }>): Promise<PageSessionReplies['open']> {
  const ort = ortOf();
  // on WebGPU the kept outputs stay GPU buffers, fed back without a copy
  const session = await ort.InferenceSession.create(new Uint8Array(await fetchBytes(c.modelUrl)), {
    ...webSessionOptions(loaded!.ep, c.graphOpt),
    ...keepOnDevice(loaded!.ep, c.keep),
  });
  const id = nextId++;
  sessions.set(id, { session, keep: new Set(c.keep) });
  return { session: id };
}

async function run(c: Extract<PageSessionCall, { call: 'run' }>): Promise<PageSessionReplies['run']> {
  const ort = ortOf();
  const s = sessions.get(c.session);
  if (!s) throw new Error(`the page has no session ${c.session}`);
  const feeds: Record<string, Tensor> = {};
  for (const f of c.feeds) {
    const bytes = await fetchBytes(f.url);
    feeds[f.name] = new ort.Tensor(f.type, f.type === 'int64' ? new BigInt64Array(bytes) : new Float32Array(bytes), f.dims);
  }
  for (const [name, id] of Object.entries(c.refs)) feeds[name] = heldTensor(id);
  const start = performance.now();
  const out = c.fetches ? await s.session.run(feeds, c.fetches) : await s.session.run(feeds);
  const seconds = (performance.now() - start) / 1000;
  const outputs: Record<string, TensorBytes> = {};
  const kept: Record<string, PageTensorRef> = {};
  for (const [name, t] of Object.entries(out)) {
    if (!s.keep.has(name)) {
      outputs[name] = await bytesOf(t);
      continue;
    }
    const id = nextId++;
    tensors.set(id, t);
    kept[name] = { id, type: t.type as PageTensorRef['type'], dims: [...t.dims] };
  }
  return { seconds, outputs, kept };
}

/** Answers one call from Node (relayed by the page). */
export async function pageSessionCall(c: PageSessionCall): Promise<PageSessionReplies[PageSessionCall['call']]> {
  switch (c.call) {
    case 'setup':
      return setup(c.ep, c.threads, c.browserVersion);
    case 'open':
      return open(c);
    case 'run':
      return run(c);
    case 'read':
      return { tensors: await Promise.all(c.ids.map((id) => bytesOf(heldTensor(id)))) };
    case 'dispose':
      for (const id of c.ids) {
        tensors.get(id)?.dispose();
        tensors.delete(id);
      }
      return {};
    case 'release':
      await sessions.get(c.session)?.session.release();
      sessions.delete(c.session);
      return {};
  }
}
