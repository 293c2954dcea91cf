import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser and emulator suites start servers; two cores, so keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
  },
});
