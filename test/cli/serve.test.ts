import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli.js';

/** Starts `alexnet-onnx serve` with `args`; resolves once it printed where to open the page. */
async function startServe(args: string[]): Promise<{ child: ChildProcess; origin: string; out: () => string; err: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const origin = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /open (http:\/\/\S+)\/ in a browser/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}${err}`)));
  });
  return { child, origin, out: () => out, err: () => err };
}

const stop = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    // 'close': the exit code once its output is all read
    child.once('close', resolve);
    child.kill('SIGINT');
  });

describe('alexnet-onnx serve', () => {
  it('prints the page address, serves the page with COOP/COEP, and stops on SIGINT with exit code 0', async () => {
    const { child, origin, err } = await startServe([]);
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${origin}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const job = (await (await fetch(`${origin}/api/job?ep=webgpu&mode=forward-backward&batch=2&imageSize=67`)).json()) as {
      job: { ep: string; fetches: string[] };
      info: { formulation: string };
    };
    expect(job.job.ep).toBe('webgpu');
    expect(job.job.fetches).toHaveLength(10);
    expect(job.info.formulation).toBe('LRN decomposed, MaxPool grad mask, conv weight grad conv, conv data grad convtranspose');
    expect(await stop(child)).toBe(0);
    expect(err()).toBe('');
  });

  it("says that --host '' means all interfaces, warns loudly, and prints a URL that works (not http://:PORT/)", async () => {
    const { child, origin, out, err } = await startServe(['--host', '']);
    try {
      await expect
        .poll(err)
        .toMatch(
          /^alexnet-onnx serve: WARNING: listening on all network interfaces \(--host ""\), not only this machine: anyone who can reach it can use the page/,
        );
      expect(origin).toMatch(/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/);
      expect(out()).not.toContain('http://:');
      expect((await fetch(`${origin}/`)).status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('refuses a bad port with one line and exit code 2', () => {
    const r = cli(['serve', '--port', '70000']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('alexnet-onnx: --port must be an integer in [0, 65535], got 70000');
  });
});
