/**
 * The follow-up models: budget and lease fields in the Settings draft (messages on the exact field), cap bars
 * with the projection, the words of "Stop everything", and orphans in the Instances table.
 */
import { edit } from './draft.js';
import { describe, expect, it } from 'vitest';
import {
  buildConfig,
  draftFromConfig,
  emptyQueueCap,
  leaseSummary,
  renameQueue,
  validateDraft,
  type ConfigDraft,
} from '../../renderer/src/model/config-form.js';
import { capBar } from '../../renderer/src/model/costs.js';
import { formatMoneyFine } from '../../renderer/src/model/format.js';
import { EMPTY_FILTER, matchesFilter, orphanReason } from '../../renderer/src/model/instances.js';
import { STOP_EVERYTHING_CONSEQUENCE, summarizeStopEverything } from '../../renderer/src/model/stop-everything.js';
import type { CapStatus } from '../../shared/budget.js';
import { ConfigSchema, type ConfigInput } from '../../shared/config.js';
import { instance } from './fake-api.js';

const base: ConfigInput = {
  clearml: { apiHost: 'https://api.clear.ml' },
  aws: { region: 'us-east-1' },
  resources: {
    gpu_t4: { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
    cpu_m5: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
  },
  queues: { gpu: [{ resource: 'gpu_t4', maxInstances: 3 }], cpu: [{ resource: 'cpu_m5', maxInstances: 2 }] },
  budgets: {
    mode: 'terminate-idle',
    nearCapPercent: 75,
    global: { monthlyUsd: 500 },
    queues: { gpu: { hourlyUsd: 6, monthlyUsd: 300 }, cpu: { monthlyUsd: 40 } },
  },
  lease: { enabled: true, leaseMin: 30, graceMin: 5, maxLifetimeHours: 48 },
};

const capUid = (d: ConfigDraft, queue: string) => d.budgets.queues.find((c) => c.queue === queue)!.uid;

describe('budgets and lease in the settings form', () => {
  it('round-trips budgets and the lease exactly', () => {
    const d = draftFromConfig(ConfigSchema.parse(base));
    expect(d.budgets).toMatchObject({ mode: 'terminate-idle', nearCapPercent: '75', hourlyUsd: '', monthlyUsd: '500' });
    expect(d.lease).toEqual({ enabled: true, leaseMin: '30', graceMin: '5', maxLifetimeHours: '48' });
    const v = validateDraft(d);
    expect(v.issues).toEqual({});
    expect(ConfigSchema.parse(v.config)).toEqual(ConfigSchema.parse(base));
  });

  it('a config saved before budgets existed gets the schema defaults, and empty caps stay absent', () => {
    const { budgets: _b, lease: _l, ...old } = base;
    const d = draftFromConfig(old);
    expect(d.budgets).toEqual({
      mode: 'stop-launching',
      nearCapPercent: '80',
      hourlyUsd: '',
      monthlyUsd: '',
      queues: [],
    });
    expect(d.lease).toEqual({ enabled: true, leaseMin: '20', graceMin: '10', maxLifetimeHours: '0' });
    expect(buildConfig(d).config.budgets).toEqual({
      mode: 'stop-launching',
      nearCapPercent: 80,
      global: {},
      queues: {},
    });
  });

  it.each([
    [
      'a negative global hourly cap',
      (d: ConfigDraft) => (d.budgets.hourlyUsd = '-5'),
      'budgets.global.hourlyUsd',
      'hourly burn cap must be more than $0; leave it empty to have no hourly burn cap',
    ],
    [
      'a zero monthly cap',
      (d: ConfigDraft) => (d.budgets.monthlyUsd = '0'),
      'budgets.global.monthlyUsd',
      'monthly cap must be more than $0; leave it empty to have no monthly cap',
    ],
    [
      'a cap that is not a number (the schema’s own words, not a generic one)',
      (d: ConfigDraft) => (d.budgets.monthlyUsd = 'lots'),
      'budgets.global.monthlyUsd',
      'monthly cap must be a number of US dollars, or left empty for no cap',
    ],
    // A decimal comma (de-DE, fr-FR) or a thousands separator (en-US): either reading could be meant, 1000 times apart.
    [
      'a cap typed with a decimal comma',
      (d: ConfigDraft) => (d.budgets.monthlyUsd = '1,5'),
      'budgets.global.monthlyUsd',
      "monthly cap takes digits and a point for cents, without thousands separators (1500 or 1.5), not '1,5'",
    ],
    [
      'a cap typed with thousands separators',
      (d: ConfigDraft) => (d.budgets.hourlyUsd = ' 1,000.50 '),
      'budgets.global.hourlyUsd',
      "hourly burn cap takes digits and a point for cents, without thousands separators (1500 or 1.5), not '1,000.50'",
    ],
    [
      'a near-cap share over 100 %',
      (d: ConfigDraft) => (d.budgets.nearCapPercent = '150'),
      'budgets.nearCapPercent',
      'near-cap threshold must be at most 100 %',
    ],
    [
      'a lease shorter than 5 minutes',
      (d: ConfigDraft) => (d.lease.leaseMin = '2'),
      'lease.leaseMin',
      'lease must be at least 5 minutes',
    ],
    ['a negative grace', (d: ConfigDraft) => (d.lease.graceMin = '-1'), 'lease.graceMin', 'must be at least 0'],
    [
      'a max lifetime that is not a number',
      (d: ConfigDraft) => (d.lease.maxLifetimeHours = 'forever'),
      'lease.maxLifetimeHours',
      'must be a number',
    ],
  ])('%s is reported on its field', (_name, change, field, message) => {
    const v = validateDraft(edit(draftFromConfig(base), change));
    expect(v.valid).toBe(false);
    expect(v.issues).toEqual({ [field]: [message] });
  });

  it('a per-queue cap message lands on that row’s field', () => {
    const d = draftFromConfig(base);
    const gpu = capUid(d, 'gpu');
    const v = validateDraft(edit(d, (x) => (x.budgets.queues.find((c) => c.uid === gpu)!.hourlyUsd = '-1')));
    expect(v.issues).toEqual({
      [`budgetCap:${gpu}:hourlyUsd`]: [
        'hourly burn cap must be more than $0; leave it empty to have no hourly burn cap',
      ],
    });
  });

  it('a cap for a queue that is not configured says which queues are', () => {
    const d = draftFromConfig(base);
    const cpu = capUid(d, 'cpu');
    const v = validateDraft(edit(d, (x) => (x.queues = x.queues.filter((q) => q.name !== 'cpu'))));
    expect(v.issues).toEqual({
      [`budgetCap:${cpu}:queue`]: ["queue 'cpu' is not configured (configured: gpu); remove this cap or add the queue"],
    });
  });

  it('rows without a queue, duplicate rows and rows without any cap are explained', () => {
    const d = draftFromConfig(base);
    const none = emptyQueueCap('');
    const dup = { ...emptyQueueCap('gpu'), monthlyUsd: '10' };
    const bare = emptyQueueCap('cpu');
    const v = validateDraft(
      edit(d, (x) => {
        x.budgets.queues = x.budgets.queues.filter((c) => c.queue !== 'cpu');
        x.budgets.queues.push(none, dup, bare);
      }),
    );
    expect(v.issues).toEqual({
      [`budgetCap:${none.uid}:queue`]: ['choose the queue these caps apply to'],
      [`budgetCap:${dup.uid}:queue`]: ["queue 'gpu' already has a row of caps; keep one row per queue"],
      [`budgetCap:${bare.uid}:hourlyUsd`]: ['set an hourly or a monthly cap for this queue, or remove the row'],
    });
  });

  it('server issues about budgets map back onto the same fields', () => {
    const d = draftFromConfig(base);
    const gpu = capUid(d, 'gpu');
    const v = validateDraft(d);
    expect(v.paths['budgets.queues.gpu.monthlyUsd']).toBe(`budgetCap:${gpu}:monthlyUsd`);
    expect(v.paths['budgets.queues.gpu']).toBe(`budgetCap:${gpu}:queue`);
    expect(v.paths['lease.graceMin']).toBe('lease.graceMin');
    expect(v.paths['budgets.global.hourlyUsd']).toBe('budgets.global.hourlyUsd');
  });

  it('renaming a queue carries its caps; clearing the name on the way does not lose them', () => {
    const d = draftFromConfig(base);
    const gpuQueue = d.queues.find((q) => q.name === 'gpu')!.uid;
    const renamed = renameQueue(d, gpuQueue, 'gpu-big');
    expect(renamed.budgets.queues.map((c) => c.queue).sort()).toEqual(['cpu', 'gpu-big']);
    expect(validateDraft(renamed).issues).toEqual({});
    const cleared = renameQueue(d, gpuQueue, '');
    expect(cleared.budgets.queues.map((c) => c.queue).sort()).toEqual(['cpu', 'gpu']);
    const retyped = renameQueue(cleared, gpuQueue, 'gpu');
    expect(validateDraft(retyped).issues).toEqual({});
  });

  it('the lease summary says how long an idle instance outlives the app', () => {
    expect(leaseSummary({ enabled: true, leaseMin: '20', graceMin: '10', maxLifetimeHours: '0' })).toBe(
      'Now: an idle instance powers itself off at most 30 min after the app stops renewing; a busy one has no lifetime limit.',
    );
    expect(leaseSummary({ enabled: true, leaseMin: '20', graceMin: '5', maxLifetimeHours: '24' })).toBe(
      'Now: an idle instance powers itself off at most 25 min after the app stops renewing; no instance, busy or not, lives longer than 24 h.',
    );
    expect(leaseSummary({ enabled: true, leaseMin: 'x', graceMin: '5', maxLifetimeHours: '0' })).toBeNull();
    expect(leaseSummary({ enabled: false, leaseMin: '20', graceMin: '10', maxLifetimeHours: '0' })).toMatch(
      /^Off: instances keep running/,
    );
  });
});

function cap(p: Partial<CapStatus>): CapStatus {
  return {
    id: 'global.monthlyUsd',
    queue: null,
    kind: 'monthly',
    label: 'global monthly cap $100',
    spent: 40,
    limit: 100,
    share: 0.4,
    projectedMonth: 80,
    state: 'ok',
    ...p,
  };
}

describe('cap bars', () => {
  it.each([
    ['within the cap: the bar is the cap', cap({}), { spent: 0.4, limit: 1, projected: 0.8, projectedOffScale: false }],
    [
      'projection past the cap stretches the bar so the cap line shows',
      cap({ spent: 60, share: 0.6, projectedMonth: 150, state: 'near' }),
      { spent: 0.4, limit: 100 / 150, projected: 1, projectedOffScale: false },
    ],
    [
      'a runaway projection is pinned at twice the cap',
      cap({ spent: 90, share: 0.9, projectedMonth: 1000, state: 'near' }),
      { spent: 0.45, limit: 0.5, projected: 1, projectedOffScale: true },
    ],
    [
      'spend past the cap',
      cap({ spent: 120, share: 1.2, projectedMonth: 130, state: 'reached' }),
      { spent: 120 / 130, limit: 100 / 130, projected: 1, projectedOffScale: false },
    ],
    [
      'an hourly cap has no month projection on its bar',
      cap({
        kind: 'hourly',
        label: 'global hourly burn cap $10/h',
        spent: 5,
        limit: 10,
        share: 0.5,
        projectedMonth: 2000,
      }),
      { spent: 0.5, limit: 1, projected: null, projectedOffScale: false },
    ],
  ])('%s', (_name, c, expected) => {
    const b = capBar(c);
    expect({ ...b, text: undefined }).toEqual({ ...expected, text: undefined });
  });

  it('says every number in words', () => {
    expect(capBar(cap({ spent: 60, share: 0.6, projectedMonth: 150, state: 'near' })).text).toBe(
      '$60.00 of $100.00 spent this month (60%), near the cap; projected $150.00 by month end, over the cap',
    );
    expect(
      capBar(cap({ kind: 'hourly', spent: 12, limit: 10, share: 1.2, projectedMonth: 2000, state: 'reached' })).text,
    ).toBe('burning $12.00/h of $10.00/h (120%), cap reached; $2,000 by month end at this pace');
  });

  it('small amounts keep four decimals where a task cost needs them', () => {
    expect(formatMoneyFine(0.00156)).toBe('$0.0016');
    expect(formatMoneyFine(0.25)).toBe('$0.25');
    expect(formatMoneyFine(0)).toBe('$0.00');
  });
});

describe('stop everything', () => {
  it('the confirmation says what it does', () => {
    expect(STOP_EVERYTHING_CONSEQUENCE).toMatch(/every instance this app launched, in every region it has launched in/);
    expect(STOP_EVERYTHING_CONSEQUENCE).toMatch(/busy ones included/);
    expect(STOP_EVERYTHING_CONSEQUENCE).toMatch(/turns autoscaling off/);
  });

  it('summarises per region, failures first in tone', () => {
    const s = summarizeStopEverything({
      regions: [
        { region: 'us-east-1', terminated: 3, error: null },
        { region: 'eu-west-1', terminated: 0, error: null },
        { region: 'ap-south-1', terminated: 0, error: 'could not list instances in ap-south-1: timeout' },
      ],
    });
    expect(s.tone).toBe('error');
    expect(s.headline).toBe(
      'Autoscaling is off; 3 instances terminated, but 1 of 3 regions could not be swept: instances there may still be running. Follow the advice below.',
    );
    expect(s.regions).toEqual([
      { region: 'us-east-1', ok: true, text: '3 instances terminated' },
      { region: 'eu-west-1', ok: true, text: 'nothing was running' },
      { region: 'ap-south-1', ok: false, text: 'failed: could not list instances in ap-south-1: timeout' },
    ]);
  });

  it('all swept, and nothing to sweep', () => {
    expect(summarizeStopEverything({ regions: [{ region: 'us-east-1', terminated: 1, error: null }] })).toEqual({
      tone: 'ok',
      headline: 'Autoscaling is off; 1 region swept, 1 instance terminated.',
      regions: [{ region: 'us-east-1', ok: true, text: '1 instance terminated' }],
    });
    expect(summarizeStopEverything({ regions: [] }).headline).toMatch(/No region to sweep/);
  });
});

describe('orphans', () => {
  const orphan = instance({
    instanceId: 'i-0000000000000000d',
    phase: 'orphan',
    note: "queue 'old' / resource 'gpu_x' is not in the current config",
  });

  it('the row says why, or that no reason was given', () => {
    expect(orphanReason(orphan)).toBe("Orphan: queue 'old' / resource 'gpu_x' is not in the current config");
    expect(orphanReason({ ...orphan, note: undefined })).toBe(
      'Orphan: the engine gave no reason; check the Events view.',
    );
  });

  it('the orphans filter and the search both find it, the reason included', () => {
    const idle = instance({ instanceId: 'i-0000000000000000e' });
    const rows = [orphan, idle];
    const pick = (f: typeof EMPTY_FILTER) => rows.filter((r) => matchesFilter(r, f)).map((r) => r.instanceId);
    expect(pick({ ...EMPTY_FILTER, phase: 'orphan' })).toEqual(['i-0000000000000000d']);
    expect(pick({ ...EMPTY_FILTER, text: 'not in the current config' })).toEqual(['i-0000000000000000d']);
  });
});
