import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Interop tests bind fixed loopback ports and drive real peers: run files one at a time.
    fileParallelism: false,
    reporters: ['default', ['json', { outputFile: '.ci/report.json' }]],
  },
});
