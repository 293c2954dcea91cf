import { describe, expect, it } from 'vitest';
import type { CapStatus } from '../../shared/budget.js';
import type { Snapshot } from '../../shared/domain.js';
import {
  budgetLine,
  buildTrayModel,
  formatRate,
  iconState,
  scaleToZeroPrompt,
  statusLine,
  TRAY_CAP_LINES,
  TRAY_LABEL_MAX,
  TRAY_QUEUE_LINES,
  type TrayIconState,
} from '../../electron/main/tray/tray-model.js';
import { instance, queue, snapshot } from '../service/fixtures.js';
import { usd } from '../../electron/engine/cli/view.js';
import { formatMoney } from '../../renderer/src/model/format.js';
import { standbyLeadership } from '../fixtures/index.js';

const costs = (burnPerHour: number) => ({ ...snapshot().costs, burnPerHour });
const three = [
  instance({ instanceId: 'i-00000001', hourlyPrice: 1.0 }),
  instance({ instanceId: 'i-00000002', hourlyPrice: 0.91, phase: 'idle' }),
  instance({ instanceId: 'i-00000003', hourlyPrice: 0.5, state: 'pending', phase: 'booting' }),
  instance({ instanceId: 'i-00000004', state: 'terminated', phase: 'terminating' }),
];
const settings = { launchAtLogin: false, launchAtLoginSupported: true, configured: true };
/** The last poll read ClearML, so the queue figures are counts. */
const read = { lastTickAt: 1_000, lastTickOkAt: 1_000 };

describe('tray status line and icon', () => {
  const cases: [string, Partial<Snapshot>, string, TrayIconState][] = [
    ['off, nothing running', {}, 'Autoscaling off', 'off'],
    [
      'off with instances still billing',
      { instances: three, costs: costs(2.41) },
      'Autoscaling off: 3 running, $2.41/h still billing',
      'off',
    ],
    [
      'off with tasks waiting: nothing launches for them',
      { ...read, queues: [queue({ name: 'gpu', pending: 2 }), queue({ name: 'cpu', pending: 1 })] },
      'Autoscaling off: 3 tasks waiting',
      'off',
    ],
    [
      'off while the last poll failed: its zeros are not "nothing waits", and no count is said',
      {
        lastTickAt: 2_000,
        lastTickOkAt: 1_000,
        instances: three.slice(0, 1),
        costs: costs(1),
        queues: [queue({ name: 'gpu', pending: 2 })],
      },
      'Autoscaling off: 1 running, $1.00/h still billing',
      'off',
    ],
    [
      'off, billing and waiting',
      { ...read, instances: three.slice(0, 1), costs: costs(1), queues: [queue({ name: 'gpu', pending: 1 })] },
      'Autoscaling off: 1 running, $1.00/h still billing; 1 task waiting',
      'off',
    ],
    [
      'on, standing by while another engine leads (team mode)',
      {
        enabled: true,
        status: 'watching',
        instances: three.slice(0, 2),
        costs: costs(1.91),
        leadership: standbyLeadership({ expiresAt: 60_000 }),
      },
      'Standby (gpu-host leads): 2 running, $1.91/h',
      'watching',
    ],
    [
      'on and watching',
      { enabled: true, status: 'watching', instances: three.slice(0, 2), costs: costs(1.91) },
      'Autoscaling on: 2 running, $1.91/h',
      'watching',
    ],
    [
      'on, an instance booting',
      { enabled: true, status: 'watching', instances: three, costs: costs(2.41) },
      'Autoscaling on: 3 running, $2.41/h',
      'scaling',
    ],
    [
      'on, scaling',
      { enabled: true, status: 'scaling', costs: costs(0) },
      'Autoscaling on: 0 running, $0.00/h',
      'scaling',
    ],
    ['starting', { enabled: true, status: 'starting' }, 'Autoscaling starting…', 'watching'],
    [
      'launches paused while an instance boots: paused wins over scaling',
      { enabled: true, status: 'scaling', launchesPaused: true, instances: three, costs: costs(2.41) },
      'Launches paused: 3 running, $2.41/h',
      'paused',
    ],
    [
      'launches paused but autoscaling off: off is what matters',
      { enabled: false, status: 'off', launchesPaused: true },
      'Autoscaling off',
      'off',
    ],
    [
      'launches paused',
      { enabled: true, status: 'watching', launchesPaused: true, instances: three.slice(0, 1), costs: costs(1) },
      'Launches paused: 1 running, $1.00/h',
      'paused',
    ],
    ['paused status', { enabled: true, status: 'paused' }, 'Launches paused: 0 running, $0.00/h', 'paused'],
    [
      'error with its reason',
      { enabled: true, status: 'error', statusReason: 'AWS rejected the credentials. Update them in Settings.' },
      'Autoscaling error: AWS rejected the credentials. Update them in Settings.',
      'error',
    ],
    ['error without reason', { status: 'error' }, 'Autoscaling error: see the dashboard', 'error'],
    [
      'demo and dry run are labelled',
      { enabled: true, status: 'watching', demo: true, dryRun: true },
      'Autoscaling on: 0 running, $0.00/h (demo, dry run)',
      'watching',
    ],
  ];
  it.each(cases)('%s', (_name, patch, line, icon) => {
    const s = snapshot(patch);
    expect(statusLine(s)).toBe(line);
    expect(iconState(s)).toBe(icon);
    const model = buildTrayModel(s, settings);
    expect(model.items[0]).toEqual({ id: 'status', type: 'normal', label: line, enabled: false });
    expect(model.tooltip).toBe(`ClearML autoscaler: ${line}`);
  });

  it('keeps the tooltip within the Windows limit', () => {
    const m = buildTrayModel(snapshot({ status: 'error', statusReason: 'x'.repeat(300) }), settings);
    expect(m.tooltip.length).toBeLessThanOrEqual(127);
    expect(m.tooltip.endsWith('…')).toBe(true);
  });
});

