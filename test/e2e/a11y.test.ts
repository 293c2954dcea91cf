/**
 * Accessibility: axe-core (WCAG 2.1 A and AA rules, WCAG 2.2 AA's target size) over every view of the dashboard, in
 * the light and the dark theme, with and without data (first run, a scaled-up engine, an error state, forms with
 * their field errors showing), plus axe's best practices. Zero findings of any impact. Every control is at least
 * 24 × 24 CSS px by itself, at full width and at 320 px.
 * The keyboard, the dialogs, the live region and the Instances table's structure: test/e2e/a11y-interaction.test.ts.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { EngineEvent, Snapshot } from '../../shared/domain.js';
import {
  browserSuite,
  pageErrors,
  type Preview,
  realPreview,
  shot,
  TEST_CONFIG,
  skipReason,
  syntheticPreview,
  syntheticSnapshot,
} from './support.js';
import { audit, auditLandmarks, describeFindings, smallTargets } from './axe.js';

const VIEWS = ['Overview', 'Queues', 'Instances', 'Costs', 'Events', 'Settings', 'Credentials'] as const;

let seq = 0;
function withEvents(s: Snapshot, events: Partial<EngineEvent>[]): Snapshot {
  const now = Date.now();
  return {
    ...s,
    events: events.map((e, i) => ({
      id: ++seq,
      at: now - (events.length - i) * 30_000,
      level: 'info',
      kind: 'engine',
      message: 'x',
      ...e,
    })),
  };
}

const scaled = () =>
  withEvents(syntheticSnapshot(40), [
    {
      kind: 'launch',
      queue: 'gpu',
      message: 'launched 2 × g4dn.xlarge on gpu',
      instanceIds: ['i-00000000000000000', 'i-00000000000000001'],
    },
    { kind: 'terminate', level: 'warn', queue: 'cpu', message: 'terminated 1 instance on cpu: idle for 15 min' },
    { kind: 'budget', level: 'warn', message: 'monthly cap at 80%' },
  ]);

const failing = () => ({
  ...withEvents(syntheticSnapshot(3), [
    {
      kind: 'error',
      level: 'error',
      message: 'EC2 could not be read at https://ec2.us-east-1.amazonaws.com: AuthFailure',
    },
  ]),
  status: 'error' as const,
  statusReason: 'EC2 could not be read at https://ec2.us-east-1.amazonaws.com: AuthFailure',
});

const e2e = browserSuite('accessibility');
const suite = e2e.suite;

const open = (p: Preview, colorScheme: 'light' | 'dark' = 'light') => e2e.open(p, colorScheme);

suite(`accessibility in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`first run, ${theme}: no axe findings`, async () => {
      const page = await open(await realPreview(), theme);
      await page.getByRole('heading', { name: 'Set up autoscaling' }).waitFor();
      const findings = await audit(page);
      expect(findings, describeFindings(`first run (${theme})`, findings)).toEqual([]);
    }, 60_000);

    for (const [state, make] of [
      ['scaled up', scaled],
      ['error state', failing],
    ] as const) {
      it(`every view, ${state}, ${theme}: no axe findings`, async () => {
        const page = await open(await syntheticPreview(make()), theme);
        await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
        const all: string[] = [];
        for (const view of VIEWS) {
          await page.getByRole('tab', { name: new RegExp(`^${view}`) }).click();
          await page.waitForTimeout(150);
          const findings = await audit(page);
          if (findings.length) all.push(describeFindings(`${view} (${state}, ${theme})`, findings));
        }
        if (all.length) await shot(page, `a11y-${state.replace(' ', '-')}-${theme}`);
        expect(all.join('\n'), all.join('\n')).toBe('');
        expect(pageErrors(page)).toEqual([]);
      }, 120_000);
    }
  }

  for (const theme of ['light', 'dark'] as const) {
    it(`forms with their field errors showing, ${theme}: no axe findings`, async () => {
      const all: string[] = [];
      const check = async (page: Page, where: string) => {
        const f = await audit(page);
        if (f.length) all.push(describeFindings(`${where} (${theme})`, f));
      };
      const page = await open(await realPreview({ config: TEST_CONFIG }), theme);
      await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();

      // Settings after a refused save: every invalid field marked, the status line naming them.
      await page.getByRole('tab', { name: /^Settings/ }).click();
      await page.getByRole('textbox', { name: 'ClearML API host' }).fill('not a url');
      await page
        .getByRole('group', { name: 'Resource gpu_t4' })
        .getByRole('textbox', { name: 'Instance type' })
        .fill('g4dn');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText(/^Not saved: 2 fields need attention/).waitFor();
      await check(page, 'Settings with field errors');

      // The import dialog after previewing a file that is not YAML: its issues listed.
      await page.getByRole('button', { name: 'Import ClearML YAML…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
      await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill('not: [valid');
      await dialog.getByRole('button', { name: 'Preview' }).click();
      await dialog.locator('.field-errors li').first().waitFor();
      await check(page, 'Import dialog with issues');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });

      // Credentials after a refused save.
      await page.getByRole('tab', { name: /^Credentials/ }).click();
      const creds = page.getByRole('form', { name: 'ClearML credentials' });
      await creds.getByRole('textbox', { name: 'Access key' }).fill('x');
      await creds.getByRole('textbox', { name: 'Access key' }).press('Enter');
      await creds.locator('.field-errors li').first().waitFor();
      await check(page, 'Credentials with field errors');

      // The first run after Next with the keys empty.
      const first = await open(await realPreview(), theme);
      await first.getByRole('heading', { name: 'Set up autoscaling' }).waitFor();
      await first.getByRole('button', { name: 'Next' }).click();
      await first.locator('.field-errors li').first().waitFor();
      await check(first, 'first run with field errors');

      expect(all.join('\n'), all.join('\n')).toBe('');
      expect(pageErrors(page)).toEqual([]);
    }, 120_000);
  }

  it('Settings: every section is a heading, one level under the page title, its group named by it', async () => {
    const page = await open(await syntheticPreview(scaled()));
    await page.getByRole('tab', { name: /^Settings/ }).click();
    await page.getByRole('form', { name: 'Settings' }).waitFor();
    const headings = await page.$$eval('h1, h2, h3, h4', (hs) => hs.map((h) => `${h.tagName}:${h.textContent}`));
    expect(headings).toEqual([
      'H1:ClearML Autoscaler',
      'H2:ClearML and AWS',
      'H2:Scaling',
      'H2:Resources',
      'H2:Queues',
      'H2:Instance setup',
      'H2:Budgets',
      'H3:Per-queue caps',
      'H2:Dead-man switch (lease)',
      'H2:Team: one engine acts (leader lease)',
      'H2:App preferences',
    ]);
    // The legend holds the heading: the section's group keeps its name.
    for (const name of ['Resources', 'Budgets', 'Queues'])
      expect(await page.getByRole('group', { name, exact: true }).count()).toBe(1);
  }, 60_000);

  it('target size (WCAG 2.2, 2.5.8): every control of every view is at least 24 × 24 CSS px by itself, light and dark, at 1360 and 320 px', async () => {
    const small: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      for (const demo of [false, true]) {
        const page = await open(await syntheticPreview({ ...scaled(), demo }), theme);
        await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
        for (const width of demo ? [1360] : [1360, 320]) {
          await page.setViewportSize({ width, height: 800 });
          for (const view of VIEWS) {
            await page.getByRole('tab', { name: new RegExp(`^${view}`) }).click();
            await page.waitForTimeout(150);
            for (const s of await smallTargets(page)) small.push(`${view} (${theme}, ${width} px, demo ${demo}): ${s}`);
          }
        }
      }
      const first = await open(await realPreview(), theme);
      await first.getByRole('heading', { name: 'Set up autoscaling' }).waitFor();
      for (const s of await smallTargets(first)) small.push(`first run (${theme}): ${s}`);
    }
    expect(small).toEqual([]);
  }, 120_000);

  it("the audit runs axe's target-size rule: two 13-px checkboxes side by side are a finding", async () => {
    const page = await open(await syntheticPreview(scaled()));
    await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    expect(await audit(page)).toEqual([]);
    // Styled through the CSSOM: the page's CSP refuses style attributes in markup, not this.
    await page.evaluate(() => {
      const box = document.createElement('div');
      for (const name of ['tiny one', 'tiny two']) {
        const c = document.createElement('input');
        c.type = 'checkbox';
        c.setAttribute('aria-label', name);
        Object.assign(c.style, { width: '13px', height: '13px', margin: '0 2px' });
        box.append(c);
      }
      document.querySelector('main')!.prepend(box);
    });
    expect((await audit(page)).map((f) => f.id)).toEqual(['target-size']);
    expect(await smallTargets(page)).toEqual(['input "tiny one" 13.0×13.0', 'input "tiny two" 13.0×13.0']);
  }, 60_000);

  it('reflow at 320 × 640 CSS px (400 % zoom): no view scrolls the page sideways', async () => {
    const snapshot = scaled();
    const withError = withEvents(snapshot, [
      ...snapshot.events,
      { kind: 'error', level: 'error', message: 'EC2 could not be read: AuthFailure' },
    ]);
    const page = await open(await syntheticPreview(withError));
    await page.setViewportSize({ width: 320, height: 640 });
    await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    const wide: string[] = [];
    for (const view of VIEWS) {
      await page.getByRole('tab', { name: new RegExp(`^${view}`) }).click();
      await page.waitForTimeout(250);
      if (view === 'Overview') await page.getByText('Show the numbers behind the chart').first().click();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 320) wide.push(`${view}: ${width}px`);
    }
    if (wide.length) await shot(page, 'reflow-320');
    expect(wide).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);

  it('every view, in the demo: one main landmark holds the view, and the header (DEMO banner included) the rest', async () => {
    const page = await open(await syntheticPreview({ ...scaled(), demo: true }));
    await page.getByRole('note', { name: 'Demo mode' }).waitFor();
    const all: string[] = [];
    for (const view of VIEWS) {
      await page.getByRole('tab', { name: new RegExp(`^${view}`) }).click();
      await page.waitForTimeout(150);
      const findings = await auditLandmarks(page);
      if (findings.length) all.push(describeFindings(`${view} (demo)`, findings));
    }
    expect(all.join('\n'), all.join('\n')).toBe('');
    expect(await page.getByRole('main').getByRole('tabpanel').count()).toBe(1);
    expect(await page.getByRole('banner').getByRole('note', { name: 'Demo mode' }).count()).toBe(1);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);
});
