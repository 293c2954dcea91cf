import { defineConfig } from 'vitest/config';

// The unit tests that own the engine's decisions, for `npm run mutate` (stryker.config.json lists the files it
// mutates: the scaling policy, adoption of ClearML's instances, stranded tasks, budgets, when a task ended unseen,
// the leader lease, idle timers, the spin-up rule and what it remembers, why a busy instance was lost, the launch
// request and its fallback). Each mutant runs against the tests that reached its line; they take seconds, so a run
// takes minutes. The simulator and chaos suites would catch some mutants too, but a decision should be pinned by
// its own table: a file listed there whose own table is missing here is mutated against the others only (spin-up.ts
// scored 36 %).
export default defineConfig({
  test: {
    include: [
      'test/engine/policy.test.ts',
      'test/engine/keep-warm.test.ts',
      'test/engine/warm-memory.test.ts',
      'test/engine/durations.test.ts',
      'test/engine/spin-up.test.ts',
      'test/engine/reasons.test.ts',
      'test/engine/controllers/idle-forecast-lease.test.ts',
      'test/engine/controllers/launch.test.ts',
      'test/engine/controllers/terminate.test.ts',
      'test/engine/controllers/lost-reason.test.ts',
      'test/engine/controllers/worker-sightings.test.ts',
      'test/engine/adoption.test.ts',
      'test/engine/launch-request.test.ts',
      'test/engine/team/decisions.test.ts',
      'test/reliability/stranded.test.ts',
      'test/cost/budget.test.ts',
      'test/cost/unseen-task-end.test.ts',
      'test/ec2/launcher.test.ts',
    ],
    environment: 'node',
    // One temp folder per run, removed at its end (test/fixtures/temp-root.ts).
    globalSetup: ['test/fixtures/temp-root.ts'],
    testTimeout: 30_000,
  },
});
