import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // The peers suite needs the Python venv: `npm run conformance` (vitest.conformance.config.ts).
    exclude: ['test/conformance/**', '**/node_modules/**'],
    environment: 'node',
    // One temp folder per run, removed at its end (test/fixtures/temp-root.ts).
    globalSetup: ['test/fixtures/temp-root.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser and emulator suites start servers; two cores, so keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
  },
});
