/**
 * What crosses between Node and the benchmark page: a job as the page runs it, what it sends back, and the `serve`
 * API's answers. Plain JSON both ways: the browser runner passes a job in through Playwright, the `serve` page gets
 * one from the server's `/api/job`. Types only: the page and the server both import this.
 */
import type { WebEp } from '../common/eps.js';
import type { GraphOptLevel } from './types.js';

/** One feed the page downloads from the server: raw little-endian bytes of `type` with shape `dims`. */
export interface FeedSpec {
  name: string;
  type: 'float32' | 'int64';
  dims: number[];
  url: string;
}

/** A feed before it is served: its description and its raw little-endian bytes. */
export type FeedBytes = Omit<FeedSpec, 'url'> & { bytes: Uint8Array };

/** One mode to time in the page: where to fetch the model and feeds, what to fetch per step, the loop. */
export interface BrowserJob {
  ep: WebEp;
  /** WebAssembly threads (0: one per logical core, as reported by the browser). */
  threads: number;
  graphOpt: GraphOptLevel;
  modelUrl: string;
  feeds: FeedSpec[];
  fetches: string[];
  /** The seeds' label for the summary line: `Forward`, `Forward-backward` or `Train-step`. */
  label: string;
  burnIn: number;
  steps: number;
  logEvery: number;
  /** How the loop's lines give times (`TimeFormat` in src/bench/format.ts; default `seeds`). */
  format?: 'seeds' | 'auto';
  /** Return the first run's outputs (for tests comparing runtimes). */
  collectOutputs?: boolean;
  /** A training step's outputs fed back as its inputs after each step (`RunnerOptions.feedback`). */
  feedback?: { input: string; output: string }[];
  /** A training step's int64 scalar input fed the run's number, 1 at the first run (`RunnerOptions.counter`). */
  counter?: string;
}

/**
 * What a page job is doing: a phase before the loop, or the loop's steps. `step` counts the steps done of `of`, burn-in
 * included (the first `burnIn` are burn-in); `durationS` is the step just done, in seconds, absent where a phase of
 * steps begins.
 */
export type JobProgress =
  | { phase: 'loading' | 'session' | 'first run' }
  | { phase: 'steps'; step: number; of: number; burnIn: number; durationS?: number };

/** What the page measured, and where it ran. */
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

/** What the page shows beside a job's timings. */
export interface JobInfo {
  /** `forward` or `forward-backward`. */
  mode: string;
  batch: number;
  flopsPerBatch: number | null;
  /** The graph formulation in words (`LRN decomposed, ...`). */
  formulation: string;
}

/** A job and its facts, as `/api/job` returns them. */
export interface JobResponse {
  job: BrowserJob;
  info: JobInfo;
}

/** The `serve` page's controls, as `/api/controls` returns them: each one's choices and `bench`'s default. */
export interface PageControls {
  /** Every control's default, as the form sends it (numbers as text). */
  defaults: Record<string, string>;
  /** The choices of the select controls (`ep`, `mode`, `lrn`, `head`). */
  choices: Record<string, readonly string[]>;
}

/** `/api/check`'s answer for controls `bench` would run: the modes the run times, in order. */
export interface RunCheck {
  modes: string[];
}
