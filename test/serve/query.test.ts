import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { benchOptions } from '../../src/bench/options.js';
import { benchOptionsFromQuery, jobFromQuery, pageControls } from '../../src/serve/query.js';
import { BIN } from '../helpers/cli.js';

const query = (q: Record<string, string>) => benchOptionsFromQuery(new URLSearchParams(q));

/** Why the API refuses these controls ('' when it accepts them). */
function refusal(q: Record<string, string>): string {
  try {
    query(q);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/** What `bench --runtime browser ARGS` prints when it refuses them, without the program name. */
async function cliRefusal(args: string[]): Promise<string> {
  const r = await promisify(execFile)(process.execPath, [BIN, 'bench', '--runtime', 'browser', ...args]).then(
    () => ({ stderr: '' }),
    (err: { stderr: string; code: number }) => {
      expect(err.code, args.join(' ')).toBe(2);
      return err;
    },
  );
  return r.stderr.trim().replace(/^alexnet-onnx: /, '');
}

/** The page's controls (query) and the `bench` options they stand for: one case per kind of check (a CLI run costs ~1 s). */
const REFUSED: [Record<string, string>, string[]][] = [
  [{ imageSize: '1', steps: '0' }, ['--image-size', '1', '--steps', '0']],
  [{ batch: '0' }, ['--batch', '0']],
  [{ steps: '1.5' }, ['--steps', '1.5']],
  [{ threads: '1000' }, ['--threads', '1000']],
  [{ head: 'fc', imageSize: '1000' }, ['--head', 'fc', '--image-size', '1000']],
];

describe("serve's controls: bench's defaults and bench's refusals", () => {
  it("defaults every control to bench's default: both modes, the seeds' loop and network, wasm", () => {
    expect(pageControls().defaults).toEqual({
      ep: 'wasm',
      mode: 'both',
      batch: '32',
      imageSize: '224',
      lrn: 'tf-benchmark',
      head: 'none',
      steps: '100',
      burnIn: '10',
      logEvery: '10',
      threads: '0',
    });
    expect(pageControls().choices).toEqual({
      ep: ['wasm', 'webgpu'],
      mode: ['forward', 'forward-backward', 'both'],
      lrn: ['tf-benchmark', 'paper', 'none'],
      head: ['none', 'fc'],
    });
    // no control given (or an empty one): the run bench --runtime browser makes
    expect(query({})).toEqual(benchOptions({ runtime: 'browser' }));
    expect(query({ steps: '', batch: ' ' })).toEqual(benchOptions({ runtime: 'browser' }));
  });

  it('refuses what bench refuses, with the same line (the CLI run beside it)', async () => {
    const cli = await Promise.all(REFUSED.map(([, args]) => cliRefusal(args)));
    expect(REFUSED.map(([q]) => refusal(q))).toEqual(cli);
    expect(cli.every((line) => line.startsWith('--'))).toBe(true);
    // the other loop counts go through the same check
    expect(refusal({ burnIn: '-1' })).toBe('--burn-in must be an integer >= 0, got -1');
    expect(refusal({ logEvery: '0' })).toBe('--log-every must be an integer >= 1, got 0');
    expect(refusal({ steps: 'many' })).toBe('--steps must be an integer >= 1, got NaN');
  });

  it('refuses a run whose memory estimate exceeds the available memory, with the estimate, as bench does', async () => {
    const q = { batch: '128', imageSize: '1024', mode: 'forward-backward' };
    const line = await cliRefusal(['--batch', '128', '--image-size', '1024', '--mode', 'forward-backward']);
    // the available memory moves between the two checks
    const numbers = (s: string) => s.replace(/\d+(\.\d+)?/g, 'N');
    expect(numbers(refusal(q))).toBe(numbers(line));
    expect(refusal(q)).toMatch(/^--batch 128 --image-size 1024 --mode forward-backward needs about \d+\.\d GB of memory \(estimate\)/);
    expect(query({ batch: '8', mode: 'forward-backward' }).model.batch).toBe(8);
  });

  it('refuses a choice no control offers, and a job of both modes (a job times one)', () => {
    expect(refusal({ lrn: 'x' })).toBe("--lrn must be one of tf-benchmark, paper, none, got 'x'");
    expect(refusal({ ep: 'cpu' })).toBe("--ep must be one of wasm, webgpu, got 'cpu'");
    expect(() => jobFromQuery(new URLSearchParams({ batch: '1', imageSize: '67' }))).toThrow(
      'a job times one mode: mode must be one of forward, forward-backward',
    );
    expect(jobFromQuery(new URLSearchParams({ mode: 'forward-backward' })).mode).toBe('forward-backward');
  });
});
