import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Signal handlers end the process, so each case runs in a Node of its own, against the built module.
const CLEANUP = new URL('../../dist/common/cleanup.js', import.meta.url).href;

function run(body: string) {
  const script = `import { onCleanup } from ${JSON.stringify(CLEANUP)};\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// Keeps the process alive long enough for a signal sent to itself to be handled; printed only if it was not.
const LINGER = "setTimeout(() => console.log('still running'), 2000);";

describe('onCleanup', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('runs the registered cleanups, newest first, on %s, then exits with %i', (signal, status) => {
    const r = run(`
      onCleanup((s) => console.log('first', s));
      onCleanup((s) => console.log('second', s));
      process.kill(process.pid, '${signal}');
      ${LINGER}`);
    expect(r.stdout).toBe(`second ${signal}\nfirst ${signal}\n`);
    expect(r.status).toBe(status);
  });

  it('leaves the default action alone when nothing is registered any more', () => {
    const r = run(`
      const release = onCleanup(() => console.log('cleaned'));
      release();
      release();
      console.log(process.listenerCount('SIGINT'), process.listenerCount('SIGTERM'));
      process.kill(process.pid, 'SIGINT');
      ${LINGER}`);
    expect(r.stdout).toBe('0 0\n');
    expect(r.signal).toBe('SIGINT');
  });

  it('runs only the cleanups still registered, with one listener however many there are', () => {
    const r = run(`
      const a = onCleanup(() => console.log('a'));
      onCleanup(() => console.log('b'));
      a();
      onCleanup(() => console.log('c'));
      console.log(process.listenerCount('SIGTERM'));
      process.kill(process.pid, 'SIGTERM');
      ${LINGER}`);
    expect(r.stdout).toBe('1\nc\nb\n');
    expect(r.status).toBe(143);
  });

  it('reports a failing cleanup in one line and still runs the others', () => {
    const r = run(`
      onCleanup(() => console.log('ran'));
      onCleanup(() => { throw new Error('disk gone'); });
      process.kill(process.pid, 'SIGINT');
      ${LINGER}`);
    expect(r.stdout).toBe('ran\n');
    expect(r.stderr).toBe('alexnet-onnx: while stopping on SIGINT: disk gone\n');
    expect(r.status).toBe(130);
  });

  it('ends the process even when the program listens for the signal too', () => {
    const r = run(`
      process.on('SIGINT', () => console.log('own listener'));
      onCleanup(() => console.log('cleaned'));
      process.kill(process.pid, 'SIGINT');
      ${LINGER}`);
    expect(r.stdout).toBe('own listener\ncleaned\n');
    expect(r.status).toBe(130);
  });
});
