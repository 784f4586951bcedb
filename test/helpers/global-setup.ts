import { execFileSync } from 'node:child_process';
import { PYTHON } from './python.js';

/**
 * The tests use Debian's python3-onnx and python3-torch (under /usr/bin/python3, not a pyenv python) as independent
 * references. Installs them when missing, as root on Debian; otherwise fails with the command to run.
 */
export default function setup(): void {
  const probe = (): boolean => {
    try {
      execFileSync(PYTHON, ['-c', 'import onnx, torch, numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (probe()) return;
  const install = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-onnx python3-torch python3-numpy';
  if (process.getuid?.() !== 0) throw new Error(`tests need Debian's python3-onnx and python3-torch: run as root: ${install}`);
  console.log(`installing test references: ${install}`);
  execFileSync('bash', ['-c', install], { stdio: 'inherit' });
  if (!probe()) throw new Error(`python3-onnx/python3-torch still not importable by ${PYTHON} after: ${install}`);
}
