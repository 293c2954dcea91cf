import { defineConfig } from 'vitest/config';

// The conformance suite: our engine, emulators and parsers against real peers (moto, clearml-agent, ClearML's
// autoscaler, clearml-init and its HOCON parser).
// Separate from `npm test` because it needs the Python venv (scripts/python-env.sh) and starts real processes.
export default defineConfig({
  test: {
    include: ['test/conformance/**/*.test.ts'],
    environment: 'node',
    // One temp folder per run, removed at its end (test/fixtures/temp-root.ts).
    globalSetup: ['test/fixtures/temp-root.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
