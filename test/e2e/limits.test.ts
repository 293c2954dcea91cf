/**
 * The dashboard's spend limits and kill switches in Chromium: budget and lease settings, the Costs view against
 * the real demo (spend by queue, by task, overhead, caps), orphans in the Instances table, and "Stop everything".
 * The demo runs in real time, so its tests share one demo server; the rest use synthetic snapshots. Each test
 * leaves screenshots in test-output/screenshots/.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PreviewBackend } from '../../electron/engine/preview/backend.js';
import type { CapStatus } from '../../shared/budget.js';
import { ConfigSchema } from '../../shared/config.js';
import { isLiveState, type Snapshot } from '../../shared/domain.js';
import {
  browserSuite,
  pageErrors,
  type Preview,
  realPreview,
  shot,
  shotOf,
  skipReason,
  syntheticPreview,
  syntheticSnapshot,
  TEST_CONFIG,
} from './support.js';

const e2e = browserSuite('limits');
const suite = e2e.suite;

const open = (p: Preview, colorScheme: 'light' | 'dark' = 'light') => e2e.open(p, colorScheme);

async function tab(page: Page, name: string) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

/** How long the demo may take to boot instances and run tasks (it is real time). */
const DEMO_TASKS_TIMEOUT_MS = 90_000;

const BUDGET_CONFIG = ConfigSchema.parse({
  ...TEST_CONFIG,
  budgets: { mode: 'stop-launching', global: { monthlyUsd: 500 }, queues: { cpu: { hourlyUsd: 2 } } },
});

function capStatus(p: Partial<CapStatus> & Pick<CapStatus, 'id' | 'label'>): CapStatus {
  return {
    queue: null,
    kind: 'monthly',
    spent: 0,
    limit: 100,
    share: 0,
    projectedMonth: 0,
    state: 'ok',
    ...p,
  };
}

