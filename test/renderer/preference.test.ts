import { describe, expect, it } from 'vitest';
import { buildConfig, draftFromConfig } from '../../renderer/src/model/config-form.js';
import { PREFERENCE_TEXT, preferenceOf, withPreference, type Preference } from '../../renderer/src/model/preference.js';

const base = {
  clearml: { apiHost: 'https://api.clear.ml' },
  aws: { region: 'us-east-1' },
  resources: { cpu: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' } },
  queues: { cpu: [{ resource: 'cpu', maxInstances: 3 }] },
  scaling: { pollingIntervalSec: 20, surplusIdleMin: 3 },
};

describe('keep-warm preference in the settings form', () => {
  it.each([
    ['absent → balanced', undefined, 'balanced'],
    ['cost', 'cost', 'cost'],
    ['latency', 'latency', 'latency'],
  ] as [string, Preference | undefined, Preference][])('%s', (_n, stored, shown) => {
    const cfg = { ...base, scaling: { ...base.scaling, ...(stored ? { preference: stored } : {}) } };
    expect(preferenceOf(draftFromConfig(cfg))).toBe(shown);
  });

  it('saves the chosen preference and keeps the other scaling fields the form does not edit', () => {
    const d = withPreference(draftFromConfig(base), 'latency');
    const built = buildConfig(d);
    expect(built.config.scaling).toMatchObject({ preference: 'latency', surplusIdleMin: 3, pollingIntervalSec: 20 });
  });

  it('explains every choice in words: a sentence or two under the selector, how it decides behind a disclosure', () => {
    for (const p of ['cost', 'balanced', 'latency'] as const) {
      const { summary, detail } = PREFERENCE_TEXT[p];
      // Short enough for a screen reader to read on each focus of the selector.
      expect(summary.split(' ').length).toBeLessThanOrEqual(30);
      expect(summary.length).toBeGreaterThan(40);
      expect(detail.length).toBeGreaterThan(summary.length);
    }
  });
});
