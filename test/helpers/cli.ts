import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
