/**
 * Settings edited as users do: two windows (or a teammate) changing the configuration at once.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { browserSuite, pageErrors, type Preview, realPreview, skipReason, TEST_CONFIG } from './support.js';

const e2e = browserSuite('settings edits');
const open = (p: Preview) => e2e.open(p);

async function tab(page: Page, name: string) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

const instanceType = (page: Page) =>
  page.getByRole('group', { name: 'Resource gpu_t4' }).getByRole('textbox', { name: 'Instance type' });
const maxInstances = (page: Page, queue: string) =>
  page
    .getByRole('group', { name: `Queue ${queue}` })
    .getByRole('textbox', { name: 'Max instances' })
    .first();

e2e.suite(`settings edits in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('a save in another window while this one holds unsaved edits: both edits are kept', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const a = await open(p);
    const b = await open(p);
    await tab(a, 'Settings');
    await tab(b, 'Settings');
    await instanceType(a).fill('g5.xlarge');
    await maxInstances(b, 'cpu').fill('7');
    await b.getByRole('button', { name: 'Save', exact: true }).click();
    await b.getByText('Saved. The engine applies it at its next poll.').waitFor();
    // Window A learns of it (the change feed) and keeps its own edit.
    await expect.poll(() => maxInstances(a, 'cpu').inputValue(), { timeout: 10_000 }).toBe('7');
    expect(await instanceType(a).inputValue()).toBe('g5.xlarge');
    await a
      .getByText(
        'Saved in another window or by a teammate while you edited: Queues now shows what they saved. Your unsaved edits are kept.',
      )
      .waitFor();
    await a.getByRole('button', { name: 'Save', exact: true }).click();
    await a.getByText('Saved. The engine applies it at its next poll.').waitFor();
    const saved = p.backend.settings.get().config;
    expect(saved?.resources['gpu_t4']?.instanceType).toBe('g5.xlarge');
    expect(saved?.queues['cpu']?.[0]?.maxInstances).toBe(7);
    expect(pageErrors(a)).toEqual([]);
  }, 120_000);

  it('unsaved edits survive a reload of the window (a quit or a crash), and go once saved', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const a = await open(p);
    await tab(a, 'Settings');
    await instanceType(a).fill('g5.xlarge');
    await a.reload();
    await tab(a, 'Settings');
    await a
      .getByText(/^Unsaved edits from \d{4}-\d\d-\d\d \d\d:\d\d are back: Save them, or Discard changes\.$/)
      .waitFor();
    expect(await instanceType(a).inputValue()).toBe('g5.xlarge');
    await a.getByRole('button', { name: 'Save', exact: true }).click();
    await a.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(p.backend.settings.get().config?.resources['gpu_t4']?.instanceType).toBe('g5.xlarge');
    await a.reload();
    await tab(a, 'Settings');
    expect(await instanceType(a).inputValue()).toBe('g5.xlarge');
    expect(await a.getByText(/are back: Save them/).count()).toBe(0);
    expect(pageErrors(a)).toEqual([]);
  }, 120_000);

  it('the same setting changed in two windows: the second window says its Save replaces the other one', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const a = await open(p);
    const b = await open(p);
    await tab(a, 'Settings');
    await tab(b, 'Settings');
    await instanceType(a).fill('g5.xlarge');
    await instanceType(b).fill('g6.xlarge');
    await b.getByRole('button', { name: 'Save', exact: true }).click();
    await b.getByText('Saved. The engine applies it at its next poll.').waitFor();
    await a
      .getByText(
        'Saved in another window or by a teammate while you edited: Resources changed there too: the form keeps your edits, and Save replaces theirs (Discard changes… shows theirs).',
      )
      .waitFor();
    expect(await instanceType(a).inputValue()).toBe('g5.xlarge');
    // Discarding shows what the other window saved.
    await a.getByRole('button', { name: 'Discard changes…' }).click();
    await a.getByRole('button', { name: 'Discard changes', exact: true }).click();
    expect(await instanceType(a).inputValue()).toBe('g6.xlarge');
    expect(pageErrors(a)).toEqual([]);
  }, 120_000);

  it('at 200 % zoom in an 800 × 600 window, Shift+Tab up the form never lands on a field hidden under the toolbar', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const a = await open(p);
    const b = await open(p);
    await a.setViewportSize({ width: 400, height: 300 });
    await tab(a, 'Settings');
    await tab(b, 'Settings');
    // The longest status line the toolbar carries: the same part saved in another window.
    await instanceType(a).fill('g5.xlarge');
    await instanceType(b).fill('g6.xlarge');
    await b.getByRole('button', { name: 'Save', exact: true }).click();
    await a.getByText(/changed there too/).waitFor();
    await maxInstances(a, 'cpu').focus();
    const hidden: string[] = [];
    for (let i = 0; i < 25; i++) {
      await a.keyboard.press('Shift+Tab');
      const seen = await a.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const r = el.getBoundingClientRect();
        const at = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 8));
        return { name: el.getAttribute('aria-label') ?? el.id, visible: !!at && (el === at || el.contains(at)) };
      });
      if (!seen.visible) hidden.push(seen.name);
    }
    expect(hidden).toEqual([]);
    expect(pageErrors(a)).toEqual([]);
  }, 120_000);

  it('AWS keys typed in Credentials survive a visit to another tab, which is marked unsaved meanwhile', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Credentials');
    const aws = () => page.getByRole('form', { name: 'AWS credentials' });
    await aws().getByRole('textbox', { name: 'Access key id' }).fill('AKIAIOSFODNN7EXAMPLE');
    await aws().getByLabel('Secret access key').fill('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    await tab(page, 'Settings');
    expect(await page.getByTestId('badge-credentials').textContent()).toContain('unsaved');
    await tab(page, 'Credentials');
    expect(await aws().getByRole('textbox', { name: 'Access key id' }).inputValue()).toBe('AKIAIOSFODNN7EXAMPLE');
    await aws().getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. Use Test connection to check it.').waitFor();
    // Saved: the fields empty (the secret is write-only) and the mark goes.
    expect(await aws().getByLabel('Secret access key').inputValue()).toBe('');
    expect(await page.getByTestId('badge-credentials').count()).toBe(0);
    expect((await p.backend.secrets.get('aws'))?.value.accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('a value the engine caps, or an emptied one, is said under its field as it is typed', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Settings');
    const field = (name: string) => page.getByRole('textbox', { name, exact: true });
    await field('Max idle time (min)').fill('15');
    await field('Surplus idle time (min)').fill('500');
    await page.getByText('Above the max idle time: idle instances go after 15 min at the latest.').waitFor();
    await field('Max instances in total').fill('4');
    await maxInstances(page, 'cpu').fill('9');
    await page.getByText('Above Max instances in total (4): no more than 4 run, across all queues.').waitFor();
    await field('Max spin-up time (min)').fill('');
    await page.getByText('Left empty, the default is saved: 30.').waitFor();
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);
});
