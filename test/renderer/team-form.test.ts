// Settings → Team in the config draft (the lease table round-trips, an empty name means no table, a lease shorter
// than two polls is reported on its own field) and the Overview's status label for a standby.
import { describe, expect, it } from 'vitest';
import { draftFromConfig, validateDraft } from '../../renderer/src/model/config-form.js';
import { overviewModel } from '../../renderer/src/model/overview.js';
import { ConfigSchema, type ConfigInput } from '../../shared/config.js';
import { emptySnapshot } from '../../shared/domain.js';
import { standbyLeadership } from '../fixtures/index.js';

const base: ConfigInput = {
  clearml: { apiHost: 'https://api.clear.ml' },
  aws: { region: 'us-east-1' },
  resources: { gpu: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0' } },
  queues: { gpu: [{ resource: 'gpu', maxInstances: 2 }] },
};

describe('team draft', () => {
  it('round-trips the lease table and its timing', () => {
    const withTeam = {
      ...base,
      team: { leaseTable: 'clearml-autoscaler-leases', leaseRegion: 'eu-west-1', leaseSec: 90 },
    };
    const d = draftFromConfig(ConfigSchema.parse(withTeam));
    expect(d.team).toEqual({
      leaseTable: 'clearml-autoscaler-leases',
      leaseRegion: 'eu-west-1',
      leaseSec: '90',
      graceSec: '30',
    });
    const v = validateDraft(d);
    expect(v.valid).toBe(true);
    expect(ConfigSchema.parse(v.config).team).toEqual(ConfigSchema.parse(withTeam).team);
  });

  it('an emptied name removes the table (detection only)', () => {
    const d = draftFromConfig(ConfigSchema.parse({ ...base, team: { leaseTable: 'leases' } }));
    const v = validateDraft({ ...d, team: { ...d.team, leaseTable: '  ' } });
    expect(ConfigSchema.parse(v.config).team.leaseTable).toBeUndefined();
  });

  it('a lease shorter than two polls is an issue on the lease field', () => {
    const d = draftFromConfig(ConfigSchema.parse(base));
    const v = validateDraft({ ...d, team: { ...d.team, leaseTable: 'leases', leaseSec: '20' } });
    expect(v.valid).toBe(false);
    expect(v.issues['team.leaseSec']?.[0]).toMatch(/at least twice the polling interval \(15 s\)/);
  });
});

describe('overview status in team mode', () => {
  it('a standby is labelled Standby (warn), with the engine reason; a leader keeps the usual label', () => {
    const leadership = standbyLeadership();
    const s = {
      ...emptySnapshot(),
      enabled: true,
      status: 'watching' as const,
      statusReason: 'Standby: gpu-host leads',
      leadership,
    };
    expect(overviewModel(s, 0)).toMatchObject({
      statusLabel: 'Standby',
      tone: 'warn',
      reason: 'Standby: gpu-host leads',
    });
    const leader = { ...s, leadership: { ...leadership, role: 'leader' as const, acts: true } };
    expect(overviewModel(leader, 0).statusLabel).toBe('Watching queues');
  });
});
