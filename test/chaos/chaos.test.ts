// A short seeded version of `npm run chaos`: the real engine and host against the emulators under kills and
// faults, every invariant checked from the emulators' ground truth. Plus the proof that the checker bites: the same
// scripted crash without the launch journal double-launches, and the checker says so.
import { describe, expect, it } from 'vitest';
import { runChaos, type ChaosOptions, type ChaosResult } from './chaos.js';
import { INVARIANTS } from './invariants.js';

const violations = (r: ChaosResult) => INVARIANTS.flatMap((n) => r.verdict[n].map((v) => `${n}: ${v.detail}`));
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

describe('chaos: seeded runs of the engine against the emulators', () => {
  // One seed at each keep-warm preference: each lets idle workers go on its own terms.
  for (const [seed, preference] of [
    [7, 'balanced'],
    [1234, 'latency'],
    [90210, 'cost'],
  ] as const) {
    it(`seed ${seed} at ${preference}: kills and faults injected, zero invariant violations`, async () => {
      const r = await runChaos({ seed, chaosMin: 60, drainMin: 45, preference });
      expect(r.stats.preference).toBe(preference);
      expect(violations(r)).toEqual([]);
      // The run really was chaotic (a quiet run would pass trivially).
      expect(sum(r.kills)).toBeGreaterThan(0);
      expect(sum(r.faults)).toBeGreaterThan(0);
      expect(r.stats.launches).toBeGreaterThan(0);
      expect(r.stats.completed).toBe(r.stats.tasks);
    }, 120_000); // a guard against a hang, not a timing assertion (a run takes ~5 s)
  }

  // One task, EC2 lists new instances only after 60 s, and the engine dies right after EC2 created the instance
  // but before the response arrived. The restarted engine cannot see it in the listing.
  const scripted: ChaosOptions = {
    seed: 1,
    chaosMin: 2,
    drainMin: 30,
    intensity: 0,
    workload: false,
    listingDelaySec: 60,
    launchConcurrency: 1,
    script: [
      { step: 0, kind: 'tasks', queue: 'gpu', count: 1, durationSec: 300 },
      { step: 0, kind: 'kill', point: 'launch-response' },
    ],
  };

  it('with the crash journal, that crash costs nothing: one instance, the task done', async () => {
    const r = await runChaos({ ...scripted, crashSafety: true });
    expect(r.kills['launch-response']).toBe(1);
    expect(violations(r)).toEqual([]);
    expect(r.stats.launches).toBe(1);
    expect(r.stats.completed).toBe(1);
  });

  it('without it, the same crash launches twice, and the checker reports the double launch', async () => {
    const r = await runChaos({ ...scripted, crashSafety: false });
    expect(r.kills['launch-response']).toBe(1);
    expect(r.stats.launches).toBe(2);
    expect(r.verdict.doubleLaunch.length).toBeGreaterThan(0);
  });
});
