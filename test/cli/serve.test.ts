import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli.js';

describe('alexnet-onnx serve', () => {
  it('prints the page address, serves the page with COOP/COEP, and stops on SIGINT with exit code 0', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const origin = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /open (http:\/\/127\.0\.0\.1:\d+)\/ in a browser/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
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
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });

  it('refuses a bad port with one line and exit code 2', () => {
    const r = cli(['serve', '--port', '70000']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('alexnet-onnx: --port must be an integer in [0, 65535], got 70000');
  });
});
