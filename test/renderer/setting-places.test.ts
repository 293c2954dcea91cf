import { describe, expect, it } from 'vitest';
import { differenceText, type ImportDifference } from '../../electron/engine/config/clearml-differences.js';
import { settingPlace } from '../../renderer/src/model/setting-places.js';

/** One of each difference: a new code fails to compile here until it is added, and then its setting is checked. */
const EACH: { [C in ImportDifference['code']]: Extract<ImportDifference, { code: C }> } = {
  'not-carried': { code: 'not-carried', path: 'hyper_params.x', reason: 'unused-by-clearml' },
  'surplus-idle': { code: 'surplus-idle', maxIdleMin: 15, preference: 'balanced' },
  preference: { code: 'preference', preference: 'balanced', maxIdleMin: 15 },
  'spot-fallback-off': { code: 'spot-fallback-off', resources: ['gpu'] },
  'extra-conf-expanded': { code: 'extra-conf-expanded', hasDollar: true },
  'polling-default': { code: 'polling-default', seconds: 300 },
  'agent-pinned': { code: 'agent-pinned', version: '1.9.3' },
  'agent-queue-poll': { code: 'agent-queue-poll', seconds: 2 },
  lease: { code: 'lease', leaseMin: 20, graceMin: 10 },
  'startup-script': { code: 'startup-script' },
  'imds-v2-only': { code: 'imds-v2-only' },
  'agent-exit-powers-off': { code: 'agent-exit-powers-off' },
  'tags-at-launch': { code: 'tags-at-launch' },
  'zombie-workers': { code: 'zombie-workers' },
  'lost-tasks-requeued': { code: 'lost-tasks-requeued' },
  'idle-kept-per-pending': { code: 'idle-kept-per-pending' },
  'global-cap': { code: 'global-cap', maxTotalInstances: 20 },
  'foreign-instances': { code: 'foreign-instances', prefix: 'dyn' },
};

describe("every setting the import's differences advise can be changed in Settings", () => {
  it.each(Object.values(EACH).map((d) => [d.code, d] as const))('%s', (_code, d) => {
    const { setting } = differenceText(d);
    if (setting === null) return;
    expect(settingPlace(setting), setting).toMatch(/^[^→]+ → .+/);
  });

  it('names no place for a path Settings does not edit', () => {
    expect(settingPlace('scaling.workersPrefix')).toBeNull();
    expect(settingPlace('scaling.surplusIdleMin')).toBe('Scaling → Surplus idle time (min)');
  });
});
