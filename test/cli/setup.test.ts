import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA_EP_FILES } from '../../src/runners/cuda.js';
import { cli, tempDir } from '../helpers/cli.js';

describe('alexnet-onnx setup cuda', () => {
  it('refuses a --from path or an --into folder that does not exist with one line and exit code 2, fetching nothing', () => {
    const into = tempDir();
    for (const [args, message] of [
      [['--from', './no-such-dir', '--into', into], '--from ./no-such-dir: no such file or folder'],
      [['--from', 'missing/provider.tgz', '--into', into], '--from missing/provider.tgz: no such file or folder'],
      [['--from', '=', '--into', into], '--from = is neither a folder, an npm tarball (.tgz) nor an npm package spec'],
      [['--from', into, '--into', join(into, 'gone')], `--into ${join(into, 'gone')}: no such folder`],
    ] as const) {
      const r = cli(['setup', 'cuda', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`alexnet-onnx: ${message}`);
    }
  });

  it('refuses provider files that are not shared libraries, installing nothing (exit code 1)', () => {
    const from = tempDir();
    mkdirSync(join(from, 'lib'));
    for (const f of CUDA_EP_FILES) writeFileSync(join(from, 'lib', f), 'built from ONNX Runtime 1.29.0');
    const into = tempDir();
    const r = cli(['setup', 'cuda', '--from', from, '--into', into]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^alexnet-onnx: .*: lib\/libonnxruntime_providers_\w+\.so is not an ELF file$/);
    expect(readdirSync(into)).toEqual([]);
  });
});