describe('tray menu', () => {
  it('lists the items in order with one line per queue', () => {
    const s = snapshot({
      ...read,
      enabled: true,
      status: 'watching',
      instances: three,
      queues: [
        queue({
          name: 'gpu',
          pending: 4,
          resources: [{ resource: 'gpu_t4', instanceType: 'g4dn.xlarge', market: 'spot', maxInstances: 3, running: 2 }],
        }),
        queue({ name: 'cpu', pending: 0, paused: true, exists: false }),
      ],
    });
    const m = buildTrayModel(s, settings);
    expect(m.items.map((i) => (i.type === 'separator' ? '---' : i.label))).toEqual([
      'Autoscaling on: 3 running, $0.00/h',
      'Autoscaling',
      '---',
      'gpu: 4 pending / 2 running',
      'cpu: 0 pending / 0 running (paused, missing on server)',
      '---',
      'Open dashboard',
      'Pause new launches',
      'Scale to zero…',
      '---',
      'Connect to a team engine…',
      '---',
      'Start at login',
      'Quit',
    ]);
    expect(m.items.find((i) => i.id === 'queue:gpu')?.action).toEqual({
      type: 'open-dashboard',
      target: { view: 'queues', id: 'gpu' },
    });
  });

  it.each([
    ['ClearML never read', { lastTickAt: null, lastTickOkAt: null }],
    ['the last poll failed', { lastTickAt: 2_000, lastTickOkAt: 1_000 }],
  ])("says a queue's pending count is unknown, not 0, and never that it is missing, while %s", (_what, ticks) => {
    // `exists: false` as an older engine (or the last good read) may still say: unread, it is not a claim to show.
    const s = snapshot({
      ...ticks,
      queues: [queue({ name: 'gpu', pending: 0 }), queue({ name: 'cpu', exists: false })],
    });
    const labels = buildTrayModel(s, settings).items.map((i) => (i.type === 'separator' ? '---' : i.label));
    expect(labels).toContain('gpu: pending unknown / 0 running');
    expect(labels).toContain('cpu: pending unknown / 0 running');
    expect(labels.join('\n')).not.toMatch(/gpu: 0 pending|missing/);
  });

  const toggles: [string, Partial<Snapshot>, typeof settings, Record<string, Record<string, unknown>>][] = [
    [
      'off: checkbox unchecked and toggles on; pause disabled; nothing to scale down',
      {},
      settings,
      {
        enabled: { checked: false, action: { type: 'toggle-enabled', enabled: true } },
        'pause-launches': { enabled: false },
        'scale-to-zero': { enabled: false },
      },
    ],
    [
      'on with instances: checkbox checked and toggles off; scale to zero enabled',
      { enabled: true, status: 'watching', instances: three },
      settings,
      {
        enabled: { checked: true, action: { type: 'toggle-enabled', enabled: false } },
        'pause-launches': { enabled: true, checked: false, action: { type: 'set-launches-paused', paused: true } },
        'scale-to-zero': { enabled: true, action: { type: 'scale-to-zero' } },
      },
    ],
    [
      'launches paused: the pause item unpauses',
      { enabled: true, launchesPaused: true },
      settings,
      { 'pause-launches': { checked: true, action: { type: 'set-launches-paused', paused: false } } },
    ],
    [
      'launch at login on',
      {},
      { ...settings, launchAtLogin: true, launchAtLoginSupported: true },
      { 'launch-at-login': { checked: true, enabled: true, action: { type: 'set-launch-at-login', enabled: false } } },
    ],
    [
      'launch at login unsupported (Linux): shown disabled',
      {},
      { ...settings, launchAtLogin: false, launchAtLoginSupported: false },
      { 'launch-at-login': { enabled: false } },
    ],
  ];
  it.each(toggles)('%s', (_name, patch, traySettings, expected) => {
    const m = buildTrayModel(snapshot(patch), traySettings);
    for (const [id, props] of Object.entries(expected)) {
      expect(m.items.find((i) => i.id === id)).toMatchObject(props);
    }
  });

  it.each([
    ['error', ['settings', 'credentials'], ['Open Settings…', 'Open Credentials…']],
    ['error', undefined, []],
    ['watching', ['credentials'], []],
  ] as const)('status %s, statusFix %j: items %j right under the status line', (status, statusFix, labels) => {
    const m = buildTrayModel(
      snapshot({ enabled: true, status, ...(statusFix ? { statusFix: [...statusFix] } : {}) }),
      settings,
    );
    const fixes = m.items.filter((i) => i.id.startsWith('fix:'));
    expect(fixes.map((i) => (i.type === 'separator' ? '' : i.label))).toEqual(labels);
    expect(m.items.slice(1, 1 + labels.length)).toEqual(fixes);
    for (const f of fixes)
      expect(f).toMatchObject({ action: { type: 'open-dashboard', target: { view: f.id.slice('fix:'.length) } } });
  });

  it.each([
    ['admin', ['Open Credentials…']],
    ['operator', ['Fixed on the team engine: ask its admin']],
    ['viewer', ['Fixed on the team engine: ask its admin']],
  ] as const)('attached to a team engine as %s, its keys refused: %j', (role, labels) => {
    const m = buildTrayModel(
      snapshot({
        enabled: true,
        status: 'error',
        statusFix: ['credentials'],
        remote: {
          url: 'https://team:7465',
          actor: { name: 'sam', role },
          state: 'connected',
          since: 0,
          retryAt: null,
          lastError: null,
        },
      }),
      settings,
    );
    const fixes = m.items.filter((i) => i.id.startsWith('fix:'));
    expect(fixes.map((i) => (i.type === 'separator' ? '' : i.label))).toEqual(labels);
    if (role !== 'admin') expect(fixes[0]).toMatchObject({ enabled: false });
  });

  it.each([
    ['first run: nothing saved', {}, true],
    [
      'an error from the unconfigured engine is not what to fix first',
      { status: 'error', statusFix: ['settings'] },
      true,
    ],
    ['the demo brings its own configuration', { demo: true }, false],
    [
      'attached to a team engine: its configuration is used',
      {
        remote: { url: 'https://team:7465', actor: null, state: 'connected', since: 0, retryAt: null, lastError: null },
      },
      false,
    ],
  ] as [string, Partial<Snapshot>, boolean][])('with no configuration saved, %s', (_what, patch, setup) => {
    const m = buildTrayModel(snapshot(patch), { ...settings, configured: false });
    const ids = m.items.map((i) => i.id);
    if (setup) {
      expect(m.status).toBe('Not set up');
      expect(m.tooltip).toBe('ClearML autoscaler: Not set up');
      // No switch that can only fail: "Set up…" opens the window, which shows the first-run screen.
      expect(ids).not.toContain('enabled');
      expect(ids.filter((id) => id.startsWith('fix:'))).toEqual([]);
      expect(m.items[1]).toMatchObject({
        id: 'set-up',
        label: 'Set up…',
        action: { type: 'open-dashboard', target: { view: 'settings' } },
      });
    } else {
      expect(m.status).not.toMatch(/Not set up/);
      expect(ids).toContain('enabled');
      expect(ids).not.toContain('set-up');
    }
  });

  describe('stays bounded whatever the config holds', () => {
    // 60 queues with an hourly and a monthly cap each (the audit's 193-item menu), long names, a 401's long reason.
    const many = Array.from({ length: 60 }, (_, k) =>
      queue({
        name: `team-${String(k).padStart(2, '0')}-${'long-queue-name-'.repeat(k % 7 === 0 ? 6 : 1)}`,
        pending: k % 10,
      }),
    );
    const caps = many.flatMap((q, k): CapStatus[] =>
      (['hourly', 'monthly'] as const).map((kind) => ({
        id: `queues.${q.name}.${kind}Usd`,
        queue: q.name,
        kind,
        label: `${kind} cap $${k + 1} for queue ${q.name}`,
        spent: 1,
        limit: k + 1,
        share: 1 / (k + 1),
        projectedMonth: 1,
        state: k === 0 ? 'reached' : 'ok',
      })),
    );
    const reason = `ClearML could not be read at https://api.clear.ml: ${'the server refused the key pair; '.repeat(12)}`;
    const big = snapshot({
      ...read,
      enabled: true,
      status: 'error',
      statusReason: reason,
      statusFix: ['credentials', 'settings'],
      queues: many,
      costs: { ...snapshot().costs, budgets: caps },
    });
    const m = buildTrayModel(big, settings);
    const labels = m.items.flatMap((i) => (i.label === undefined ? [] : [i.label]));

    it('at most 25 items, each label at most 80 characters (clipped with an ellipsis)', () => {
      expect(m.items.length).toBeLessThanOrEqual(25);
      for (const l of labels) expect(l.length).toBeLessThanOrEqual(TRAY_LABEL_MAX);
      expect(labels[0]).toMatch(/^Autoscaling error: ClearML could not be read at .*…$/);
      expect(m.status).toBe(`Autoscaling error: ${reason}`); // in full for the tooltip, which clips it itself
      expect(labels.filter((l) => l.endsWith('…')).length).toBeGreaterThan(1);
    });

    it('the queues with the most waiting, then how many more, opening the dashboard', () => {
      const queueLines = m.items.filter((i) => i.id.startsWith('queue:'));
      expect(queueLines).toHaveLength(TRAY_QUEUE_LINES);
      const nine = many.filter((q) => q.pending === 9).map((q) => `queue:${q.name}`);
      expect(queueLines.map((i) => i.id)).toEqual(nine);
      expect(m.items.find((i) => i.id === 'more-queues')).toEqual({
        id: 'more-queues',
        type: 'normal',
        label: `… and ${60 - TRAY_QUEUE_LINES} more (Open dashboard)`,
        action: { type: 'open-dashboard', target: { view: 'queues' } },
      });
    });

    it('the caps closest to their limit, then how many more, opening Costs', () => {
      const capLines = m.items.filter((i) => i.id.startsWith('budget:'));
      expect(capLines.map((i) => i.id)).toEqual([
        `budget:queues.${many[0]!.name}.hourlyUsd`,
        `budget:queues.${many[0]!.name}.monthlyUsd`,
      ]);
      expect(m.items.find((i) => i.id === 'more-caps')).toMatchObject({
        label: `… and ${120 - TRAY_CAP_LINES} more (Open dashboard)`,
        action: { type: 'open-dashboard', target: { view: 'costs' } },
      });
    });

    it('a config that fits keeps its order and has no "more" line', () => {
      const few = buildTrayModel(snapshot({ ...read, queues: many.slice(0, TRAY_QUEUE_LINES) }), settings);
      expect(few.items.filter((i) => i.id.startsWith('queue:')).map((i) => i.id)).toEqual(
        many.slice(0, TRAY_QUEUE_LINES).map((q) => `queue:${q.name}`),
      );
      expect(few.items.some((i) => i.id.startsWith('more-'))).toBe(false);
    });
  });

  it('has no queue section when there are no queues', () => {
    expect(buildTrayModel(snapshot(), settings).items.some((i) => i.id === 'sep-queues')).toBe(false);
  });
});

