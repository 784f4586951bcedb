import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter, which has python3-onnx and python3-torch; the pyenv python3 on PATH has neither. */
export const PYTHON = '/usr/bin/python3';

/** Runs `test/python/<script>` with arguments and parses the JSON object it prints last. */
export function runPython<T>(script: string, args: string[], timeoutMs = 600_000): T {
  const path = fileURLToPath(new URL(`../python/${script}`, import.meta.url));
  const out = execFileSync(PYTHON, [path, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
