/**
 * Issue 16 in Chromium: the Overview timeline follows the demo's scale-up and scale-down as they happen, events are
 * markers that show their event on hover, the instance detail shows a stuck instance's console tail, and each
 * wording fix (launch switch, Costs range, month projection, cap state, one prices note, one credentials note, the
 * labelled queue bar, whole instance ids) in light and dark. Screenshots go to test-output/screenshots/.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { CapStatus } from '../../shared/budget.js';
import type { Snapshot } from '../../shared/domain.js';
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
} from './support.js';

const e2e = browserSuite('timeline');
const suite = e2e.suite;

type Theme = 'light' | 'dark';
const THEMES: Theme[] = ['light', 'dark'];
const DARK_BG = 'rgb(15, 20, 26)';

async function open(p: Preview, theme: Theme = 'light'): Promise<Page> {
  e2e.track(p);
  const page = await e2e.browser.newPage({ colorScheme: theme });
  await page.goto(p.server.url);
  await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  if (theme === 'dark') expect(bg).toBe(DARK_BG);
  else expect(bg).not.toBe(DARK_BG);
  return page;
}

async function tab(page: Page, name: string) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

const num = async (page: Page, attr: string) =>
  Number(await page.locator('[data-testid="timeline"] .chart-summary').getAttribute(attr));

suite(`scaling timeline and dashboard fixes in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('the Overview timeline shows the demo scaling up and back down as it happens, with hoverable markers (light, then dark)', async () => {
    const p = await realPreview({ demo: true });
    const page = await open(p, 'light');
    const card = page.getByTestId('timeline');
    await card.getByRole('heading', { name: 'Scaling over time' }).waitFor();
    // The chart has a text alternative: the frame is an image labelled by the summary.
    const frame = card.locator('.chart-frame').first();
    expect(await frame.getAttribute('role')).toBe('img');
    await page.getByRole('switch', { name: 'Autoscaling' }).click();

    // Scale-up: launches appear as markers and the instance count rises.
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="timeline"] .chart-summary')?.getAttribute('data-peak')) > 0,
      undefined,
      { timeout: 90_000, polling: 500 },
    );
    expect(await num(page, 'data-launches')).toBeGreaterThan(0);
    expect(await card.locator('.scaling-chart canvas').count()).toBe(1);
    // A fresh history opens on 15 min; each range button sets the axis to its whole span, however little history.
    const box = card.locator('.scaling-chart');
    const span = async () =>
      Number(await box.getAttribute('data-x-max')) - Number(await box.getAttribute('data-x-min'));
    expect(await card.getByRole('radio', { name: '15 min' }).getAttribute('aria-checked')).toBe('true');
    expect(Math.abs((await span()) - 900_000)).toBeLessThan(5000);
    for (const [name, ms] of [
      ['1 h', 3600_000],
      ['24 h', 24 * 3600_000],
      ['15 min', 900_000],
    ] as const) {
      await card.getByRole('radio', { name }).click();
      await expect.poll(async () => Math.abs((await span()) - ms) < 60_000, { timeout: 10_000 }).toBe(true);
    }

    // Too early for a month projection after a minute of demo.
    const projection = page.locator('.stat', { hasText: 'Month projection' });
    expect(await projection.locator('.stat-value').textContent()).toBe('Too early');
    expect(await projection.locator('.stat-sub').textContent()).toMatch(/needs an hour of history/);

    // Hover a launch marker: its event shows.
    await card.locator('summary', { hasText: 'Show the numbers behind the chart' }).click();
    const launchRow = card.locator('tr[data-marker-kind="launch"]').last();
    const at = Number(await launchRow.getAttribute('data-at'));
    const over = card.locator('.scaling-chart .u-over');
    const bb = (await over.boundingBox())!;
    const xMin = Number(await box.getAttribute('data-x-min'));
    const xMax = Number(await box.getAttribute('data-x-max'));
    await page.mouse.move(bb.x + ((at - xMin) / (xMax - xMin)) * bb.width, bb.y + bb.height / 2);
    const tip = card.locator('.chart-tip');
    await tip.waitFor({ state: 'visible' });
    expect(await tip.textContent()).toMatch(/launch: launched \d+ × /);
    await shotOf(card, 'timeline-hover-light');
    await page.mouse.move(0, 0);

    // Scale-down: the demo's tasks finish, idle instances are terminated, the count falls below the peak.
    await page.waitForFunction(
      () => {
        const el = document.querySelector('[data-testid="timeline"] .chart-summary');
        const n = (a: string) => Number(el?.getAttribute(a));
        return n('data-terminations') > 0 && n('data-now') < n('data-peak');
      },
      undefined,
      { timeout: 240_000, polling: 1000 },
    );
    const table = card.getByRole('table', { name: 'Instances, tasks waiting and burn rate over time' });
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await card.getByRole('table', { name: 'Events on the chart, newest first' }).textContent()).toMatch(
      /termination.*terminated/s,
    );
    await card.locator('summary', { hasText: 'Show the numbers behind the chart' }).click();
    await shot(page, 'timeline-overview-light', true);
    await shotOf(card, 'timeline-card-light');
    // The Costs chart, whose own range is 6 h, opens on a history this young at 15 min as well.
    await tab(page, 'Costs');
    const burn = page.locator('section', { has: page.getByRole('heading', { name: 'Burn rate and spend over time' }) });
    await burn.getByRole('radio', { name: '15 min' }).waitFor();
    expect(await burn.getByRole('radio', { name: '15 min' }).getAttribute('aria-checked')).toBe('true');

    const dark = await open(p, 'dark');
    const darkCard = dark.getByTestId('timeline');
    await darkCard.locator('.scaling-chart canvas').waitFor();
    await dark.waitForFunction(
      () =>
        Number(document.querySelector('[data-testid="timeline"] .chart-summary')?.getAttribute('data-terminations')) >
        0,
      undefined,
      { timeout: 10_000 },
    );
    expect(await darkCard.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe('rgb(255, 255, 255)');
    await shot(dark, 'timeline-overview-dark', true);
    await shotOf(darkCard, 'timeline-card-dark');
    expect(pageErrors(page)).toEqual([]);
    expect(pageErrors(dark)).toEqual([]);
  }, 420_000);

  it('instance detail: a CPU instance whose init script fails shows its lifecycle and the console tail (light and dark)', async () => {
    const p = await realPreview({ demo: true });
    const failure = 'clearml-autoscaler: pip install clearml-agent failed: No matching distribution found';
    p.backend.host.demoEmulation!.ec2.bootFailures.set('m5.large', failure);
    const page = await open(p, 'light');
    await page.getByRole('switch', { name: 'Autoscaling' }).click();
    await tab(page, 'Instances');
    const row = page.locator('[data-instance-id][data-phase="booting"]', { hasText: 'm5.large' }).first();
    await row.waitFor({ timeout: 60_000 });
    const id = (await row.getAttribute('data-instance-id'))!;
    await row.getByRole('button', { name: id, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Instance ${id}` });
    const tail = dialog.getByTestId('console-tail');
    await tail.waitFor({ timeout: 30_000 });
    await dialog.getByText(failure).waitFor({ timeout: 30_000 });
    expect(await tail.textContent()).toMatch(/Linux version .*\n[\s\S]*Failed to run module scripts_user/);
    const detail = dialog.getByTestId('instance-detail');
    expect(await detail.textContent()).toMatch(/Registered as a ClearML workernot yet/);
    expect(await detail.textContent()).toMatch(/Launched\d{4}-\d\d-\d\d \d\d:\d\d/);
    expect(await dialog.getByTestId('instance-spend').textContent()).toMatch(/^\$\d/);
    await shotOf(dialog, 'instance-detail-console-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor === bg, DARK_BG);
    await shotOf(dialog, 'instance-detail-console-dark');
    // A GPU instance boots fine: no console needed once it works.
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  for (const theme of THEMES) {
    it(`fixes that read wrong, ${theme}: launch switch, month projection, cap state, Costs range, one prices note`, async () => {
      const snap = withCaps(syntheticSnapshot(6));
      const p = await syntheticPreview(snap, { historyMs: 3 * 3600_000 });
      const page = await open(p, theme);

      // One switch, named for what on means, and the Scale-to-zero dialog uses the same name.
      const pause = page.getByRole('switch', { name: 'Pause new launches' });
      expect(await pause.getAttribute('aria-checked')).toBe('false');
      expect(await pause.textContent()).toBe('Pause new launches');
      expect(await page.getByTestId('pause-state').textContent()).toBe('Off: instances are launched when tasks wait.');
      expect(await page.getByText('Launches allowed').count()).toBe(0);
      await pause.click();
      await page.waitForSelector('[role="switch"][aria-label="Pause new launches"][aria-checked="true"]');
      expect(await page.getByTestId('pause-state').textContent()).toMatch(/^On: nothing new is launched/);
      await shotOf(page.locator('.controls'), `fix-launch-switch-${theme}`);
      await page.getByRole('button', { name: 'Scale to zero…' }).click();
      expect(await page.getByRole('dialog').textContent()).toContain('“Pause new launches”');
      await page.getByRole('button', { name: 'Cancel' }).click();

      // Three hours of history: the projection is shown.
      const projection = page.locator('.stat', { hasText: 'Month projection' }).locator('.stat-value');
      expect(await projection.textContent()).toMatch(/^\$[\d,]+/);

      await tab(page, 'Costs');
      // The monthly cap under its limit but projected over it: one state, said by badge, colour and sentence.
      const monthly = page.locator('[data-cap-id="global.monthlyUsd"]');
      // The projection counts once the history has arrived (a separate request): wait for it, then read the state.
      await page.locator('[data-cap-id="global.monthlyUsd"][data-cap-state="pace"]').waitFor({ timeout: 10_000 });
      expect(await monthly.getAttribute('data-cap-state')).toBe('pace');
      const badge = monthly.locator('.pill');
      expect(await badge.textContent()).toBe('on pace to pass');
      expect(await badge.getAttribute('class')).toContain('tone-warn');
      expect(await monthly.locator('.cap-text').textContent()).toMatch(/on pace to pass the cap by month end/);
      expect(await page.locator('.cap .pill', { hasText: /^ok$/ }).count()).toBe(0);

      // The prices are said once.
      expect(
        await page
          .locator('.costs')
          .getByText(/^Prices: /)
          .count(),
      ).toBe(1);

      // The range buttons change the chart's axis.
      const chart = page.locator('.costs .spend-chart');
      await chart.locator('canvas').waitFor();
      for (const h of [1, 24, 6]) {
        await page.getByRole('radio', { name: `${h} h` }).click();
        await page.waitForFunction(
          (want) => {
            const el = document.querySelector<HTMLElement>('.costs .spend-chart');
            const span = Number(el?.dataset['xMax']) - Number(el?.dataset['xMin']);
            return Math.abs(span - want) < 60_000;
          },
          h * 3600_000,
          { timeout: 10_000 },
        );
      }
      await shot(page, `fix-costs-${theme}`, true);
      expect(pageErrors(page)).toEqual([]);
    }, 120_000);

    it(`fixes that read wrong, ${theme}: one credentials note, a labelled queue bar, whole instance ids`, async () => {
      const p = await realPreview({ demo: true });
      const page = await open(p, theme);
      await tab(page, 'Credentials');
      const notes = page.locator('.credentials > .note');
      await notes.first().waitFor();
      expect(await notes.count()).toBe(1);
      expect(await notes.textContent()).toMatch(/memory only.*never shown again/);
      await shotOf(notes, `fix-credentials-note-${theme}`);

      await tab(page, 'Queues');
      const card = page.locator('.queue-card').first();
      await card.waitFor();
      expect(await card.locator('figcaption').textContent()).toBe('Workers by state');
      expect(await card.locator('.stacked').getAttribute('aria-label')).toMatch(
        /^Workers: \d+ busy, \d+ idle, \d+ booting$/,
      );
      expect(await card.locator('.stacked-figure .legend').textContent()).toMatch(/busy \d+.*idle \d+.*booting \d+/);
      await shotOf(card, `fix-queue-bar-${theme}`);

      const s = await syntheticPreview(syntheticSnapshot(12));
      const ipage = await open(s, theme);
      await tab(ipage, 'Instances');
      await ipage.locator('[data-instance-id]').first().waitFor();
      const cut = await ipage.evaluate(
        () =>
          Array.from(document.querySelectorAll<HTMLElement>('.col-instanceId .id-link')).filter((el) => {
            const cell = el.parentElement!;
            return el.scrollWidth > cell.clientWidth || cell.scrollWidth > cell.clientWidth;
          }).length,
      );
      expect(cut).toBe(0);
      await shot(ipage, `fix-instance-ids-${theme}`);
      expect(pageErrors(page)).toEqual([]);
      expect(pageErrors(ipage)).toEqual([]);
    }, 120_000);
  }
});

/** A monthly cap still under its limit whose month-end projection is over it, plus an hourly cap well under. */
function withCaps(s: Snapshot): Snapshot {
  const caps: CapStatus[] = [
    {
      id: 'global.monthlyUsd',
      queue: null,
      kind: 'monthly',
      label: 'global monthly cap $50',
      spent: 12,
      limit: 50,
      share: 0.24,
      projectedMonth: 1877,
      state: 'ok',
    },
    {
      id: 'global.hourlyUsd',
      queue: null,
      kind: 'hourly',
      label: 'global hourly burn cap $5/h',
      spent: 1.1,
      limit: 5,
      share: 0.22,
      projectedMonth: 800,
      state: 'ok',
    },
  ];
  return { ...s, costs: { ...s.costs, projectedMonth: 1877, budgets: caps } };
}
