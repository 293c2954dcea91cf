// Budget schema, launch checks, cap status and crossing notifications.
import { describe, expect, it } from 'vitest';
import { BudgetsSchema, formatUsd, type Budgets, type CapState, type CapStatus } from '../../shared/budget.js';
import { parseConfig, toFieldIssues } from '../../shared/config.js';
import {
  budgetStatus,
  checkLaunch,
  detectCrossings,
  idleTerminationScopes,
  type LaunchCheckInput,
  type SpendFigures,
} from '../../electron/engine/cost/budget.js';

const NOW = Date.UTC(2026, 10, 16, 0, 0); // 2026-11-16 00:00 UTC: 15 days (360 h) left in the month

function budgets(input: unknown): Budgets {
  return BudgetsSchema.parse(input);
}

function figures(over: Partial<SpendFigures> = {}): SpendFigures {
  return {
    budgets: budgets({}),
    burnPerHour: 0,
    burnPerHourByQueue: {},
    monthToDate: 0,
    monthToDateByQueue: {},
    now: NOW,
    ...over,
  };
}

describe('BudgetsSchema', () => {
  it('defaults to no caps at all', () => {
    expect(budgets({})).toEqual({ mode: 'stop-launching', nearCapPercent: 80, global: {}, queues: {} });
    expect(checkLaunch({ ...figures(), launch: { queue: 'gpu', hourlyPrice: 1e6 } })).toEqual({
      allowed: true,
      warnings: [],
    });
  });

  it.each([
    [{ global: { monthlyUsd: -5 } }, 'global.monthlyUsd', /monthly cap must be more than \$0; leave it empty/],
    [{ global: { hourlyUsd: 'ten' } }, 'global.hourlyUsd', /must be a number of US dollars/],
    [{ nearCapPercent: 150 }, 'nearCapPercent', /at most 100 %/],
    [{ mode: 'panic' }, 'mode', /'warn' \(notify only\), 'stop-launching' or 'terminate-idle'/],
    // Any name ClearML's server takes is a queue name ('gpu/big' is one); spaces at its ends are not.
    [
      { queues: { ' gpu ': { monthlyUsd: 5 } } },
      'queues. gpu ',
      /' gpu ': queue name must not start or end with a space/,
    ],
    [{ global: { dailyUsd: 5 } }, 'global', /dailyUsd/],
  ])('explains invalid input %j at %s', (input, at, message) => {
    const r = BudgetsSchema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = toFieldIssues(r.error!).find((i) => i.path === at);
    expect(issue?.message).toMatch(message);
  });

  it('is part of the app config, disabled by default', () => {
    const r = parseConfig({
      clearml: { apiHost: 'https://api.clear.ml' },
      aws: { region: 'us-east-1' },
      resources: { g5: { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' } },
      queues: { gpu: [{ resource: 'g5', maxInstances: 2 }] },
    });
    expect(r.ok && r.value.budgets).toEqual(budgets({}));
  });
});

describe('formatUsd', () => {
  it.each([
    [500, '$500'],
    [12.4, '$12.40'],
    [0.0052, '$0.0052'],
    [1234.5, '$1,234.50'],
  ])('%d → %s', (x, text) => expect(formatUsd(x)).toBe(text));
});

describe('checkLaunch', () => {
  const gpuCap = budgets({ queues: { gpu: { monthlyUsd: 500 } } });
  type Row = [string, LaunchCheckInput, { allowed: boolean; cap?: string; reason?: RegExp; warnings?: number }];
  const rows: Row[] = [
    [
      'queue monthly cap blocks a launch whose projection exceeds it, saying by how much',
      // 470 spent + (30 running + 12.40 new) × 1 h = 512.40 → $12.40 over.
      {
        ...figures({ budgets: gpuCap, burnPerHourByQueue: { gpu: 30 }, monthToDateByQueue: { gpu: 470 } }),
        launch: { queue: 'gpu', hourlyPrice: 12.4 },
      },
      {
        allowed: false,
        cap: 'queues.gpu.monthlyUsd',
        reason:
          /^monthly cap \$500 for queue gpu would be exceeded by \$12\.40 \(projected: \$470 spent this month \+ \$42\.40 for one more hour/,
      },
    ],
    [
      'a projection landing exactly on the cap is allowed',
      {
        ...figures({ budgets: gpuCap, burnPerHourByQueue: { gpu: 30 }, monthToDateByQueue: { gpu: 450 } }),
        launch: { queue: 'gpu', hourlyPrice: 20 },
      },
      { allowed: true, warnings: 0 },
    ],
    [
      'the projection looks as many hours ahead as asked',
      // 400 spent + (30 running + 10 new) × 3 h = 520 → $20 over.
      {
        ...figures({ budgets: gpuCap, burnPerHourByQueue: { gpu: 30 }, monthToDateByQueue: { gpu: 400 } }),
        launch: { queue: 'gpu', hourlyPrice: 10 },
        lookaheadHours: 3,
      },
      {
        allowed: false,
        cap: 'queues.gpu.monthlyUsd',
        reason: /exceeded by \$20 \(projected: \$400 spent this month \+ \$120 for 3 more hours of the running/,
      },
    ],
    [
      'a month spent exactly to the cap is reached',
      { ...figures({ budgets: gpuCap, monthToDateByQueue: { gpu: 500 } }), launch: { queue: 'gpu', hourlyPrice: 0 } },
      { allowed: false, cap: 'queues.gpu.monthlyUsd', reason: /is reached/ },
    ],
    [
      'an hourly burn landing exactly on the cap is allowed',
      {
        ...figures({ budgets: budgets({ global: { hourlyUsd: 10 } }), burnPerHour: 9 }),
        launch: { queue: 'gpu', hourlyPrice: 1 },
      },
      { allowed: true, warnings: 0 },
    ],
    [
      'a reached monthly cap blocks even a free launch',
      {
        ...figures({ budgets: gpuCap, monthToDateByQueue: { gpu: 503.2 } }),
        launch: { queue: 'gpu', hourlyPrice: 0 },
      },
      {
        allowed: false,
        cap: 'queues.gpu.monthlyUsd',
        reason: /^monthly cap \$500 for queue gpu is reached \(\$503\.20 spent/,
      },
    ],
    [
      "another queue's cap does not apply",
      {
        ...figures({ budgets: gpuCap, monthToDate: 900, monthToDateByQueue: { gpu: 900 } }),
        launch: { queue: 'cpu', hourlyPrice: 1 },
      },
      { allowed: true, warnings: 0 },
    ],
    [
      'the global cap counts every queue',
      {
        ...figures({
          budgets: budgets({ global: { monthlyUsd: 1000 }, queues: { cpu: { monthlyUsd: 900 } } }),
          burnPerHour: 5,
          burnPerHourByQueue: { gpu: 5 },
          monthToDate: 998,
          monthToDateByQueue: { gpu: 950, cpu: 48 },
        }),
        launch: { queue: 'cpu', hourlyPrice: 0.5 },
      },
      { allowed: false, cap: 'global.monthlyUsd', reason: /^global monthly cap \$1,000 would be exceeded by \$3\.50 / },
    ],
    [
      'the hourly burn cap counts what runs plus the new instance',
      {
        ...figures({ budgets: budgets({ global: { hourlyUsd: 10 } }), burnPerHour: 9.5 }),
        launch: { queue: 'gpu', hourlyPrice: 1.006 },
      },
      {
        allowed: false,
        cap: 'global.hourlyUsd',
        reason:
          /^global hourly burn cap \$10\/h would be exceeded by \$0\.51\/h \(running \$9\.50\/h \+ \$1\.01\/h for this launch\)$/,
      },
    ],
    [
      'a queue cap is named before a global one when both are exceeded',
      {
        ...figures({
          budgets: budgets({ global: { hourlyUsd: 2 }, queues: { gpu: { hourlyUsd: 1 } } }),
          burnPerHour: 1.5,
          burnPerHourByQueue: { gpu: 0.9 },
        }),
        launch: { queue: 'gpu', hourlyPrice: 1 },
      },
      { allowed: false, cap: 'queues.gpu.hourlyUsd', reason: /for queue gpu/ },
    ],
    [
      'warn mode allows the launch but flags the cap',
      {
        ...figures({
          budgets: budgets({ mode: 'warn', queues: { gpu: { monthlyUsd: 500 } } }),
          burnPerHourByQueue: { gpu: 30 },
          monthToDateByQueue: { gpu: 470 },
        }),
        launch: { queue: 'gpu', hourlyPrice: 12.4 },
      },
      { allowed: true, warnings: 1 },
    ],
  ];

  it.each(rows)('%s', (_name, input, want) => {
    const d = checkLaunch(input);
    expect(d.allowed).toBe(want.allowed);
    if (!d.allowed) {
      expect(d.cap).toBe(want.cap);
      expect(d.reason).toMatch(want.reason!);
      expect(d.breaches[0]).toEqual({ cap: d.cap, reason: d.reason });
    } else {
      expect(d.warnings).toHaveLength(want.warnings ?? 0);
    }
  });

  it('in warn mode the flag carries the same reason a blocking mode would give', () => {
    const base = {
      ...figures({ burnPerHourByQueue: { gpu: 30 }, monthToDateByQueue: { gpu: 470 } }),
      launch: { queue: 'gpu', hourlyPrice: 12.4 },
    };
    const blocked = checkLaunch({ ...base, budgets: budgets({ queues: { gpu: { monthlyUsd: 500 } } }) });
    const warned = checkLaunch({ ...base, budgets: budgets({ mode: 'warn', queues: { gpu: { monthlyUsd: 500 } } }) });
    expect(blocked.allowed).toBe(false);
    expect(warned).toEqual({
      allowed: true,
      warnings: [{ cap: 'queues.gpu.monthlyUsd', reason: !blocked.allowed ? blocked.reason : '' }],
    });
  });
});

describe('budgetStatus', () => {
  it('reports every cap with spent, limit, share, projected month and state', () => {
    const caps = budgetStatus(
      figures({
        budgets: budgets({ global: { hourlyUsd: 10, monthlyUsd: 1000 }, queues: { gpu: { monthlyUsd: 500 } } }),
        burnPerHour: 2,
        burnPerHourByQueue: { gpu: 1 },
        monthToDate: 300,
        monthToDateByQueue: { gpu: 425 },
      }),
    );
    expect(caps.map((c) => [c.id, c.state])).toEqual([
      ['queues.gpu.monthlyUsd', 'near'],
      ['global.hourlyUsd', 'ok'],
      ['global.monthlyUsd', 'ok'],
    ]);
    const gpu = caps[0]!;
    expect(gpu).toMatchObject({
      queue: 'gpu',
      kind: 'monthly',
      spent: 425,
      limit: 500,
      label: 'monthly cap $500 for queue gpu',
    });
    expect(gpu.share).toBeCloseTo(0.85, 10);
    expect(gpu.projectedMonth).toBeCloseTo(425 + 1 * 360, 10);
    const hourly = caps[1]!;
    expect(hourly).toMatchObject({ spent: 2, share: 0.2, label: 'global hourly burn cap $10/h' });
    expect(hourly.projectedMonth).toBeCloseTo(300 + 2 * 360, 10);
  });

  it.each([
    ['stop-launching', "holding launches: this month's spend is unknown"],
    ['warn', "not checked: this month's spend is unknown"],
  ] as const)('a monthly cap with the month unknown (%s mode) is not ok, and says so', (mode, words) => {
    const caps = budgetStatus(
      figures({
        budgets: budgets({ mode, global: { hourlyUsd: 10, monthlyUsd: 1000 } }),
        burnPerHour: 2,
        monthUnknown: 'cost-history.jsonl: EISDIR',
      }),
    );
    expect(caps.map((c) => [c.label, c.state])).toEqual([
      ['global hourly burn cap $10/h', 'ok'],
      [`global monthly cap $1,000 (${words})`, 'unknown'],
    ]);
    // Not a crossing (the history's error tells it), and a cap found reached once the month is known again is one.
    const b = budgets({ mode, global: { monthlyUsd: 1000 } });
    const unknown = detectCrossings({}, budgetStatus(figures({ budgets: b, monthUnknown: 'x' })), b);
    expect(unknown).toEqual({ crossings: [], states: { 'global.monthlyUsd': 'unknown' } });
    const known = detectCrossings(unknown.states, budgetStatus(figures({ budgets: b, monthToDate: 1000 })), b);
    expect(known.crossings.map((c) => c.to)).toEqual(['reached']);
  });

  it('marks a cap reached at 100 % and honours a custom near threshold', () => {
    const caps = budgetStatus(
      figures({
        budgets: budgets({ nearCapPercent: 50, global: { hourlyUsd: 4, monthlyUsd: 100 } }),
        burnPerHour: 2.2,
        monthToDate: 100,
      }),
    );
    expect(caps.map((c) => c.state)).toEqual(['near', 'reached']);
  });
});

describe('detectCrossings', () => {
  const b = budgets({ global: { monthlyUsd: 100 } });
  const at = (spent: number): CapStatus[] => budgetStatus(figures({ budgets: b, monthToDate: spent }));

  function run(series: number[]): { spent: number; to: string }[] {
    let states: Record<string, CapState> = {};
    const out: { spent: number; to: string }[] = [];
    for (const spent of series) {
      const r = detectCrossings(states, at(spent), b);
      states = r.states;
      for (const c of r.crossings) out.push({ spent, to: c.to });
    }
    return out;
  }

  it('notifies each upward crossing once', () => {
    expect(run([10, 50, 81, 85, 90, 101, 120, 130])).toEqual([
      { spent: 81, to: 'near' },
      { spent: 101, to: 'reached' },
    ]);
  });

  it('does not re-notify a share hovering around the threshold', () => {
    expect(run([79, 81, 79, 81, 77, 82])).toEqual([{ spent: 81, to: 'near' }]);
  });

  it.each([
    // [series (spent of $100), crossings] at the edges: near at exactly 80 %; a share exactly 5 % under a threshold
    // has fallen far enough to step down.
    [[80], [{ spent: 80, to: 'near' }]],
    [[79.99], []],
    [
      [85, 75, 81],
      [
        { spent: 85, to: 'near' },
        { spent: 81, to: 'near' },
      ],
    ],
    [[85, 75.01, 81], [{ spent: 85, to: 'near' }]],
    [
      [101, 95, 102],
      [
        { spent: 101, to: 'reached' },
        { spent: 102, to: 'reached' },
      ],
    ],
    [[101, 95.01, 102], [{ spent: 101, to: 'reached' }]],
  ])('at the edges: %j → %j', (series, want) => {
    expect(run(series)).toEqual(want);
  });

  it('re-arms once the share falls well below (a new month), and notifies again', () => {
    expect(run([85, 2, 50, 86])).toEqual([
      { spent: 85, to: 'near' },
      { spent: 86, to: 'near' },
    ]);
  });

  it('stays reached while the share hovers just under 100 %, and notifies again only after it fell well below', () => {
    expect(run([101, 99, 102])).toEqual([{ spent: 101, to: 'reached' }]);
    expect(run([101, 90, 102])).toEqual([
      { spent: 101, to: 'reached' },
      { spent: 102, to: 'reached' },
    ]);
  });

  it.each([
    // [mode, the message's effect]
    ['warn', 'launches continue (budget mode is warn)'],
    ['stop-launching', 'no new launches for queue gpu until it drops below the cap'],
    ['terminate-idle', 'no new launches for queue gpu, and idle workers are being terminated'],
  ] as const)('a reached hourly queue cap in %s mode says so', (mode, effect) => {
    const qb = budgets({ mode, queues: { gpu: { hourlyUsd: 4 } } });
    const caps = budgetStatus(figures({ budgets: qb, burnPerHourByQueue: { gpu: 5 } }));
    expect(detectCrossings({}, caps, qb).crossings).toEqual([
      {
        cap: 'queues.gpu.hourlyUsd',
        from: 'ok',
        to: 'reached',
        level: 'error',
        message: `hourly burn cap $4/h for queue gpu reached (burning $5/h of $4/h): ${effect}`,
      },
    ]);
  });

  it('near the cap: a warning with the share used', () => {
    expect(detectCrossings({}, at(85), b).crossings).toEqual([
      {
        cap: 'global.monthlyUsd',
        from: 'ok',
        to: 'near',
        level: 'warn',
        message: 'global monthly cap $100: 85 % used ($85 of $100 spent this month)',
      },
    ]);
  });

  it('jumps straight to reached with one notification that says what the mode does', () => {
    const r = detectCrossings({}, at(150), b);
    expect(r.crossings).toHaveLength(1);
    expect(r.crossings[0]).toMatchObject({ cap: 'global.monthlyUsd', from: 'ok', to: 'reached', level: 'error' });
    expect(r.crossings[0]!.message).toBe(
      'global monthly cap $100 reached ($150 of $100 spent this month): no new launches until it drops below the cap',
    );
  });
});

describe('idleTerminationScopes', () => {
  it('applies only in terminate-idle mode, to scopes whose cap is reached', () => {
    const f = figures({
      budgets: budgets({ mode: 'terminate-idle', queues: { gpu: { hourlyUsd: 1 }, cpu: { hourlyUsd: 1 } } }),
      burnPerHourByQueue: { gpu: 1.5, cpu: 0.5 },
    });
    expect(idleTerminationScopes(f.budgets, budgetStatus(f))).toEqual({ global: false, queues: ['gpu'] });
    const stop = { ...f, budgets: { ...f.budgets, mode: 'stop-launching' as const } };
    expect(idleTerminationScopes(stop.budgets, budgetStatus(stop))).toEqual({ global: false, queues: [] });
    const all = figures({
      budgets: budgets({ mode: 'terminate-idle', global: { hourlyUsd: 1 }, queues: { gpu: { hourlyUsd: 1 } } }),
      burnPerHour: 2,
      burnPerHourByQueue: { gpu: 1.5, cpu: 0.5 },
    });
    expect(idleTerminationScopes(all.budgets, budgetStatus(all))).toEqual({ global: true, queues: ['gpu'] });
  });
});
