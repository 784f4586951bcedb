import type { FeedSpec } from '../runners/page-protocol.js';
import type { PageServer } from '../runners/page-server.js';
import type { BuiltJob } from './build.js';

/** How many built jobs may wait for their pages, and how many bytes they may hold, before the oldest idle one goes. */
export const HELD_LIMITS = { jobs: 4, bytes: 1 << 30 };

interface Held {
  /** Blobs not yet downloaded in full, and their sizes. */
  urls: Map<string, number>;
  /** Downloads in progress. */
  downloading: number;
}

/**
 * The blobs of built jobs, each job its own. The page downloads a job's model and feeds once, when it starts the job,
 * so each blob is dropped as soon as it has been downloaded in full: a newer job never takes an older one's blobs.
 * A job whose page never comes (closed tab) would stay, so the total is bounded: room for a new job is made by
 * dropping the oldest jobs that no page is downloading.
 */
export class HeldJobs {
  private readonly jobs: Held[] = [];

  constructor(
    private readonly server: () => PageServer,
    private readonly limits = HELD_LIMITS,
  ) {}

  /** Jobs whose blobs are not all downloaded yet. */
  get count(): number {
    return this.jobs.length;
  }

  /** Drops the oldest idle jobs until one more fits; false when every held job is being downloaded. */
  makeRoom(): boolean {
    while (this.jobs.length >= this.limits.jobs || this.bytes() > this.limits.bytes) {
      const idle = this.jobs.find((j) => j.downloading === 0);
      if (!idle) return false;
      this.remove(idle);
    }
    return true;
  }

  /** Serves a built job's model and feeds, each until it has been downloaded once in full. */
  add(built: BuiltJob): { modelUrl: string; feeds: FeedSpec[] } {
    const held: Held = { urls: new Map(), downloading: 0 };
    const serve = (bytes: Uint8Array): string => {
      const url = this.server().addBlob(bytes, {
        onStart: () => held.downloading++,
        onEnd: (delivered) => {
          held.downloading--;
          if (!delivered) return;
          this.server().drop(url);
          held.urls.delete(url);
          if (held.urls.size === 0) this.remove(held);
        },
      });
      held.urls.set(url, bytes.byteLength);
      return url;
    };
    const modelUrl = serve(built.model);
    const feeds = built.feeds.map(({ bytes, ...spec }) => ({ ...spec, url: serve(bytes) }));
    this.jobs.push(held);
    return { modelUrl, feeds };
  }

  /** Drops every job's blobs. */
  clear(): void {
    [...this.jobs].forEach((j) => this.remove(j));
  }

  private bytes(): number {
    return this.jobs.reduce((sum, j) => sum + [...j.urls.values()].reduce((a, b) => a + b, 0), 0);
  }

  private remove(held: Held): void {
    for (const url of held.urls.keys()) this.server().drop(url);
    held.urls.clear();
    const i = this.jobs.indexOf(held);
    if (i >= 0) this.jobs.splice(i, 1);
  }
}
