import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputProblem, sameFile, writeFileAtomic, writeFileAtomicAsync } from '../../src/common/files.js';
import { tempDir } from '../helpers/cli.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const isRoot = process.getuid?.() === 0;

/** A folder nobody may create files in: chmod 555, or for root (whom modes do not stop) a read-only tmpfs. */
function readOnlyFolder(): { dir: string; undo: () => void } | undefined {
  const dir = join(tempDir(), 'ro');
  mkdirSync(dir);
  if (!isRoot) {
    chmodSync(dir, 0o555);
    return { dir, undo: () => chmodSync(dir, 0o755) };
  }
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir]);
  return mounted.status === 0 ? { dir, undo: () => execFileSync('umount', [dir]) } : undefined;
}

describe.each([
  ['writeFileAtomic', async (path: string, data: Uint8Array) => writeFileAtomic(path, data)],
  ['writeFileAtomicAsync', writeFileAtomicAsync],
])('%s', (_name, write) => {
  it('creates missing folders, replaces a regular file whole and keeps its permissions, leaving no temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, 'a', 'b', 'm.onnx');
    await write(path, bytes('first'));
    expect(readFileSync(path, 'utf8')).toBe('first');
    chmodSync(path, 0o640);
    await write(path, bytes('second'));
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['m.onnx']);
  });

  it('writes through a symbolic link, which stays a link, and through a dangling one to the file it names', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.json'), 'old');
    symlinkSync('real.json', join(dir, 'link.json'));
    symlinkSync('sub/missing.json', join(dir, 'dangling.json'));
    await write(join(dir, 'link.json'), bytes('new'));
    await write(join(dir, 'dangling.json'), bytes('created'));
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link.json'))).toBe('real.json');
    expect(readFileSync(join(dir, 'real.json'), 'utf8')).toBe('new');
    expect(lstatSync(join(dir, 'dangling.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'sub', 'missing.json'), 'utf8')).toBe('created');
    expect(readdirSync(dir).sort()).toEqual(['dangling.json', 'link.json', 'real.json', 'sub']);
  });

  it('streams to a character device and never turns it into a file; /dev/full fails with ENOSPC naming it', async () => {
    await write('/dev/null', bytes('x'.repeat(1 << 20)));
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    await expect(write('/dev/full', bytes('x'))).rejects.toThrow(/^cannot write \/dev\/full: ENOSPC: no space left on device$/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('streams to a FIFO', async () => {
    const fifo = join(tempDir(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d: Buffer) => {
      got += d.toString();
    });
    const closed = new Promise((resolve) => reader.on('close', resolve));
    await write(fifo, bytes('through the pipe'));
    await closed;
    expect(got).toBe('through the pipe');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a directory, and names the target, not the temporary file, when its folder is not a folder', async () => {
    const dir = tempDir();
    await expect(write(dir, bytes('x'))).rejects.toThrow(`cannot write ${dir}: it is a directory, not a file`);
    writeFileSync(join(dir, 'file'), 'x');
    const err = await write(join(dir, 'file', 'm.onnx'), bytes('x')).catch((e: Error) => e);
    expect(String(err)).toMatch(new RegExp(`cannot write ${dir}/file/m.onnx: ENOTDIR`));
    expect(String(err)).not.toMatch(/\.tmp/);
  });

  it('names the target, not the temporary file, when the folder is read-only', async (ctx) => {
    const ro = readOnlyFolder();
    if (!ro) return ctx.skip('root, and no tmpfs can be mounted here to make a read-only folder');
    try {
      const err = await write(join(ro.dir, 'm.onnx'), bytes('x')).catch((e: Error) => e);
      expect(String(err)).toMatch(new RegExp(`cannot write ${ro.dir}/m.onnx: (EACCES: permission denied|EROFS: read-only file system)$`));
      expect(String(err)).not.toMatch(/\.tmp/);
    } finally {
      ro.undo();
    }
  });
});

describe('writeFileAtomicAsync on a signal', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('removes the temporary file on %s and exits with %i', (signal, status) => {
    const dir = tempDir();
    const files = new URL('../../dist/common/files.js', import.meta.url).href;
    // The temporary file exists once the call returns its promise; the signal, sent then, is handled at the event
    // loop's next turn, long before 64 MiB have gone out in 8 MiB chunks.
    const script = `
      import { readdirSync } from 'node:fs';
      import { writeFileAtomicAsync } from ${JSON.stringify(files)};
      const done = writeFileAtomicAsync(${JSON.stringify(join(dir, 'm.onnx'))}, new Uint8Array(64 << 20));
      console.log(readdirSync(${JSON.stringify(dir)}).join());
      process.kill(process.pid, '${signal}');
      await done;
      console.log('finished');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toBe(`.m.onnx.${r.pid}.tmp\n`);
    expect(r.status).toBe(status);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('outputProblem', () => {
  it('accepts a new file in a missing folder, a device and a file, creating nothing', () => {
    const dir = tempDir();
    expect(outputProblem(join(dir, 'x', 'y', 'r.json'))).toBeUndefined();
    expect(outputProblem('/dev/null')).toBeUndefined();
    expect(outputProblem('/dev/stdout')).toBeUndefined();
    writeFileSync(join(dir, 'r.json'), '[]');
    expect(outputProblem(join(dir, 'r.json'))).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['r.json']);
  });

  it('says why a directory, a path under a file, or a read-only folder cannot be written', (ctx) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    expect(outputProblem(dir)).toBe('it is a directory, not a file');
    expect(outputProblem(join(dir, 'file', 'sub', 'r.json'))).toBe(`${dir}/file is not a directory`);
    const ro = readOnlyFolder();
    if (!ro) return ctx.skip('root, and no tmpfs can be mounted here to make a read-only folder');
    try {
      expect(outputProblem(join(ro.dir, 'new', 'r.json'))).toMatch(new RegExp(`^cannot create files in ${ro.dir} \\((EACCES|EROFS)`));
    } finally {
      ro.undo();
    }
  });

  it.skipIf(!isRoot)('refuses a block device (needs root: mknod)', () => {
    const dev = join(tempDir(), 'disk');
    execFileSync('mknod', [dev, 'b', '7', '200']);
    expect(outputProblem(dev)).toBe('it is a block device, not a file');
    expect(() => writeFileAtomic(dev, bytes('x'))).toThrow('it is a block device, not a file');
    expect(statSync(dev).isBlockDevice()).toBe(true);
  });

  it.skipIf(!isRoot)('refuses a full file system (needs root: mounts a tiny tmpfs)', (ctx) => {
    const dir = join(tempDir(), 'full');
    mkdirSync(dir);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]).status !== 0) return ctx.skip('tmpfs cannot be mounted here');
    try {
      spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'fill')}`, 'bs=4k', 'count=100']);
      expect(outputProblem(join(dir, 'r.json'))).toBe(`no space left on the file system of ${dir}`);
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describe('sameFile', () => {
  it('sees one file through a link, another spelling and a hard link, and nothing in a missing path', () => {
    const dir = tempDir();
    const m = join(dir, 'm.onnx');
    writeFileSync(m, 'x');
    symlinkSync('m.onnx', join(dir, 'link'));
    execFileSync('ln', [m, join(dir, 'hard')]);
    writeFileSync(join(dir, 'other'), 'x');
    mkdirSync(join(dir, 'sub'));
    expect(sameFile(m, join(dir, 'link'))).toBe(true);
    expect(sameFile(m, `${dir}/sub/../m.onnx`)).toBe(true);
    expect(sameFile(m, join(dir, 'hard'))).toBe(true);
    expect(sameFile(m, join(dir, 'other'))).toBe(false);
    expect(sameFile(m, join(dir, 'missing'))).toBe(false);
  });
});
