/**
 * What Node and the page's job worker exchange for sessions that live in the page (`train --runtime browser`): calls
 * and their replies, plain JSON through Playwright. Tensors the page keeps are named by id, so that parameters and
 * optimizer state stay in the page between runs. Types only: the page and Node both import this.
 */
import type { WebEp } from '../common/eps.js';
import type { FeedSpec } from './page-protocol.js';
import type { GraphOptLevel } from './types.js';

/** A tensor held in the page, by id. */
export interface PageTensorRef {
  id: number;
  type: 'float32' | 'int64';
  dims: number[];
}

/** A tensor's values as base64 of its little-endian bytes (a JSON array of millions of numbers is far slower). */
export interface TensorBytes {
  type: 'float32' | 'int64';
  dims: number[];
  base64: string;
}

/** One call to the page's sessions. */
export type PageSessionCall =
  /**
   * Loads onnxruntime-web's build for `ep` with `threads` WebAssembly threads (0: one per core). `browserVersion`: the
   * browser's full version, which the user agent string no longer gives (Chrome reports `156.0.0.0`).
   */
  | { call: 'setup'; ep: WebEp; threads: number; browserVersion?: string }
  /** Creates a session of the model at `modelUrl`; its outputs named in `keep` stay in the page after each run. */
  | { call: 'open'; modelUrl: string; graphOpt: GraphOptLevel; keep: string[] }
  /** Runs a session on host feeds (downloaded from the server) and tensors the page holds (`refs`: input -> id). */
  | { call: 'run'; session: number; feeds: FeedSpec[]; refs: Record<string, number>; fetches?: string[] }
  /** The values of tensors the page holds. */
  | { call: 'read'; ids: number[] }
  /** Frees tensors the page holds. */
  | { call: 'dispose'; ids: number[] }
  /** Releases a session. */
  | { call: 'release'; session: number };

/** Each call's reply. */
export interface PageSessionReplies {
  /** `device`: the browser and its WebGPU adapter or cores, as a bench job's device line says them. */
  setup: { ortVersion: string; device: string };
  open: { session: number };
  /** `seconds`: `session.run` alone, timed in the page; `outputs`: the others, as values. */
  run: { seconds: number; outputs: Record<string, TensorBytes>; kept: Record<string, PageTensorRef> };
  read: { tensors: TensorBytes[] };
  dispose: Record<string, never>;
  release: Record<string, never>;
}

/** The reply to `C`. */
export type PageSessionReply<C extends PageSessionCall> = PageSessionReplies[C['call']];
