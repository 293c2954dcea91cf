/**
 * Focus never drops to the page's body after an action done by keyboard: a button that waits for its action, a
 * row removed with its focused Remove button, a dialog whose action disabled or removed the control that opened it,
 * a first-run step replaced by the next. Each row: reach the control with the keyboard, press Enter or Space, wait
 * for the action to show, then ask what has focus.
 */
import net from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { browserSuite, pageErrors, realPreview, skipReason, syntheticPreview, syntheticSnapshot } from './support.js';

const e2e = browserSuite('focus after actions');
const suite = e2e.suite;

/** What has focus: "BODY", or the element's tag, role and name; whether it is inside an open dialog. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'BODY';
    const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.getAttribute('role') ? `[${el.getAttribute('role')}]` : ''} "${name}"`;
  });
const inDialog = (page: Page) => page.evaluate(() => document.activeElement?.closest('dialog[open]') !== null);

/** Put focus on `name`'s control, then press `key`: the keyboard does the action. */
async function press(page: Page, role: 'button' | 'switch', name: string | RegExp, key = 'Enter') {
  await page
    .getByRole(role, { name, exact: typeof name === 'string' })
    .first()
    .focus();
  await page.keyboard.press(key);
}

async function settings(page: Page) {
  await page.keyboard.press('Alt+6');
  await page.getByRole('form', { name: 'Settings' }).waitFor();
}

async function editIdle(page: Page, value: string) {
  const idle = page.getByRole('textbox', { name: 'Max idle time (min)' });
  await idle.focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(value);
}

interface Row {
  name: string;
  /** Which preview: the synthetic dashboard, or the first-run screen of the real backend. */
  on: 'dashboard' | 'first run';
  act: (page: Page) => Promise<void>;
  /** Focus must stay inside the open dialog. */
  staysInDialog?: boolean;
}

