// Tasks held back while autoscaling is on and the status is not `error`: a resource whose launches EC2 refuses for
// its configuration (cooling down), a monthly cap held because the cost history cannot be opened, an hourly cap.
// The tray line and the headless status line used to read "Autoscaling on: 0 running" / "watching · 5 pending" and
// the Overview "nothing to do right now" while tasks waited. Each now says why, in the same short words.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CapStatus } from '../../shared/budget.js';
import type { Config } from '../../shared/config.js';
import type { QueueView, Snapshot } from '../../shared/domain.js';
import { statusLine as headlessLine } from '../../electron/engine/cli/view.js';
import { buildTrayModel } from '../../electron/main/tray/tray-model.js';
import { overviewModel } from '../../renderer/src/model/overview.js';
import {
  addTasks,
  AWS_KEYS,
  BAD_AMI_FAULT,
  badAmiFirstConfig,
  baseConfig,
  CLEARML_KEYS,
  T0,
} from '../fixtures/index.js';
import { queueView } from '../fixtures/views.js';
import { startWorld, type World } from '../fixtures/world.js';
import { snapshot } from '../service/fixtures.js';

const settings = { launchAtLogin: false, launchAtLoginSupported: false, configured: true };

/** What each surface shows as the state's reason: the tray's status line, the headless status line, the Overview's. */
function surfaces(s: Snapshot, now: number): Record<'tray' | 'headless' | 'overview', string> {
  return {
    tray: buildTrayModel(s, settings).status,
    headless: headlessLine(s),
    overview: overviewModel(s, now).reason,
  };
}

function expectEverySurface(s: Snapshot, now: number, why: RegExp): void {
  for (const [surface, text] of Object.entries(surfaces(s, now))) {
    expect(`${surface}: ${text}`).toMatch(why);
    expect(`${surface}: ${text}`).not.toMatch(/nothing to do/);
  }
}

const monthly: CapStatus = {
  id: 'global.monthlyUsd',
  queue: null,
  kind: 'monthly',
  label: "global monthly cap $500 (holding launches: this month's spend is unknown)",
  spent: 0,
  limit: 500,
  share: 0,
  projectedMonth: 0,
  state: 'unknown',
};
const hourly: CapStatus = {
  id: 'global.hourlyUsd',
  queue: null,
  kind: 'hourly',
  label: 'global hourly burn cap $0.20/h',
  spent: 0.192,
  limit: 0.2,
  share: 0.96,
  projectedMonth: 100,
  state: 'near',
};
const refusal =
  "Launches of 'gpu_a' for 'gpu' fail: EC2 rejected RunInstances (InvalidAMIID.NotFound: …): check the AMI id and " +
  "that the AMI exists in us-east-1. 'gpu_a' is tried again in 30 min, or at the next poll once its settings change.";

function held(status: Snapshot['status'], queue: Partial<QueueView>, more: Partial<Snapshot> = {}): Snapshot {
  return snapshot({
    enabled: true,
    status,
    lastTickAt: T0,
    lastTickOkAt: T0,
    queues: [queueView({ name: 'gpu' }), queueView({ name: 'cpu', ...queue })],
    ...more,
  });
}

