import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // ONNX Runtime and PyTorch each use every core; running test files one at a time keeps the 2-core CI box sane.
    fileParallelism: false,
  },
});
