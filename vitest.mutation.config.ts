import { defineConfig } from 'vitest/config';

// The unit tests that own the scaling decisions, for `npm run mutate` (stryker.config.json): each mutant of
// electron/engine/policy.ts and electron/engine/policy/ runs against these. They are pure and take about a second,
// so a few hundred mutants take minutes; the simulator and chaos suites would catch some mutants too, but a
// decision should be pinned by its own table.
export default defineConfig({
  test: {
    include: [
      'test/engine/policy.test.ts',
      'test/engine/keep-warm.test.ts',
      'test/engine/warm-memory.test.ts',
      'test/engine/durations.test.ts',
      'test/engine/reasons.test.ts',
      'test/engine/controllers/idle-forecast-lease.test.ts',
      'test/engine/controllers/launch.test.ts',
      'test/engine/controllers/terminate.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
  },
});
