import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statfsSync,
  statSync,
  write,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { onCleanup } from './cleanup.js';

/**
 * Where a write to a path goes. `replace`: a regular file or a missing path (`path` is the file itself, symbolic links
 * followed), replaced whole through a temporary file beside it; `stream`: a character device, FIFO or socket, or
 * another process's open file, written in place; `descriptor`: one of this process's open files (`/dev/stdout`,
 * `/dev/fd/N`), written through that descriptor.
 */
type Target = { kind: 'replace' | 'stream'; path: string } | { kind: 'descriptor'; fd: number };

/** Linux's own limit on links followed in one path. */
const MAX_LINKS = 40;

/** Data goes to the temporary file in chunks, so that a signal is handled between them rather than after the whole file. */
const CHUNK = 8 << 20;

const writeChunk = promisify(write);

const OWN_FDS = new RegExp(`^/proc/${process.pid}/(task/\\d+/)?fd$`);

/** For a synchronous wait while a pipe's reader catches up. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** A path's own status, or undefined when there is nothing there (a missing name, or one under a file). */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Follows `path`'s symbolic links one by one (a dangling link leads to the missing file it names) and says how to write it. */
function outputTarget(path: string): Target {
  let p = resolve(path);
  for (let links = 0; ; links++) {
    const st = lstatOrUndefined(p);
    if (!st) return { kind: 'replace', path: p };
    if (st.isSymbolicLink()) {
      // /proc/<pid>/fd/N (where /dev/stdout and /dev/fd/N lead) is an open file: a pipe, a terminal, or a file the shell
      // opened. Replacing it would detach the file from the descriptor, and opening it again would write at offset 0
      // while our own descriptor goes on at its own offset, so our own descriptors are written through.
      const home = realpathSync(dirname(p));
      if (OWN_FDS.test(home)) return { kind: 'descriptor', fd: Number(basename(p)) };
      if (home.startsWith('/proc/')) return { kind: 'stream', path: p };
      if (links >= MAX_LINKS) throw new Error('too many levels of symbolic links');
      p = resolve(dirname(p), readlinkSync(p));
      continue;
    }
    if (st.isFile()) return { kind: 'replace', path: p };
    if (st.isDirectory()) throw new Error('it is a directory, not a file');
    // A disk or partition: writing a model over it destroys a file system.
    if (st.isBlockDevice()) throw new Error('it is a block device, not a file');
    return { kind: 'stream', path: p };
  }
}

/** An error's reason, without the `, open '/path/.x.123.tmp'` tail of Node's system errors, which may name the temporary file. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return (err as NodeJS.ErrnoException).syscall ? err.message.replace(/, \w+( '.*)?$/, '') : err.message;
}

function cannotWrite(path: string, err: unknown): Error {
  return new Error(`cannot write ${path}: ${reason(err)}`, { cause: err });
}

function tempFile(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
}

/** Creates the temporary file for `target` with `target`'s permissions when it exists; returns its descriptor. */
function openTemp(target: string, tmp: string): number {
  mkdirSync(dirname(target), { recursive: true });
  const fd = openSync(tmp, 'w');
  const old = lstatOrUndefined(target);
  if (old) fchmodSync(fd, old.mode & 0o7777);
  return fd;
}

/**
 * Writes all of `bytes` to one of this process's descriptors. Node makes a pipe on stdout non-blocking, so a write to
 * a full pipe says EAGAIN: wait for the reader, synchronously, as this also runs in signal handlers.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(SLEEPER, 0, 0, 5);
    }
  }
}

/**
 * Why `path` cannot be written (without the path: `it is a directory, not a file`), or undefined when it looks
 * writable. Refused: a directory, a block device, a missing folder that cannot be created, a folder this user cannot
 * create files in, a full file system. Meant for before long work (a build, a benchmark), so that its result is not
 * lost at the end; nothing is created, and the write itself may still fail.
 */
export function outputProblem(path: string): string | undefined {
  try {
    const target = outputTarget(path);
    if (target.kind === 'descriptor') return undefined;
    if (target.kind === 'stream') {
      accessSync(target.path, constants.W_OK);
      return undefined;
    }
    let dir = dirname(target.path);
    while (!lstatOrUndefined(dir)) dir = dirname(dir);
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (err) {
      return `cannot create files in ${dir} (${reason(err)})`;
    }
    if (statfsSync(dir).bavail === 0) return `no space left on the file system of ${dir}`;
    return undefined;
  } catch (err) {
    return reason(err);
  }
}

/** Whether two paths name the same existing file (through links, `..` or hard links). */
export function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * Writes bytes to `path` so that a regular file is either its old content or the complete new content, never a partial
 * file: the data goes to a temporary file in the same directory, which is then renamed over the file. A symbolic link
 * is written through (the link stays a link); a device, FIFO or open descriptor (`/dev/null`, `/dev/stdout`) is
 * written in place; a directory is refused. Errors name `path`, never the temporary file, which is removed.
 * Synchronous, so usable inside a signal handler; see {@link writeFileAtomicAsync} for large files.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  try {
    const target = outputTarget(path);
    if (target.kind === 'descriptor') {
      writeAll(target.fd, bytes);
      return;
    }
    if (target.kind === 'stream') {
      writeFileSync(target.path, bytes, { flag: 'a' });
      return;
    }
    const tmp = tempFile(target.path);
    try {
      const fd = openTemp(target.path, tmp);
      try {
        writeFileSync(fd, bytes);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  } catch (err) {
    throw cannotWrite(path, err);
  }
}

/**
 * {@link writeFileAtomic} without blocking: the data is written while the event loop runs, so SIGINT or SIGTERM during
 * the write removes the temporary file before the process ends (see `onCleanup`).
 */
export async function writeFileAtomicAsync(path: string, bytes: Uint8Array): Promise<void> {
  try {
    const target = outputTarget(path);
    if (target.kind === 'descriptor') {
      writeAll(target.fd, bytes);
      return;
    }
    if (target.kind === 'stream') {
      await appendFile(target.path, bytes);
      return;
    }
    const tmp = tempFile(target.path);
    // The temporary file is created, renamed and removed on this thread, never in the thread pool, so the signal
    // handler cannot remove it while a create is still under way.
    const release = onCleanup(() => rmSync(tmp, { force: true }));
    try {
      const fd = openTemp(target.path, tmp);
      try {
        for (let at = 0; at < bytes.length; ) at += (await writeChunk(fd, bytes, at, Math.min(CHUNK, bytes.length - at))).bytesWritten;
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    } finally {
      release();
    }
  } catch (err) {
    throw cannotWrite(path, err);
  }
}
