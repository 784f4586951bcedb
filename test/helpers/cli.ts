import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** The built CLI entry point; `npm test` builds before running vitest. */
export const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `alexnet-onnx` with arguments, as a user would. */
export function cli(args: string[], cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, maxBuffer: 64 << 20 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const made: string[] = [];

// Runs after every test file that imports this helper (vitest hooks called while a file is collected belong to it).
afterAll(() => {
  for (const dir of made.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a test may leave a mount or a read-only tree behind; a leftover directory is not worth failing for
    }
  }
});

/** A fresh temporary directory, removed after the test file that made it. */
export function tempDir(prefix = 'alexnet-onnx-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A folder the CLI cannot create files in, inside `base` (writable), and how to spawn the CLI for that to hold. */
export interface ReadOnlyFolder {
  base: string;
  ro: string;
  /** spawn options: as root, who may write anywhere, the CLI runs as user nobody. */
  as: { uid?: number; gid?: number };
  /** Why the case cannot be tried here, if it cannot. */
  skip?: string;
}

/** A read-only folder for tests of refused destinations. */
export function readOnlyFolder(): ReadOnlyFolder {
  const base = tempDir();
  chmodSync(base, 0o755);
  const ro = join(base, 'ro');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  const isRoot = process.getuid?.() === 0;
  const as = isRoot ? { uid: 65534, gid: 65534 } : {};
  const skip =
    isRoot && spawnSync(process.execPath, [BIN, '--version'], as).status !== 0
      ? 'root, and user nobody (65534) cannot run the built CLI from this checkout'
      : undefined;
  return { base, ro, as, skip };
}