describe('tray budget lines', () => {
  const cap = (over: Partial<CapStatus>): CapStatus => ({
    id: 'global.monthlyUsd',
    queue: null,
    kind: 'monthly',
    label: 'global monthly cap $500',
    spent: 123.4,
    limit: 500,
    share: 0.2468,
    projectedMonth: 480,
    state: 'ok',
    ...over,
  });

  it('shows spend against each cap with the month projection', () => {
    const s = snapshot({ enabled: true, status: 'watching', costs: { ...snapshot().costs, budgets: [cap({})] } });
    const labels = buildTrayModel(s, settings).items.map((i) => i.label);
    expect(labels).toContain('Global monthly cap $500: $123.40 spent (25 %), $480.00 projected');
  });

  it('says in the status line when a cap is reached', () => {
    const reached = cap({
      kind: 'hourly',
      id: 'queues.gpu.hourlyUsd',
      queue: 'gpu',
      label: 'hourly burn cap $2/h for queue gpu',
      spent: 2.1,
      limit: 2,
      share: 1.05,
      state: 'reached',
    });
    const s = snapshot({ enabled: true, status: 'watching', costs: { ...snapshot().costs, budgets: [reached] } });
    expect(statusLine(s)).toMatch(/hourly burn cap \$2\/h for queue gpu reached/);
    expect(budgetLine(reached)).toBe('Hourly burn cap $2/h for queue gpu: $2.10/h now (105 %) — reached');
    // Paused launches still lead the line, with the cap after it; the icon says paused.
    const paused = { ...s, launchesPaused: true };
    expect(statusLine(paused)).toBe('Launches paused: 0 running, $0.00/h, hourly burn cap $2/h for queue gpu reached');
    expect(iconState(paused)).toBe('paused');
  });
});