// A ClearML server that accepts the connection and never answers: the first-run check stays pending.
const hang = net.createServer(() => undefined);
let hangUrl = '';
beforeAll(async () => {
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  hangUrl = `http://127.0.0.1:${(hang.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  hang.close();
});

async function stepOne(page: Page, host: string) {
  await page.getByRole('heading', { name: 'Set up autoscaling' }).waitFor();
  await page.getByRole('textbox', { name: 'ClearML API host' }).fill(host);
  await page.getByRole('textbox', { name: 'Access key' }).fill('FIRSTRUNACCESSKEY');
  await page.getByLabel('Secret key').fill('first-run-secret-0123456789');
}

/** Step 1 with a server that refuses the connection: the check fails and offers Continue anyway. */
async function failedCheck(page: Page) {
  await stepOne(page, 'http://127.0.0.1:9');
  await press(page, 'button', 'Next');
  await page.getByTestId('step-check-failed').waitFor({ timeout: 30_000 });
}

const ROWS: Row[] = [
  {
    name: 'Overview: Space on the Autoscaling switch',
    on: 'dashboard',
    act: async (page) => {
      await press(page, 'switch', 'Autoscaling', 'Space');
      await page.waitForSelector('[role=switch][aria-label=Autoscaling][aria-checked=true]');
    },
  },
  {
    name: 'Queues: Pause queue',
    on: 'dashboard',
    act: async (page) => {
      await page.keyboard.press('Alt+2');
      await press(page, 'button', 'Pause queue gpu');
      await page.getByRole('button', { name: 'Resume queue gpu' }).waitFor();
    },
  },
  {
    name: 'Settings: Save',
    on: 'dashboard',
    act: async (page) => {
      await settings(page);
      await editIdle(page, '25');
      await press(page, 'button', 'Save');
      await page
        .getByRole('status')
        .getByText(/^Saved/)
        .waitFor();
    },
  },
  {
    name: 'Settings: Discard changes, confirmed',
    on: 'dashboard',
    act: async (page) => {
      await settings(page);
      await editIdle(page, '25');
      await press(page, 'button', 'Discard changes…');
      const dialog = page.getByRole('dialog', { name: 'Discard the unsaved changes?' });
      await dialog.waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      expect(await page.getByRole('textbox', { name: 'Max idle time (min)' }).inputValue()).not.toBe('25');
    },
  },
  {
    name: 'Settings: Remove resource',
    on: 'dashboard',
    act: async (page) => {
      await settings(page);
      await press(page, 'button', 'Remove resource gpu_t4');
      await page.getByRole('group', { name: 'Resource gpu_t4' }).waitFor({ state: 'detached' });
    },
  },
  {
    name: 'Settings: Remove a resource from a queue',
    on: 'dashboard',
    act: async (page) => {
      await settings(page);
      await press(page, 'button', 'Remove resource cpu_m5 from queue cpu');
      await page.getByRole('button', { name: 'Remove resource cpu_m5 from queue cpu' }).waitFor({ state: 'detached' });
    },
  },
  {
    name: 'Settings: Remove queue',
    on: 'dashboard',
    act: async (page) => {
      await settings(page);
      await press(page, 'button', 'Remove queue');
      await page.getByRole('group', { name: 'Queue gpu' }).waitFor({ state: 'detached' });
    },
  },
  {
    name: 'Settings: Import, Preview inside the dialog',
    on: 'dashboard',
    staysInDialog: true,
    act: async (page) => {
      await settings(page);
      await press(page, 'button', 'Import ClearML YAML…');
      const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
      await dialog.waitFor();
      await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill('not: [valid');
      await press(page, 'button', 'Preview');
      await dialog.getByText('Recognised as:').waitFor();
    },
  },
  {
    name: 'Instances: Terminate, confirmed',
    on: 'dashboard',
    act: async (page) => {
      await page.keyboard.press('Alt+3');
      await press(page, 'button', /^Terminate i-/);
      const dialog = page.getByRole('dialog', { name: /^Terminate i-/ });
      await dialog.waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await page.locator('[data-instance-id] .col-phase', { hasText: 'terminating' }).first().waitFor();
    },
  },
  {
    name: 'Credentials: Forget',
    on: 'dashboard',
    act: async (page) => {
      await page.keyboard.press('Alt+7');
      const form = page.getByRole('form', { name: 'ClearML credentials' });
      await form.getByRole('textbox', { name: 'Access key' }).fill('CREDACCESSKEY000001');
      await form.getByLabel('Secret key').fill('cred-secret-0123456789abcdef');
      await form.getByLabel('Secret key').press('Enter');
      await form.getByRole('button', { name: 'Forget' }).waitFor();
      await form.getByRole('button', { name: 'Forget' }).focus();
      await page.keyboard.press('Enter');
      await form.getByRole('button', { name: 'Forget' }).waitFor({ state: 'detached' });
    },
  },
  {
    name: 'First run: Next while the check runs',
    on: 'first run',
    act: async (page) => {
      await stepOne(page, hangUrl);
      await press(page, 'button', 'Next');
      await page.getByRole('button', { name: 'Checking…' }).waitFor();
    },
  },
  {
    name: 'First run: Continue anyway after a failed check',
    on: 'first run',
    act: async (page) => {
      await failedCheck(page);
      await press(page, 'button', 'Continue anyway');
      await page.getByRole('textbox', { name: 'AWS region' }).waitFor();
    },
  },
  {
    name: 'First run: Back',
    on: 'first run',
    act: async (page) => {
      await failedCheck(page);
      await page.getByRole('button', { name: 'Continue anyway' }).click();
      await press(page, 'button', 'Back');
      await page.getByRole('textbox', { name: 'ClearML API host' }).waitFor();
    },
  },
];

suite(`focus after keyboard actions in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('a click on the page background leaves focus there: a control removed afterwards does not pull it back', async () => {
    const page = await e2e.open(await syntheticPreview(syntheticSnapshot(3)));
    await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    await settings(page);
    await page.getByRole('button', { name: 'Remove resource gpu_t4', exact: true }).focus();
    await page.getByRole('heading', { name: 'ClearML Autoscaler' }).click();
    expect(await focused(page)).toBe('BODY');
    // Removed without focusing it (a script click): focus stays where the user put it.
    await page
      .getByRole('button', { name: 'Remove resource gpu_t4', exact: true })
      .evaluate((b) => (b as HTMLElement).click());
    await page.getByRole('group', { name: 'Resource gpu_t4' }).waitFor({ state: 'detached' });
    await page.waitForTimeout(200);
    expect(await focused(page)).toBe('BODY');
    await page.close();
  }, 60_000);

  for (const row of ROWS) {
    it(`${row.name}: focus stays on the page, not its body`, async () => {
      const p =
        row.on === 'dashboard'
          ? await syntheticPreview({ ...syntheticSnapshot(6), enabled: false, status: 'off' })
          : await realPreview();
      const page = await e2e.open(p);
      if (row.on === 'dashboard') await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
      await row.act(page);
      // Focus moves in the same task as the change it follows; a little slack for what follows it (a re-render).
      await page.waitForTimeout(200);
      expect(await focused(page), row.name).not.toBe('BODY');
      if (row.staysInDialog) expect(await inDialog(page), row.name).toBe(true);
      expect(pageErrors(page)).toEqual([]);
      await page.close();
    }, 90_000);
  }
});