describe('why tasks wait, from the snapshot (pure models)', () => {
  it.each([
    [
      'a cool-down after a refused configuration',
      held('watching', {
        pending: 1,
        held: {
          tasks: 1,
          causes: [
            { code: 'cooling', resource: 'gpu_a', cause: 'config' },
            { code: 'resource-cap', resource: 'gpu_b', max: 1 },
          ],
        },
      }),
      /1 task held by the cool-down of gpu_a after EC2 refused its settings \(and 1 more cause\)/,
    ],
    [
      'a cool-down after no capacity',
      held('watching', {
        pending: 1,
        held: { tasks: 1, causes: [{ code: 'cooling', resource: 'gpu_a', cause: 'capacity' }] },
      }),
      /1 task held by the cool-down of gpu_a after EC2 had no capacity/,
    ],
    [
      'a cool-down after the Spot role was missing',
      held('watching', {
        pending: 1,
        held: { tasks: 1, causes: [{ code: 'cooling', resource: 'gpu_a', cause: 'spot-role' }] },
      }),
      /1 task held by the cool-down of gpu_a after spot launches were refused for a missing Spot role/,
    ],
    [
      'the refusal in the status, before the queue shows a cool-down',
      held('watching', { pending: 2 }, { statusReason: refusal }),
      /2 tasks waiting: Launches of 'gpu_a' for 'gpu' fail/,
    ],
    [
      'a monthly cap with the month unknown',
      held(
        'watching',
        { pending: 5, held: { tasks: 5, causes: [{ code: 'budget', cap: 'global.monthlyUsd' }] } },
        {
          statusReason: 'The cost history cannot be opened (…): …',
          costs: { ...snapshot().costs, budgets: [monthly] },
        },
      ),
      /5 tasks held by the global monthly cap \$500 while this month's spend is unknown/,
    ],
    [
      'a monthly cap with the month unknown, and another cause: one aside, not two in a row',
      held(
        'watching',
        {
          pending: 5,
          held: {
            tasks: 5,
            causes: [
              { code: 'budget', cap: 'global.monthlyUsd' },
              { code: 'global-cap', max: 20 },
            ],
          },
        },
        {
          statusReason: 'The cost history cannot be opened (…): …',
          costs: { ...snapshot().costs, budgets: [monthly] },
        },
      ),
      /5 tasks held by the global monthly cap \$500 while this month's spend is unknown \(and 1 more cause\)/,
    ],
    [
      'an hourly cap',
      held(
        'scaling',
        { pending: 3, held: { tasks: 3, causes: [{ code: 'budget', cap: 'global.hourlyUsd' }] } },
        { costs: { ...snapshot().costs, budgets: [hourly] } },
      ),
      /3 tasks held by the global hourly burn cap \$0\.20\/h/,
    ],
    [
      'the global instance cap',
      held('watching', { pending: 4, held: { tasks: 4, causes: [{ code: 'global-cap', max: 20 }] } }),
      /4 tasks held by the global cap of 20 instances/,
    ],
  ])('%s: every surface says why', (_, s, why) => {
    expectEverySurface(s, T0, why);
  });

  it('tasks covered by booting instances are not called held, and the Overview does not say "nothing to do"', () => {
    const s = held('watching', { pending: 2, booting: 2 });
    const shown = surfaces(s, T0);
    expect(shown.tray).toBe('Autoscaling on: 0 running, $0.00/h');
    expect(shown.headless).toBe('watching · 2 pending · 0 instances (0 busy, 0 idle, 0 booting) · $0.00/h');
    expect(shown.overview).toMatch(/2 tasks wait: see Queues/);
  });

  it('off, paused, error and standby keep their own reason (nothing launches for them anyway)', () => {
    const queue = { pending: 5, held: { tasks: 5, causes: [{ code: 'global-cap' as const, max: 2 }] } };
    for (const status of ['off', 'paused', 'error'] as const)
      for (const text of Object.values(surfaces(held(status, queue, { enabled: status !== 'off' }), T0)))
        expect(text).not.toContain('held by');
  });
});

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

describe('why tasks wait, through the real engine', () => {
  async function run(config: Config, ticks: number, setup?: (w: World) => void) {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'], dataDir: true }));
    setup?.(w);
    const host = w.host({ dataDir: w.dir });
    host.configure(config, { clearml: CLEARML_KEYS, aws: AWS_KEYS });
    await host.setEnabled(true);
    try {
      for (let t = 0; t < ticks; t++) {
        await host.tickNow();
        w.clock.advance(60_000);
        w.agents.step();
      }
      await host.tickNow();
      return host.store.getState();
    } finally {
      await host.stop();
    }
  }

  it('an hourly cap holding tasks', async () => {
    const config = baseConfig({ budgets: { mode: 'stop-launching', global: { hourlyUsd: 0.2 } } });
    const s = await run(config, 3, (w) => addTasks(w.clearml, 'cpu', 5, 3 * 3600));
    expect(s.status).not.toBe('error');
    expectEverySurface(s, world!.clock.now(), /3 tasks held by the global hourly burn cap \$0\.20\/h/);
  });

  it('a monthly cap held by a cost history that cannot be opened', async () => {
    const config = baseConfig({ budgets: { mode: 'stop-launching', global: { monthlyUsd: 500 } } });
    const s = await run(config, 1, (w) => {
      mkdirSync(path.join(w.dir, 'cost-history.jsonl'));
      addTasks(w.clearml, 'cpu', 5, 1800);
    });
    expect(s.status).not.toBe('error');
    expectEverySurface(
      s,
      world!.clock.now(),
      /5 tasks held by the global monthly cap \$500 while this month's spend is unknown/,
    );
  });

  it('a resource whose launches EC2 refuses for its configuration', async () => {
    const config = badAmiFirstConfig();
    const s = await run(config, 3, (w) => {
      w.ec2.faults.push(BAD_AMI_FAULT);
      addTasks(w.clearml, 'gpu', 2, 4 * 3600);
    });
    expect(s.status).not.toBe('error');
    expect(s.statusReason).toMatch(/^Launches of 'gpu_a' for 'gpu' fail/);
    expectEverySurface(s, world!.clock.now(), /1 task held by the cool-down of gpu_a after EC2 refused its settings/);
  });
});