describe('scale-to-zero confirmation', () => {
  it('names the count and the hourly cost, and warns about running tasks', () => {
    const p = scaleToZeroPrompt(snapshot({ instances: three }));
    expect(p.message).toBe('Terminate all 3 instances ($2.41/h)?');
    expect(p.detail).toMatch(/^1 instance is running a task; terminating interrupts it\./);
    expect(p.buttons[p.confirmId]).toBe('Terminate all');
    expect(p.buttons[p.cancelId]).toBe('Cancel');
  });

  it('one idle instance', () => {
    const p = scaleToZeroPrompt(
      snapshot({ instances: [instance({ instanceId: 'i-1', phase: 'idle', hourlyPrice: 0.526 })] }),
    );
    expect(p.message).toBe('Terminate all 1 instance ($0.53/h)?');
    expect(p.detail).not.toMatch(/running a task/);
  });
});

describe('tray attached to a team engine', () => {
  const remote = (role: 'viewer' | 'operator' | 'admin', state: 'connected' | 'disconnected' = 'connected') => ({
    url: 'wss://team:7465',
    actor: { name: 'vera', role },
    state,
    since: 0,
    retryAt: null,
    lastError: null,
  });
  const running = [instance({ instanceId: 'i-0000000000000000a', state: 'running', phase: 'idle' })];

  it.each([
    ['viewer', false, false, false],
    ['operator', true, true, true],
    ['admin', true, true, true],
  ] as const)('%s: toggle %s, pause %s, scale to zero %s', (role, toggle, pause, zero) => {
    const m = buildTrayModel(
      snapshot({ enabled: true, status: 'watching', instances: running, remote: remote(role) }),
      settings,
    );
    const on = (id: string) => m.items.find((i) => i.id === id)?.enabled !== false;
    expect([on('enabled'), on('pause-launches'), on('scale-to-zero')]).toEqual([toggle, pause, zero]);
    expect(m.status).toMatch(/^Team: /);
    expect(m.items.find((i) => i.id === 'team')?.label).toBe(`Team engine as vera (${role})…`);
  });

  it('says the viewer is read only, and when it is disconnected', () => {
    const m = buildTrayModel(snapshot({ remote: remote('viewer', 'disconnected') }), settings);
    expect(m.items.find((i) => i.id === 'team')?.label).toBe('Team engine as vera (viewer) (disconnected)…');
    expect(m.items.find((i) => i.id === 'team-role')).toMatchObject({ label: 'Viewer: read only', enabled: false });
    expect(m.items.find((i) => i.id === 'team')?.action).toEqual({
      type: 'open-dashboard',
      target: { view: 'settings', id: 'team' },
    });
  });
});

// One amount reads the same on every surface: `toFixed` rounds 0.995 to "0.99" (its binary value is just under),
// where the dashboard shows "$1.00".
describe('amounts as the dashboard shows them', () => {
  it.each([
    [0.995, '$1.00'],
    [1234.5, '$1,235'],
    [0.004, '< $0.01'],
  ])('%d: the tray, the command line and the dashboard agree (%s)', (amount, shown) => {
    expect(formatMoney(amount)).toBe(shown);
    expect(usd(amount)).toBe(shown);
    expect(formatRate(amount)).toBe(`${shown}/h`);
    const cap = { kind: 'monthly', label: 'monthly cap $2,000', spent: amount, share: 0.5, projectedMonth: amount };
    expect(budgetLine({ ...cap, state: 'ok' } as CapStatus)).toBe(
      `Monthly cap $2,000: ${shown} spent (50 %), ${shown} projected`,
    );
  });
});
