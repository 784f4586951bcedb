/**
 * A benchmark job as the browser page runs it, and what it sends back. Plain JSON both ways: the CLI passes a job in
 * through Playwright, the `serve` page gets one from the server's `/api/job`.
 */
import type { GraphOptLevel, WebEp } from '../runners/types.js';

/** One feed the page downloads from the server: raw little-endian bytes of `type` with shape `dims`. */
export interface FeedSpec {
  name: string;
  type: 'float32' | 'int64';
  dims: number[];
  url: string;
}

export interface BrowserJob {
  ep: WebEp;
  /** WebAssembly threads (0: one per logical core, as reported by the browser). */
  threads: number;
  graphOpt: GraphOptLevel;
  modelUrl: string;
  feeds: FeedSpec[];
  fetches: string[];
  /** The seeds' label for the summary line: `Forward` or `Forward-backward`. */
  label: string;
  burnIn: number;
  steps: number;
  logEvery: number;
  /** Return the first run's outputs (for tests comparing runtimes). */
  collectOutputs?: boolean;
}

export interface BrowserJobResult {
  ortVersion: string;
  /** Browser, adapter or CPU threads, as the page sees them. */
  device: string;
  threads: number;
  crossOriginIsolated: boolean;
  /** ONNX Runtime's verbose session-creation log lines that say where each node was placed. */
  placementLog: string[];
  sessionCreateS: number;
  firstRunS: number;
  durations: number[];
  /** float32 outputs as base64 of their little-endian bytes (a JSON array of millions of numbers is far slower). */
  outputs?: Record<string, { dims: number[]; base64: string }>;
}