/** A snapshot whose costs carry every optional figure: caps in each state, month spend, tasks, overhead. */
function costSnapshot(): Snapshot {
  const s = syntheticSnapshot(12);
  return {
    ...s,
    costs: {
      ...s.costs,
      priceSource: 'bundled table from 2026-11-01',
      monthToDate: 412.5,
      spotSavings: 61.2,
      spendByQueue: { gpu: 371.25, cpu: 41.25 },
      spendByResource: { gpu_t4: 120, gpu_a10: 251.25, cpu_m5: 41.25 },
      overheadByQueue: { gpu: { boot: 6.4, idle: 18.9 }, cpu: { boot: 0.8, idle: 2.1 } },
      byTask: [
        { taskId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', name: 'train-llama-lora', queue: 'gpu', cost: 143.2 },
        { taskId: 'b1b2c3d4e5f60718293a4b5c6d7e8f90', name: 'train-resnet50', queue: 'gpu', cost: 88.05 },
        { taskId: 'c1b2c3d4e5f60718293a4b5c6d7e8f90', queue: 'cpu', cost: 12.4 },
      ],
      budgets: [
        capStatus({
          id: 'global.monthlyUsd',
          label: 'global monthly cap $500',
          spent: 412.5,
          limit: 500,
          share: 0.825,
          projectedMonth: 690,
          state: 'near',
        }),
        capStatus({
          id: 'global.hourlyUsd',
          kind: 'hourly',
          label: 'global hourly burn cap $20/h',
          spent: 4.1,
          limit: 20,
          share: 0.205,
          projectedMonth: 690,
        }),
        capStatus({
          id: 'queues.cpu.monthlyUsd',
          queue: 'cpu',
          label: 'monthly cap $40 for queue cpu',
          spent: 41.25,
          limit: 40,
          share: 1.03,
          projectedMonth: 58,
          state: 'reached',
        }),
      ],
    },
  };
}

suite(`spend limits and kill switches in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  describe('against the real demo (one server, real time)', () => {
    let demo: Preview & { backend: PreviewBackend };
    let page: Page;

    beforeAll(async () => {
      demo = await realPreview({ demo: true });
      await demo.backend.host.setEnabled(true);
      page = await open(demo);
      await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    }, 60_000);

    it('Costs: once tasks have run it shows spend by queue, by task and overhead, each with its prices', async () => {
      await tab(page, 'Costs');
      const tasks = page.getByRole('table', { name: 'Spend by ClearML task this month' });
      const byQueue = page.getByRole('list', { name: 'Spend by queue this month' });
      // Bounded: the demo boots instances in 5-10 s and its first tasks start right after.
      await page.waitForFunction(
        () => {
          const rows = (heading: string) => {
            const h = Array.from(document.querySelectorAll('h2')).find((x) => x.textContent === heading);
            return h?.closest('section')?.querySelectorAll('tbody tr, li').length ?? 0;
          };
          return rows('Spend by ClearML task this month') >= 2 && rows('Spend by queue this month') >= 2;
        },
        undefined,
        { timeout: DEMO_TASKS_TIMEOUT_MS, polling: 1000 },
      );
      const taskText = (await tasks.textContent()) ?? '';
      expect(taskText).toMatch(/train-|preprocess-/);
      expect(taskText).toMatch(/\$0\.\d{4}|\$\d+\.\d\d/);
      for (const q of ['gpu', 'cpu']) await byQueue.getByText(q, { exact: true }).waitFor();
      await page.getByRole('table', { name: 'Idle and boot overhead this month' }).getByText('gpu').waitFor();

      // The page names the prices its figures come from once, under the totals: the engine's own source (whose
      // age ticks, hence N); no card repeats it.
      const norm = (t: string | null) => (t ?? '').replace(/\d+/g, 'N');
      const source = norm(`Prices: ${demo.backend.host.store.getState().costs.priceSource}`);
      expect(source).not.toMatch(/no prices yet|no instances running/);
      const notes = page.locator('.costs').getByText(/^Prices: /);
      expect(await notes.count()).toBe(1);
      expect(norm(await notes.textContent())).toBe(`${source}. Estimates; your AWS bill is authoritative.`);
      expect(await page.locator('.costs section.card .price-note').count()).toBe(0);

      // The caps card follows the demo config: bars when it sets caps, a pointer to Settings when not.
      const budgets = demo.backend.host.config!.budgets;
      const capsSet =
        budgets.global.hourlyUsd !== undefined ||
        budgets.global.monthlyUsd !== undefined ||
        Object.keys(budgets.queues).length > 0;
      const capsCard = page.locator('section', { has: page.getByRole('heading', { name: 'Budget caps' }) });
      if (capsSet) await capsCard.locator('.cap').first().waitFor();
      else await capsCard.getByText('No budget cap is set.').waitFor();

      await shot(page, 'costs-demo-light', true);
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(15, 20, 26)');
      await shot(page, 'costs-demo-dark', true);
      await page.emulateMedia({ colorScheme: 'light' });
      expect(pageErrors(page)).toEqual([]);
    }, 120_000);

    it('Settings shows the demo’s own config, read-only, and says it cannot be changed', async () => {
      await tab(page, 'Settings');
      await page
        .getByRole('note', { name: 'Demo configuration' })
        .getByText(/the demo config cannot be changed/)
        .waitFor();
      const type = page.getByRole('group', { name: 'Resource gpu_t4' }).getByRole('textbox', { name: 'Instance type' });
      expect(await type.inputValue()).toBe('g4dn.xlarge');
      expect(await type.isDisabled()).toBe(true);
      expect(await page.getByRole('textbox', { name: 'Lease (min)' }).isDisabled()).toBe(true);
      expect(await page.getByRole('radio', { name: 'Warn only' }).isDisabled()).toBe(true);
      for (const name of ['Save', 'Discard changes…', 'Import ClearML YAML…', 'Add resource', 'Add caps for a queue'])
        expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
      const enabledControls = await page
        .getByRole('form', { name: 'Settings' })
        .locator('input:enabled, select:enabled, textarea:enabled, button:enabled')
        .count();
      expect(enabledControls).toBe(0);
      expect(demo.calls).toContain('autoscaler:config.get');
      expect(demo.calls).not.toContain('autoscaler:config.save');
      await shot(page, 'settings-demo-readonly');
      expect(pageErrors(page)).toEqual([]);
    }, 60_000);

    it('Stop everything asks first, then terminates every demo instance, turns autoscaling off, and reports per region', async () => {
      const ec2 = demo.backend.host.clients!.ec2;
      const live = async () => (await ec2.describeInstances('demo')).filter((i) => isLiveState(i.state));
      expect((await live()).length).toBeGreaterThan(0);

      await tab(page, 'Overview');
      const open = page.getByRole('button', { name: 'Stop everything…' });
      const dialog = page.getByRole('dialog', { name: 'Stop everything?' });
      await open.click();
      expect(await dialog.textContent()).toMatch(
        /terminates every instance this app launched, in every region it has launched in, busy ones included.*turns autoscaling off/,
      );
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
      await shot(page, 'stop-everything-confirm');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect(demo.calls).not.toContain('autoscaler:engine.stopEverything');
      expect(await page.getByRole('switch', { name: 'Autoscaling' }).getAttribute('aria-checked')).toBe('true');

      await open.click();
      await dialog.getByRole('button', { name: 'Stop everything', exact: true }).click();
      const result = page.getByRole('dialog', { name: 'Stop everything: result' });
      const regions = result.getByRole('list', { name: 'Result by region' });
      await regions.waitFor();
      const line = (await regions.textContent()) ?? '';
      expect(line).toMatch(/^us-east-1: (\d+) instances? terminated$/);
      expect(Number(/(\d+) instance/.exec(line)?.[1])).toBeGreaterThan(0);
      expect(await result.textContent()).toMatch(/Autoscaling is off; 1 region swept, \d+ instances? terminated\./);
      await shot(page, 'stop-everything-result');

      await result.getByRole('button', { name: 'Close' }).click();
      await page.waitForSelector('[role="switch"][aria-label="Autoscaling"][aria-checked="false"]');
      await page.locator('.danger-zone .stop-result').getByText('us-east-1').waitFor();
      expect(await live()).toEqual([]);
      expect(demo.backend.host.store.getState().enabled).toBe(false);
      // Off, the engine only observes: the swept instances show as terminating straight away, and the card says what
      // turning it on would do (for the demo's waiting tasks, if any).
      await page.waitForFunction(() => document.querySelector('.stats .stat .stat-value')?.textContent === '0');
      await page.getByText(/turn it on to launch instances (when tasks wait in the queues|for (it|them))\./i).waitFor();
      await shot(page, 'overview-danger-zone-after-stop', true);
      expect(pageErrors(page)).toEqual([]);
    }, 60_000);
  });

  it('budget settings: an invalid cap shows its message and nothing is saved; valid caps and the lease save', async () => {
    const p = await realPreview({ config: BUDGET_CONFIG });
    const page = await open(p);
    await tab(page, 'Settings');
    const budgets = page.getByRole('group', { name: 'Budgets' });
    const hourly = budgets.getByRole('textbox', { name: 'Hourly burn cap, all queues (USD/h)' });
    expect(await budgets.getByRole('textbox', { name: 'Monthly cap, all queues (USD)' }).inputValue()).toBe('500');
    expect(await budgets.getByRole('radio', { name: 'Stop launching', exact: true }).isChecked()).toBe(true);
    await page.getByText(/an idle instance powers itself off after lease \+ grace; a busy one keeps running/).waitFor();

    await hourly.fill('-5');
    await budgets
      .getByText('hourly burn cap must be more than $0; leave it empty to have no hourly burn cap')
      .waitFor();
    expect(await hourly.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Not saved: (\d+ fields? needs? attention: |fix the fields)/).waitFor();
    await budgets.scrollIntoViewIfNeeded();
    await shot(page, 'settings-budget-invalid-cap');
    expect(p.calls).not.toContain('autoscaler:config.save');

    // A per-queue cap whose queue is removed: the cap row says so, and still nothing is saved.
    await hourly.fill('20');
    await page.getByRole('group', { name: 'Queue cpu' }).getByRole('button', { name: 'Remove queue' }).click();
    const cpuCaps = budgets.getByRole('group', { name: 'Caps for queue cpu' });
    await cpuCaps
      .getByText("queue 'cpu' is not configured (configured: gpu); remove this cap or add the queue")
      .waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Not saved: (\d+ fields? needs? attention: |fix the fields)/).waitFor();
    await cpuCaps.scrollIntoViewIfNeeded();
    await shot(page, 'settings-budget-unknown-queue');
    expect(p.calls).not.toContain('autoscaler:config.save');
    expect(p.backend.settings.get().config?.budgets).toEqual(BUDGET_CONFIG.budgets);

    // The same form saves once every field is valid (so the checks above can fail), and main validated it too.
    await page.getByRole('button', { name: 'Discard changes…' }).click();
    await page
      .getByRole('dialog', { name: 'Discard the unsaved changes?' })
      .getByRole('button', { name: 'Discard changes', exact: true })
      .click();
    await budgets.getByRole('radio', { name: 'Warn only' }).check();
    await hourly.fill('20');
    await budgets.getByRole('button', { name: 'Add caps for a queue' }).click();
    const gpuCaps = budgets.getByRole('group', { name: 'Caps for queue gpu' });
    await gpuCaps.getByRole('textbox', { name: 'Monthly cap (USD)' }).fill('300');
    await page.getByRole('textbox', { name: 'Lease (min)' }).fill('30');
    await page.getByRole('textbox', { name: 'Max lifetime (h)' }).fill('48');
    await page
      .getByText('Now: an idle instance powers itself off at most 40 min after the app stops renewing')
      .waitFor();
    await expect.poll(() => p.calls.includes('autoscaler:config.validate'), { timeout: 5000 }).toBe(true);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    const saved = p.backend.settings.get().config;
    expect(saved?.budgets).toEqual({
      mode: 'warn',
      nearCapPercent: 80,
      global: { hourlyUsd: 20, monthlyUsd: 500 },
      queues: { cpu: { hourlyUsd: 2 }, gpu: { monthlyUsd: 300 } },
    });
    expect(saved?.lease).toEqual({ enabled: true, leaseMin: 30, graceMin: 10, maxLifetimeHours: 48 });
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('Costs: each cap is a bar with its state and the month-end projection marked', async () => {
    const p = await syntheticPreview(costSnapshot());
    const page = await open(p);
    await tab(page, 'Costs');
    const caps = page.locator('.caps .cap');
    await caps.first().waitFor();
    expect(await caps.count()).toBe(3);
    const monthly = page.locator('[data-cap-id="global.monthlyUsd"]');
    expect(await monthly.locator('.pill').textContent()).toBe('near the cap');
    expect(await monthly.getByRole('img').getAttribute('aria-label')).toBe(
      'global monthly cap $500: $412.50 of $500.00 spent this month (83%), near the cap; projected $690.00 by month end',
    );
    // The projection ($690) lies past the cap ($500): the bar stretches to it, and the cap line is drawn inside.
    expect(await monthly.locator('.cap-proj').count()).toBe(1);
    expect(await monthly.locator('.cap-limit').count()).toBe(1);
    expect(await page.locator('[data-cap-id="global.hourlyUsd"] .cap-proj').count()).toBe(0);
    expect(await page.locator('[data-cap-id="queues.cpu.monthlyUsd"] .pill').textContent()).toBe('cap reached');
    await page.getByRole('table', { name: 'Spend by ClearML task this month' }).getByText('train-llama-lora').waitFor();
    // A task without a name is listed by its id.
    await page.getByText('c1b2c3d4e5f60718293a4b5c6d7e8f90').waitFor();
    // The prices are named once for the page, not on every card.
    expect(
      await page
        .locator('.costs')
        .getByText(/^Prices: /)
        .allTextContents(),
    ).toEqual(['Prices: bundled table from 2026-11-01. Estimates; your AWS bill is authoritative.']);
    await shot(page, 'costs-caps-light', true);
    await shotOf(
      page.locator('section', { has: page.getByRole('heading', { name: 'Budget caps' }) }),
      'costs-caps-card',
    );
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === 'rgb(15, 20, 26)');
    await shot(page, 'costs-caps-dark', true);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('Instances: an orphan row shows its reason in the row, and the Orphans filter lists only orphans', async () => {
    const snap = syntheticSnapshot(20);
    const reasons: Record<string, string> = {
      'i-00000000000000004': "queue 'legacy' / resource 'gpu_v100' is not in the current config",
      'i-00000000000000007': 'has our prefix tag but no queue tag',
    };
    snap.instances = snap.instances.map((i) =>
      reasons[i.instanceId] ? { ...i, phase: 'orphan', task: null, note: reasons[i.instanceId] } : i,
    );
    const p = await syntheticPreview(snap);
    const page = await open(p);
    await tab(page, 'Instances');
    for (const [id, reason] of Object.entries(reasons)) {
      const note = page.locator(`[data-instance-id="${id}"] .row-note`);
      expect(await note.textContent()).toBe(`⚠ Orphan: ${reason}`);
      expect(await note.isVisible()).toBe(true);
    }
    const filter = page.getByRole('button', { name: 'Orphans (2)' });
    await page.locator('[data-instance-id="i-00000000000000004"]').scrollIntoViewIfNeeded();
    await shot(page, 'instances-orphan-rows');
    await filter.click();
    expect(await filter.getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('search', { name: 'Filter instances' }).getByText('2 of 20 instances').waitFor();
    expect(await page.locator('[data-instance-id]').evaluateAll((els) => els.map((e) => e.dataset['phase']))).toEqual([
      'orphan',
      'orphan',
    ]);
    await shot(page, 'instances-orphans-filter');
    await filter.click();
    // The count in the filter bar; a screen reader hears it from the status region, which says it too.
    await page.getByRole('search', { name: 'Filter instances' }).getByText('20 instances', { exact: true }).waitFor();
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /^20 instances$/ })
        .count(),
    ).toBe(1);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('Stop everything: a failed region is shown with its advice; a host that cannot sweep says so and changes nothing', async () => {
    const sweeps: number[] = [];
    const withSweep = await syntheticPreview(syntheticSnapshot(6), {
      stopEverything: async () => {
        sweeps.push(Date.now());
        return {
          regions: [
            { region: 'eu-west-1', terminated: 0, error: null },
            {
              region: 'ap-south-1',
              terminated: 0,
              error:
                'could not list instances in ap-south-1: connect ETIMEDOUT. Run "Stop everything" again, or terminate them in the EC2 console of ap-south-1',
            },
            { region: 'us-east-1', terminated: 6, error: null },
          ],
        };
      },
    });
    const page = await open(withSweep);
    await page.getByRole('button', { name: 'Stop everything…' }).click();
    await page
      .getByRole('dialog', { name: 'Stop everything?' })
      .getByRole('button', { name: 'Stop everything', exact: true })
      .click();
    const result = page.getByRole('dialog', { name: 'Stop everything: result' });
    const items = result.getByRole('list', { name: 'Result by region' }).getByRole('listitem');
    await items.first().waitFor();
    expect(await items.allTextContents()).toEqual([
      'eu-west-1: nothing was running',
      'ap-south-1: failed: could not list instances in ap-south-1: connect ETIMEDOUT. Run "Stop everything" again, or terminate them in the EC2 console of ap-south-1',
      'us-east-1: 6 instances terminated',
    ]);
    expect(await result.textContent()).toMatch(/1 of 3 regions could not be swept/);
    expect(sweeps).toHaveLength(1);
    expect(withSweep.store.getState().enabled).toBe(false);
    await shot(page, 'stop-everything-region-failed');

    const without = await syntheticPreview(syntheticSnapshot(6));
    const page2 = await open(without);
    await page2.getByRole('button', { name: 'Stop everything…' }).click();
    const dialog = page2.getByRole('dialog', { name: 'Stop everything?' });
    await dialog.getByRole('button', { name: 'Stop everything', exact: true }).click();
    await dialog
      .getByRole('alert')
      .getByText(/Stop everything is not available in this window: nothing was terminated/)
      .waitFor();
    expect(without.store.getState().enabled).toBe(true);
    expect(without.terminated).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    expect(pageErrors(page2)).toEqual([]);
  }, 60_000);
});
