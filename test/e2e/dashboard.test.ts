/**
 * The dashboard in Chromium against a preview server started in-process: the real renderer bundle, the real
 * WebSocket bridge, the real service handlers and dispatcher; the engine is the real demo world or a test store.
 * Each test leaves a screenshot in test-output/screenshots/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { systemClock } from '../../electron/engine/ports.js';
import { formatRate } from '../../shared/money.js';
import { startClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { startEc2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import {
  browserSuite,
  pageErrors,
  type Preview,
  realPreview,
  ROOT,
  shot,
  shotOf,
  skipReason,
  syntheticPreview,
  syntheticSnapshot,
  TEST_CONFIG,
} from './support.js';

const e2e = browserSuite('dashboard');
const suite = e2e.suite;

const open = (p: Preview, colorScheme: 'light' | 'dark' = 'light') => e2e.open(p, colorScheme);

async function tab(page: Page, name: string) {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

/** The setup's check of a step failed (no server here): go on as the user would with a VPN not up yet. */
async function continueAnyway(page: Page) {
  await page.getByTestId('step-check-failed').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Continue anyway' }).click();
}

const money = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, ''));

suite(`dashboard in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('first run → Try the demo → autoscaling on: instances appear, tasks run, the burn rate rises', async () => {
    const p = await realPreview();
    const page = await open(p);
    await page.getByRole('heading', { name: 'Set up autoscaling' }).waitFor();
    await shot(page, 'first-run');

    // By the keyboard: the dashboard that replaces the setup screen takes the focus (not the page's body).
    await page.getByRole('button', { name: 'Try the demo' }).focus();
    await page.keyboard.press('Enter');
    const banner = page.getByRole('note', { name: 'Demo mode' });
    await banner.waitFor();
    await page.getByRole('tabpanel', { name: 'Overview' }).waitFor();
    expect(
      await page.evaluate(() => `${document.activeElement?.getAttribute('role')}:${document.activeElement?.id}`),
    ).toBe('tabpanel:panel-overview');
    // Reached by the keyboard, so it shows that it has the focus.
    expect(
      await page.evaluate(() => {
        const cs = getComputedStyle(document.activeElement!);
        return `${cs.outlineStyle} ${parseFloat(cs.outlineWidth) >= 2}`;
      }),
    ).toBe('solid true');
    // Focused where it is: the header and the tabs stay in view.
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(await banner.textContent()).toMatch(/DEMO.*nothing real is launched or billed/);
    // The banner has the way out; it asks first, and staying changes nothing.
    await banner.getByRole('button', { name: 'Leave the demo and set up…' }).click();
    const leave = page.getByRole('dialog', { name: 'Leave the demo and set up' });
    await leave.getByText(/none of it was saved/).waitFor();
    await shot(page, 'demo-leave');
    await leave.getByRole('button', { name: 'Stay in the demo' }).click();
    await leave.waitFor({ state: 'detached' });
    await banner.waitFor();

    const burn = page.locator('.stat', { hasText: 'Burn rate' }).locator('.stat-value');
    expect(money(await burn.textContent())).toBe(0);

    const toggle = page.getByRole('switch', { name: 'Autoscaling' });
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    // Still off, the window follows the demo's queues as their tasks arrive (a second in), launching nothing.
    const queued = page.locator('.stat', { hasText: 'Queued tasks' }).locator('.stat-value');
    await page.waitForFunction((el) => Number(el?.textContent) > 0, await queued.elementHandle(), { timeout: 30_000 });
    expect(await page.locator('.stat', { hasText: 'Running' }).first().locator('.stat-value').textContent()).toBe('0');
    const scaleToZero = page.locator('.danger-row', { hasText: 'Scale to zero' });
    expect(await scaleToZero.textContent()).toMatch(/pauses new launches\. Autoscaling stays off\./);
    await toggle.click();
    await page.waitForSelector('[role="switch"][aria-label="Autoscaling"][aria-checked="true"]');
    expect(await scaleToZero.textContent()).toMatch(/pauses new launches\. Autoscaling stays on\./);

    await tab(page, 'Instances');
    await page.locator('[data-instance-id]').first().waitFor({ timeout: 60_000 });
    // A task is running on one of them: its name shows in the task column.
    await page
      .locator('[data-instance-id] .col-task', { hasText: /train-|preprocess-|eval-/ })
      .first()
      .waitFor({ timeout: 90_000 });
    await shot(page, 'demo-instances');

    await tab(page, 'Overview');
    await page.waitForFunction(
      () => Number(document.querySelector('.stats-money .stat-value')?.textContent?.replace(/[^0-9.]/g, '')) > 0,
      undefined,
      { timeout: 30_000 },
    );
    expect(money(await burn.textContent())).toBeGreaterThan(0);
    expect(await page.locator('.stat', { hasText: 'Spend today' }).textContent()).toMatch(/since 00:00 UTC$/);
    await shot(page, 'demo-overview', true);

    // The same page in dark mode, after scale-up: queues, instances and cost.
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(15, 20, 26)');
    await shot(page, 'dark-demo-overview', true);
    await tab(page, 'Queues');
    await page.locator('.queue-card').first().waitFor();
    await shot(page, 'dark-demo-queues', true);
    await tab(page, 'Instances');
    await shot(page, 'dark-demo-instances');
    await tab(page, 'Costs');
    await shot(page, 'dark-demo-costs', true);
    // Today's spend counts from 00:00 UTC, as the month does from the 1st (UTC): each card says which.
    expect(await page.locator('.stat', { hasText: 'Spend today' }).textContent()).toMatch(/since 00:00 UTC$/);
    await tab(page, 'Events');
    await page.locator('.event').first().waitFor();
    await shot(page, 'dark-demo-events');
    expect(pageErrors(page)).toEqual([]);
  }, 240_000);

  it('the demo, left while the app runs: the setup screen again, with nothing of the demo', async () => {
    const p = await realPreview();
    const page = await open(p);
    await page.getByRole('button', { name: 'Try the demo' }).click();
    const banner = page.getByRole('note', { name: 'Demo mode' });
    await banner.waitFor();
    await page.getByRole('switch', { name: 'Autoscaling' }).click();
    await tab(page, 'Instances');
    await page.locator('[data-instance-id]').first().waitFor({ timeout: 60_000 });
    await banner.getByRole('button', { name: 'Leave the demo and set up…' }).click();
    const leave = page.getByRole('dialog', { name: 'Leave the demo and set up' });
    await leave.getByRole('button', { name: 'Leave the demo' }).click();
    await page.getByRole('heading', { name: 'Set up autoscaling' }).waitFor({ timeout: 30_000 });
    expect(await banner.count()).toBe(0);
    // The engine behind the page left it too: no demo, nothing configured, nothing running.
    const snap = p.backend.host.store.getState();
    expect([snap.demo, snap.enabled, snap.instances.length, p.backend.host.config]).toEqual([false, false, 0, null]);
    // And the demo can be tried again.
    await page.getByRole('button', { name: 'Try the demo' }).click();
    await page.getByRole('note', { name: 'Demo mode' }).waitFor();
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('first run → setup: ClearML → AWS → first queue; each step checks its fields, then the dashboard opens', async () => {
    const p = await realPreview();
    const page = await open(p);
    const next = page.getByRole('button', { name: 'Next' });
    await page.getByRole('textbox', { name: 'Access key' }).fill('FIRSTRUNACCESSKEY');
    await next.click();
    await page.getByText('required').waitFor(); // the secret key is missing: the step does not advance
    await page.getByLabel('Secret key').fill('first-run-secret-0123456789');
    await next.click();
    await continueAnyway(page);
    await page.getByRole('textbox', { name: 'AWS region' }).fill('us-east-1');
    await next.click();
    await continueAnyway(page);
    await page.getByRole('textbox', { name: 'AMI id' }).fill('ami-12');
    await page.getByRole('button', { name: 'Save and finish' }).click();
    await page.getByText('AMI id must look like ami-0123456789abcdef0').waitFor();
    await shot(page, 'first-run-setup-step3');
    expect(p.calls).not.toContain('autoscaler:config.save');
    await page.getByRole('textbox', { name: 'AMI id' }).fill('ami-0123456789abcdef0');
    await page.getByRole('button', { name: 'Save and finish' }).click();
    await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    // The dashboard opens once the keys are stored, a moment before the config's save lands.
    await expect
      .poll(() => p.backend.settings.get().config?.queues)
      .toEqual({ default: [{ resource: 'gpu', maxInstances: 2 }] });
    expect((await p.backend.secrets.get('clearml'))?.value.accessKey).toBe('FIRSTRUNACCESSKEY');
    expect(await p.backend.secrets.get('aws')).toBeNull();
    expect(await page.getByRole('switch', { name: 'Autoscaling' }).getAttribute('aria-checked')).toBe('false');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('first run → setup: Next checks ClearML and AWS; a failure stays on its step, says why, and offers Continue anyway', async () => {
    const clearml = await startClearmlEmulator({ clock: systemClock });
    const ec2 = await startEc2Emulator({ clock: systemClock });
    const p = await realPreview({ awsEndpoint: ec2.url });
    try {
      const page = await open(p);
      const next = page.getByRole('button', { name: /^(Next|Checking…)$/ });
      const failed = page.getByTestId('step-check-failed');
      const current = page.locator('.steps [aria-current="step"]');
      await page.getByRole('textbox', { name: 'ClearML API host' }).fill(clearml.url);
      await page.getByRole('textbox', { name: 'Access key' }).fill('WRONGACCESSKEY000001');
      await page.getByLabel('Secret key').fill('wrong-secret-0123456789');

      // A server that does not answer yet: the step says it is checking, and Next waits.
      clearml.faults.inject({ hang: true, count: 1 });
      await next.click();
      await page.getByRole('button', { name: 'Checking…' }).waitFor();
      expect(await page.getByRole('button', { name: 'Checking…' }).isDisabled()).toBe(true);
      await page.getByRole('status').getByText(`Checking the connection to ${clearml.url}…`).waitFor();
      await failed.waitFor({ timeout: 30_000 });
      expect(await current.textContent()).toBe('1. ClearML');

      // Wrong keys: the server's refusal and what to do, on the ClearML step.
      await next.click();
      await failed.getByText(/rejected these credentials.*Create a new access key/).waitFor();
      await failed.getByText(/continue anyway if the server is reachable only later/).waitFor();
      await shot(page, 'first-run-setup-clearml-refused');
      expect(await current.textContent()).toBe('1. ClearML');
      expect(await page.getByRole('textbox', { name: 'AWS region' }).count()).toBe(0);
      // Checked, not saved: nothing is stored before the last step.
      expect(p.calls).not.toContain('autoscaler:credentials.set');
      expect(await p.backend.secrets.get('clearml')).toBeNull();
      // The keys typed are secrets: the failure does not echo them.
      expect(await failed.textContent()).not.toContain('wrong-secret-0123456789');

      await page.getByRole('button', { name: 'Continue anyway' }).click();
      expect(await current.textContent()).toBe('2. AWS');
      await page.getByRole('button', { name: 'Back' }).click();

      // The right keys: Next goes on, with no failure shown.
      await page.getByRole('textbox', { name: 'Access key' }).fill(clearml.accessKey);
      await page.getByLabel('Secret key').fill(clearml.secretKey);
      expect(await failed.count()).toBe(0); // an edit clears the old failure
      await next.click();
      await page.getByRole('textbox', { name: 'AWS region' }).waitFor();
      expect(await current.textContent()).toBe('2. AWS');
      expect(await failed.count()).toBe(0);

      // AWS refuses the keys: the same on the AWS step.
      await page.getByRole('textbox', { name: 'Access key id (optional)' }).fill('AKIAEMULATOR00000001');
      await page.getByLabel('Secret access key (optional)').fill('emulator/secret/key/0000000000000000000');
      ec2.faults.push({ action: 'DescribeInstances', code: 'AuthFailure', count: 1 });
      await next.click();
      await failed.getByText(/AWS rejected these AWS keys \(AuthFailure\)/).waitFor();
      expect(await current.textContent()).toBe('2. AWS');
      await next.click();
      await page.getByRole('textbox', { name: 'AMI id' }).fill('ami-0123456789abcdef0');
      await page.getByRole('button', { name: 'Save and finish' }).click();
      await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
      expect((await p.backend.secrets.get('clearml'))?.value.accessKey).toBe(clearml.accessKey);
      // The dashboard opens once the keys are stored; the config is saved right after them.
      await expect.poll(() => p.backend.settings.get().config?.clearml.apiHost).toBe(clearml.url);
      expect(pageErrors(page)).toEqual([]);
    } finally {
      await clearml.close();
      await ec2.close();
    }
  }, 120_000);

  it('first run with a ~/clearml.conf: its server is the default, its keys are used unless others are typed', async () => {
    const conf = [
      'api {',
      '  api_server: https://api.clearml.example.com',
      '  credentials { "access_key" = "CONFACCESSKEY0000001", "secret_key" = "conf-secret-value" }',
      '}',
    ].join('\n');
    const p = await realPreview({ clearmlConf: conf });
    const page = await open(p);
    const note = page.getByRole('note').filter({ hasText: 'ClearML keys found in' });
    await note.getByText(/clearml\.conf, for https:\/\/api\.clearml\.example\.com\. Leave the keys empty/).waitFor();
    const host = page.getByRole('textbox', { name: 'ClearML API host' });
    expect(await host.inputValue()).toBe('https://api.clearml.example.com');
    await shot(page, 'first-run-clearml-conf');
    // The import names the server an empty API host field stands for.
    await page.getByRole('button', { name: "Import ClearML's configuration…" }).click();
    const importDialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    await importDialog.getByText(/Empty: https:\/\/api\.clearml\.example\.com, from .*clearml\.conf/).waitFor();
    await importDialog.getByRole('button', { name: 'Cancel' }).click();
    await importDialog.waitFor({ state: 'detached' });
    // Those keys are for their own server: another host needs its own keys.
    await host.fill('https://api.clear.ml');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('The keys found are for https://api.clearml.example.com').waitFor();
    await host.fill('https://api.clearml.example.com');
    await page.getByRole('button', { name: 'Next' }).click();
    await continueAnyway(page);
    await page.getByRole('textbox', { name: 'AWS region' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await continueAnyway(page);
    await page.getByRole('textbox', { name: 'AMI id' }).fill('ami-0123456789abcdef0');
    await page.getByRole('button', { name: 'Save and finish' }).click();
    await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    await expect.poll(() => p.backend.settings.get().config?.clearml.apiHost).toBe('https://api.clearml.example.com');
    // Nothing stored: the engine keeps reading the file, as the Credentials tab says.
    expect(await p.backend.secrets.get('clearml')).toBeNull();
    expect(p.calls).not.toContain('autoscaler:credentials.set');
    await page.getByRole('tab', { name: /^Credentials/ }).click();
    await page
      .getByText(
        /Nothing stored here; the engine falls back to: .*clearml\.conf \(keys for https:\/\/api\.clearml\.example\.com\)\./,
      )
      .waitFor();
    // Sending those keys to another server takes a confirmation that names the file.
    await page.getByRole('tab', { name: /^Settings/ }).click();
    await page.getByRole('textbox', { name: 'ClearML API host' }).fill('https://api.other.example.com');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm before saving' });
    await confirm
      .getByRole('note', { name: 'API host change' })
      .getByText(/The ClearML keys from .*clearml\.conf will be sent to/)
      .waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(p.backend.settings.get().config?.clearml.apiHost).toBe('https://api.clearml.example.com');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('first run with ClearML keys in the environment: the setup says so and takes CLEARML_API_HOST', async () => {
    const p = await realPreview({
      env: {
        CLEARML_API_HOST: 'https://api.env.example.com',
        CLEARML_API_ACCESS_KEY: 'ENVACCESSKEY00000001',
        CLEARML_API_SECRET_KEY: 'env-secret-value-0123456789',
      },
    });
    const page = await open(p);
    await page
      .getByRole('note')
      .getByText(/ClearML keys found in the environment, for https:\/\/api\.env\.example\.com\./)
      .waitFor();
    expect(await page.getByRole('textbox', { name: 'ClearML API host' }).inputValue()).toBe(
      'https://api.env.example.com',
    );
    await page.getByRole('button', { name: 'Next' }).click();
    await continueAnyway(page);
    await page.getByRole('textbox', { name: 'AWS region' }).waitFor();
    expect(await page.content()).not.toContain('env-secret-value');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it("first run → switching from ClearML's autoscaler: its YAML and the API host open in the settings editor", async () => {
    const yaml = readFileSync(path.join(ROOT, 'test/fixtures/config/clearml-multi-queue.yaml'), 'utf8');
    const p = await realPreview();
    const page = await open(p);
    await page.getByRole('heading', { name: "Switching from ClearML's autoscaler?" }).waitFor();
    await page.getByRole('button', { name: "Import ClearML's configuration…" }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    // The file does not name its ClearML server, and nothing is configured yet: the dialog asks for it.
    await dialog.getByRole('textbox', { name: 'ClearML API host' }).fill('https://api.clearml.example.com');
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill(yaml);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText('ClearML autoscaler YAML', { exact: true }).waitFor();
    await dialog.locator('code', { hasText: 'https://api.clearml.example.com' }).waitFor();
    await dialog.getByRole('button', { name: 'Load into editor' }).click();

    // The dashboard opens on Settings with the import as the unsaved draft; nothing is saved yet.
    await page.getByRole('tab', { name: /^Settings/, selected: true }).waitFor();
    await page.getByText('Imported into the editor. Review it, then Save.').waitFor();
    expect(await page.getByRole('textbox', { name: 'ClearML API host' }).inputValue()).toBe(
      'https://api.clearml.example.com',
    );
    await page.getByRole('group', { name: 'Resource gpu_spot_t4' }).waitFor();
    expect(p.backend.settings.get().config).toBeNull();
    expect(p.calls).not.toContain('autoscaler:config.save');
    await shot(page, 'first-run-import');
    // The import card sends the user to Credentials: the draft waits, and the Settings tab says it is unsaved.
    expect(await page.getByTestId('badge-settings').textContent()).toContain('unsaved');
    await tab(page, 'Credentials');
    // The Overview does not offer to turn on what has no saved configuration: it sends the user back to Settings.
    await tab(page, 'Overview');
    await page.getByText('No configuration is saved yet, so autoscaling cannot be turned on.').waitFor();
    await page.getByText('The configuration in Settings is not saved yet: review it there, then Save.').waitFor();
    expect(await page.getByText(/Turn it on to launch/).count()).toBe(0);
    await page.getByRole('button', { name: 'Open Settings' }).click();
    await page.getByRole('tab', { name: /^Settings/, selected: true }).waitFor();
    expect(await page.getByRole('textbox', { name: 'ClearML API host' }).inputValue()).toBe(
      'https://api.clearml.example.com',
    );
    await page.getByRole('group', { name: 'Resource gpu_spot_t4' }).waitFor();
    // Importing again from Settings before the first save asks for the API host too.
    await page.getByRole('button', { name: 'Import ClearML YAML…' }).click();
    await dialog.getByRole('textbox', { name: 'ClearML API host' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm before saving' });
    await confirm.getByRole('button', { name: 'Confirm and save' }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(p.backend.settings.get().config?.clearml.apiHost).toBe('https://api.clearml.example.com');
    expect(p.backend.settings.get().config?.queues['gpu']).toEqual([
      { resource: 'gpu_spot_t4', maxInstances: 4 },
      { resource: 'gpu_ondemand_a10', maxInstances: 2 },
    ]);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('an error status offers the view that fixes it: no keys → Open Credentials', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    const card = page.locator('.status-card');
    // No ClearML keys and no AWS credentials in this sandbox: both are fixed in Credentials, one button.
    const button = card.getByRole('button', { name: 'Open Credentials' });
    await button.waitFor({ timeout: 60_000 });
    const reason = await card.locator('.status-reason').textContent();
    expect(await card.getByRole('button', { name: 'Open Settings' }).count()).toBe(0);
    await shot(page, 'status-fix');
    await button.click();
    await page.getByRole('tab', { name: /^Credentials/, selected: true }).waitFor();
    // The tab says why the engine sent the user here, not only which values are stored.
    const why = page.getByTestId('engine-credentials-problem');
    expect(await why.textContent()).toBe(`The engine stopped on the credentials: ${reason}`);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('a ~/clearml.conf with a syntax error is named where keys are missing: first run, status, Credentials', async () => {
    // The user ran clearml-init and then edited the file by hand: `api`'s closing brace is gone.
    const conf = [
      'api {',
      '  api_server: https://api.clearml.example.com',
      '  credentials { "access_key" = "CONFACCESSKEY0000001", "secret_key" = "conf-secret-value" }',
    ].join('\n');
    const ignored = /clearml\.conf has a syntax error at line \d+, column \d+ and was ignored\. Fix it, or enter/;
    const first = await realPreview({ clearmlConf: conf });
    const setup = await open(first);
    await setup.getByTestId('outside-problem').getByText(ignored).waitFor();
    // The keys there are not used, so the fields are not optional and no "keys found" note is shown.
    await setup.getByRole('textbox', { name: 'Access key', exact: true }).waitFor();
    expect(await setup.getByText('ClearML keys found in').count()).toBe(0);
    await shot(setup, 'first-run-clearml-conf-ignored');
    expect(pageErrors(setup)).toEqual([]);

    const p = await realPreview({ config: TEST_CONFIG, clearmlConf: conf });
    const page = await open(p);
    const card = page.locator('.status-card');
    await card.getByText(/No ClearML credentials are set: .*clearml\.conf has a syntax error at line \d+/).waitFor({
      timeout: 60_000,
    });
    await card.getByRole('button', { name: 'Open Credentials' }).click();
    await page.getByTestId('outside-problem').getByText(ignored).waitFor();
    await shot(page, 'credentials-clearml-conf-ignored');
    // The file's secret is never shown, even in the parser's complaint.
    expect(await page.content()).not.toContain('conf-secret-value');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('Settings says where task links go when the web app field is empty, as ClearML derives it', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await page.getByRole('tab', { name: /^Settings/ }).click();
    await page.getByText('For task links; empty: https://app.clear.ml, from the API host').waitFor();
    await page.getByRole('textbox', { name: 'ClearML API host' }).fill('https://api.corp.example:8443');
    await page.getByText('For task links; empty: https://app.corp.example:8443, from the API host').waitFor();
    await page.getByRole('textbox', { name: 'ClearML API host' }).fill('https://clearml-api.corp.example');
    await page.getByText(/none follows from this API host, so task names are not links until you enter it/).waitFor();
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('the Credentials tab shows the proxy and CA settings taken from the environment, and what was not used', async () => {
    const p = await realPreview({
      config: TEST_CONFIG,
      network: {
        notes: ['proxy: HTTPS via http://proxy.corp.example:3128; not for localhost,127.0.0.1,::1'],
        problems: [
          'api.verify_certificate in /home/u/clearml.conf turns TLS certificate checks off; this app keeps them on.',
        ],
      },
    });
    const page = await open(p);
    await page.getByRole('tab', { name: /^Credentials/ }).click();
    const card = page.getByTestId('network-note');
    await card.getByText('proxy: HTTPS via http://proxy.corp.example:3128; not for localhost,127.0.0.1,::1').waitFor();
    await card
      .getByRole('note')
      .getByText(/turns TLS certificate checks off; this app keeps them on/)
      .waitFor();
    await shot(page, 'credentials-network');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('an unsaved Settings edit survives a visit to another tab, and discarding it asks first', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Settings');
    const type = () =>
      page.getByRole('group', { name: 'Resource gpu_t4' }).getByRole('textbox', { name: 'Instance type' });
    expect(await page.getByTestId('badge-settings').count()).toBe(0);
    await type().fill('g5.xlarge');
    await tab(page, 'Overview');
    expect(await page.getByTestId('badge-settings').textContent()).toContain('unsaved');
    await tab(page, 'Settings');
    expect(await type().inputValue()).toBe('g5.xlarge');
    await page.getByText('Unsaved changes').waitFor();

    const dialog = page.getByRole('dialog', { name: 'Discard the unsaved changes?' });
    await page.getByRole('button', { name: 'Discard changes…' }).click();
    await dialog.getByRole('button', { name: 'Keep editing' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await type().inputValue()).toBe('g5.xlarge');
    await page.getByRole('button', { name: 'Discard changes…' }).click();
    await dialog.getByRole('button', { name: 'Discard changes', exact: true }).click();
    expect(await type().inputValue()).toBe('g4dn.xlarge');
    expect(await page.getByTestId('badge-settings').count()).toBe(0);
    expect(p.calls).not.toContain('autoscaler:config.save');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('an invalid resource field shows its message and nothing is saved', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Settings');
    const resource = page.getByRole('group', { name: 'Resource gpu_t4' });
    const type = resource.getByRole('textbox', { name: 'Instance type' });
    await type.fill('g4dn');
    const message = resource.getByText('instance type must look like g4dn.xlarge (family.size, lower case)');
    await message.waitFor();
    expect(await type.getAttribute('aria-invalid')).toBe('true');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Not saved: 1 field needs attention: Resource gpu_t4: Instance type.').waitFor();
    // Focus goes to the field to fix, which says its message (aria-describedby).
    expect(await type.evaluate((el) => el === document.activeElement)).toBe(true);
    await shot(page, 'settings-invalid-field');
    expect(p.calls).not.toContain('autoscaler:config.save');
    expect(p.backend.settings.get().config?.resources['gpu_t4']?.instanceType).toBe('g4dn.xlarge');

    // The same form does save once the field is valid (so the check above can fail).
    await type.fill('g5.xlarge');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(p.backend.settings.get().config?.resources['gpu_t4']?.instanceType).toBe('g5.xlarge');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('the keep-idle choice: a sentence under the selector, how each decides behind a disclosure, saved with the form', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Settings');
    const select = page.getByRole('combobox', { name: 'Keep idle instances for' });
    await select.waitFor();
    const description = async () =>
      select.evaluate((el) =>
        (el.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      );
    expect(await description()).toMatch(/^Balanced \(default\): an idle instance is kept while keeping it/);
    // The long account is not read on every focus; it is one click away, with the chosen one marked.
    expect((await description()).split(' ').length).toBeLessThan(40);
    await page.getByText('How each choice decides').click();
    const chosen = page.locator('.preference-detail [aria-current="true"]');
    expect(await chosen.getAttribute('data-preference')).toBe('balanced');
    expect(await chosen.locator('dt').textContent()).toBe('Balanced (chosen)');
    await select.selectOption('latency');
    expect(await description()).toMatch(/^Shortest waits: every idle instance is kept up to the max idle time/);
    expect(await chosen.getAttribute('data-preference')).toBe('latency');
    await shot(page, 'settings-preference');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(p.backend.settings.get().config?.scaling.preference).toBe('latency');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('the token URL ends on a clean address; instance setup is read-only until Edit and saves only when confirmed', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    expect(page.url()).toBe(`${p.server.origin}/`);
    await tab(page, 'Settings');
    const setup = page.getByRole('group', { name: 'Instance setup' });
    const script = setup.getByRole('textbox', { name: 'Init script' });
    expect(await script.getAttribute('readonly')).not.toBeNull();
    await setup.getByRole('button', { name: 'Edit instance setup' }).click();
    await script.fill('echo from e2e');
    const poll = setup.getByRole('textbox', { name: 'Agent queue poll (s)' });
    expect(await poll.inputValue()).toBe('2');
    await poll.fill('0.5');
    await setup.getByText('the agent queue poll must be at least 1 second').waitFor();
    await poll.fill('3');
    await setup.getByRole('combobox', { name: 'ClearML keys on instances' }).selectOption('ssm');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm before saving' });
    await dialog.getByText('+ echo from e2e').waitFor();
    await dialog.getByText('Agent queue poll (s)').waitFor();
    await shot(page, 'settings-confirm-instance-setup');
    expect(p.backend.settings.get().config?.agent.initScript).toBe('');
    await dialog.getByRole('button', { name: 'Confirm and save' }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(p.backend.settings.get().config?.agent).toMatchObject({
      initScript: 'echo from e2e',
      queuePollSec: 3,
      clearmlCredentialsFrom: 'ssm',
    });
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('while ClearML cannot be read the queue figures show as unknown, not as zeros; its next answer shows them', async () => {
    const good = syntheticSnapshot(3);
    // What the engine publishes when no poll has read ClearML: the queues with zeros that are not counts.
    const p = await syntheticPreview({
      ...good,
      status: 'error',
      statusReason: 'ClearML could not be read at https://api.clearml.example.com: connection refused',
      statusFix: ['settings'],
      lastTickOkAt: null,
      queues: good.queues.map((q) => ({ ...q, pending: 0, oldestWaitSec: null, busy: 0, idle: 0, booting: 0 })),
    });
    const page = await open(p);
    const queued = page.locator('.stat', { hasText: 'Queued tasks' });
    await queued.getByText('ClearML not read yet').waitFor();
    expect(await queued.locator('.stat-value').textContent()).toBe('—');
    const glance = page.getByRole('row', { name: /^gpu/ });
    expect(await glance.getByRole('cell').first().textContent()).toBe('—');

    await tab(page, 'Queues');
    await page.getByRole('note', { name: 'Queue figures unknown' }).waitFor();
    const gpu = page.locator('.queue-stats').first();
    expect(await gpu.locator('dd').first().textContent()).toBe('—');
    expect(await gpu.textContent()).not.toMatch(/0 busy/);
    await shot(page, 'queues-clearml-unknown');

    // ClearML answers: the real figures, and no note.
    p.store.setState((s) => ({ ...good, rev: s.rev + 1 }));
    await page.getByRole('note', { name: 'Queue figures unknown' }).waitFor({ state: 'detached' });
    expect(await gpu.locator('dd').first().textContent()).toBe('4');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it("a monthly cap whose month's spend is unknown shows its cap, not '$0.00 of $500.00' spent", async () => {
    const s = syntheticSnapshot(3);
    // What the engine publishes while the cost history cannot be opened (test/engine/costs-without-history.test.ts).
    const unknown = {
      id: 'global.monthlyUsd',
      queue: null,
      kind: 'monthly' as const,
      label: "global monthly cap $500 (holding launches: this month's spend is unknown)",
      spent: 0,
      limit: 500,
      share: 0,
      projectedMonth: 0,
      state: 'unknown' as const,
      holdsLaunches: true,
    };
    const page = await open(await syntheticPreview({ ...s, costs: { ...s.costs, budgets: [unknown] } }));
    await tab(page, 'Costs');
    const cap = page.locator('[data-cap-id="global.monthlyUsd"][data-cap-state="unknown"]');
    await cap.getByText('spend unknown', { exact: true }).waitFor();
    expect(await cap.locator('.bars-value').textContent()).toBe('cap $500.00');
    expect(await cap.textContent()).not.toMatch(/\$0\.00/);
    // Said once, in the badge; the name is the cap's and the sentence says what it does.
    expect((await cap.textContent())?.match(/unknown/g)).toHaveLength(1);
    expect(await cap.locator('.cap-label').textContent()).toBe('global monthly cap $500');
    await shotOf(cap, 'costs-cap-spend-unknown');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('moving to another region while instances run says what becomes of them before it saves', async () => {
    const p = await syntheticPreview(syntheticSnapshot(3));
    const page = await open(p);
    await tab(page, 'Settings');
    await page.getByRole('textbox', { name: 'AWS region' }).fill('eu-west-1');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm before saving' });
    await dialog
      .getByText(
        '3 instances of the current config (1 running a task) run for region us-east-1. After saving, they leave ' +
          'Instances: the app no longer sees them, does not terminate them and no longer renews their leases, so each ' +
          'powers off once it is idle after its lease ends. Stop everything (Overview) still finds them.',
      )
      .waitFor();
    await shot(page, 'settings-confirm-move');
    await dialog.getByRole('button', { name: 'Confirm and save' }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('a ClearML file that names no region: asked with the file on the first run, the saved one later', async () => {
    const yaml = readFileSync(path.join(ROOT, 'test/fixtures/config/clearml-multi-queue.yaml'), 'utf8').replace(
      /^\s*cloud_credentials_region:.*\n/m,
      '',
    );
    const p = await realPreview();
    const page = await open(p);
    await page.getByRole('button', { name: "Import ClearML's configuration…" }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    await dialog.getByRole('textbox', { name: 'ClearML API host' }).fill('https://api.clearml.example.com');
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill(yaml);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    // Nothing says which region: the file cannot be loaded until one is given.
    await dialog
      .getByText(/cloud_credentials_region/)
      .first()
      .waitFor();
    expect(await dialog.getByRole('button', { name: 'Load into editor' }).isDisabled()).toBe(true);
    await dialog.getByRole('textbox', { name: 'AWS region, if the file names none' }).fill('eu-west-1');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText(/the region is eu-west-1, from the region entered with the file/).waitFor();
    await dialog.getByRole('button', { name: 'Load into editor' }).click();
    await page.getByRole('tab', { name: /^Settings/, selected: true }).waitFor();
    expect(await page.getByRole('textbox', { name: 'AWS region' }).inputValue()).toBe('eu-west-1');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .getByRole('dialog', { name: 'Confirm before saving' })
      .getByRole('button', { name: 'Confirm and save' })
      .click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    // With a configuration saved, its region is the one such a file takes, and the dialog no longer asks.
    await page.getByRole('button', { name: 'Import ClearML YAML…' }).click();
    expect(await dialog.getByRole('textbox', { name: 'AWS region, if the file names none' }).count()).toBe(0);
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill(yaml);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText(/the region is eu-west-1, from the saved configuration/).waitFor();
    expect(await dialog.getByRole('button', { name: 'Load into editor' }).isDisabled()).toBe(false);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('importing a ClearML autoscaler YAML shows what it maps to before anything is saved', async () => {
    const yaml = readFileSync(path.join(ROOT, 'test/fixtures/config/clearml-multi-queue.yaml'), 'utf8');
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    const received: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => received.push(String(f.payload))));
    await page.reload();
    await tab(page, 'Settings');
    await page.getByRole('button', { name: 'Import ClearML YAML…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill(yaml);
    // A saved config names the ClearML server the file is imported with: no need to ask.
    expect(await dialog.getByRole('textbox', { name: 'ClearML API host' }).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText('ClearML autoscaler YAML', { exact: true }).waitFor();
    // A screen reader hears one sentence, not the tables.
    expect(await dialog.getByRole('status').textContent()).toMatch(
      /^Recognised as ClearML autoscaler YAML: \d+ resources, \d+ queues\. Load into editor to edit it\.$/,
    );
    const resources = dialog.getByRole('table', { name: 'Resources' });
    for (const name of ['gpu_spot_t4', 'gpu_ondemand_a10', 'cpu_small']) await resources.getByText(name).waitFor();
    expect(await dialog.getByRole('table', { name: 'Queues' }).textContent()).toContain(
      'gpu_spot_t4 (4), gpu_ondemand_a10 (2)',
    );
    await dialog.getByText(/They were not imported: enter them in Credentials/).waitFor();
    // What the file would run on every instance is shown as a diff before anything is loaded.
    await dialog.getByText('Changes what runs on every instance').waitFor();
    await dialog.getByRole('list', { name: 'Instance setup changes' }).waitFor();
    await shot(page, 'settings-import-preview');
    // The AWS secret and git password in the file never come back from main (the paste itself is the user's).
    const secrets = ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'ghp_exampleexampleexampleexample0000'];
    const previewText = (await dialog.locator('.import-preview').textContent()) ?? '';
    expect(received.some((f) => f.includes('gpu_ondemand_a10'))).toBe(true);
    for (const secret of secrets) {
      expect(received.filter((f) => f.includes(secret))).toEqual([]);
      expect(previewText).not.toContain(secret);
    }
    expect(p.calls).not.toContain('autoscaler:config.save');

    await dialog.getByRole('button', { name: 'Load into editor' }).click();
    const spot = page.getByRole('group', { name: 'Resource gpu_spot_t4' });
    await spot.waitFor();
    expect(p.backend.settings.get().config?.resources).not.toHaveProperty('gpu_spot_t4');
    // What the form does not edit is shown, so the switch can be checked: the instance profile and the tags came across.
    await shotOf(spot, 'settings-kept-resource');
    const kept = (await spot.getByTestId('kept-settings').textContent()) ?? '';
    expect(kept).toContain('IAM instance profilearn:aws:iam::123456789012:instance-profile/clearml-agent');
    expect(kept).toMatch(/Tags.*owner=alice/);
    // The import's differences stay beside the draft, and each setting they advise is named by its place in
    // Settings, where that field is.
    const panel = page.getByRole('region', { name: "The imported file and ClearML's autoscaler" });
    await panel.getByText('3 fields not carried over, 16 differences').click();
    const advice = panel.getByRole('listitem').filter({ hasText: 'surplus' });
    expect(await advice.textContent()).toContain('in Settings: Scaling → Surplus idle time (min)');
    expect(await page.getByRole('textbox', { name: 'Surplus idle time (min)' }).inputValue()).toBe('10');
    const expand = panel.getByRole('listitem').filter({ hasText: 'extra_clearml_conf is written through' });
    expect(await expand.textContent()).toContain(
      'in Settings: Instance setup → Expand $VAR and $(cmd) in the extra clearml.conf on the instance (as ClearML does)',
    );
    const expandBox = page.getByRole('checkbox', { name: /^Expand \$VAR and \$\(cmd\)/ });
    expect(await expandBox.isChecked()).toBe(true);
    expect(await expandBox.isDisabled()).toBe(true);
    await shotOf(panel, 'settings-import-differences');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // Main refuses the instance-setup changes until they are confirmed.
    const confirm = page.getByRole('dialog', { name: 'Confirm before saving' });
    await confirm.getByRole('button', { name: 'Confirm and save' }).click();
    await page.getByText('Saved. The engine applies it at its next poll.').waitFor();
    expect(p.backend.settings.get().config?.queues['gpu']).toEqual([
      { resource: 'gpu_spot_t4', maxInstances: 4 },
      { resource: 'gpu_ondemand_a10', maxInstances: 2 },
    ]);
    expect(p.backend.settings.get().config?.scaling.surplusIdleMin).toBe(10);
    expect(p.backend.settings.get().config?.agent.extraClearmlConfShellExpand).toBe(true);
    await panel.waitFor({ state: 'detached' });
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('import preview at 800x600: the action buttons stay in view, and the plaintext-credentials note appears once', async () => {
    const yaml = readFileSync(path.join(ROOT, 'test/fixtures/config/clearml-multi-queue.yaml'), 'utf8');
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await page.setViewportSize({ width: 800, height: 600 });
    await tab(page, 'Settings');
    await page.getByRole('button', { name: 'Import ClearML YAML…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill(yaml);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText('ClearML autoscaler YAML', { exact: true }).waitFor();
    await dialog.getByText('Differences from ClearML').waitFor();
    await shot(page, 'settings-import-preview-800');
    // Measured, not scrolled to: the buttons are inside the 800x600 window as the dialog opens.
    for (const name of ['Cancel', 'Preview', 'Load into editor']) {
      const box = await dialog.getByRole('button', { name, exact: true }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.y, name).toBeGreaterThanOrEqual(0);
      expect(box!.y + box!.height, name).toBeLessThanOrEqual(600);
    }
    // The preview is far taller than the window; only the dialog's body scrolls.
    const body = dialog.locator('.dialog-body');
    const heights = await body.evaluate((e) => ({ content: e.scrollHeight, box: e.clientHeight }));
    expect(heights.content).toBeGreaterThan(heights.box + 500);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(await body.evaluate((e) => e.scrollTop)).toBe(0);
    // The file's AWS keys and git password: one note names every field, not one per field and kind.
    const text = (await dialog.locator('.import-preview').innerText()).replace(/\s+/g, ' ');
    const mentions = text.match(/plain text|taken out of the config|not carried over into the config/g) ?? [];
    expect(mentions).toEqual(['plain text']);
    await dialog
      .getByText(
        'This file contains credentials in plain text (hyper_params.cloud_credentials_key, ' +
          'hyper_params.cloud_credentials_secret, hyper_params.git_pass).',
        { exact: false },
      )
      .waitFor();
    // Still reachable: Load into editor works from where it stands.
    await dialog.getByRole('button', { name: 'Load into editor' }).click();
    await page.getByRole('group', { name: 'Resource gpu_spot_t4' }).waitFor();
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('an event row shows its kind only when it says more than its level: "error", not "error error"', async () => {
    const base = syntheticSnapshot(3);
    const now = Date.now();
    const p = await syntheticPreview({
      ...base,
      events: [
        { id: 1, at: now - 60_000, level: 'error', kind: 'error', message: 'EC2 could not be read: AuthFailure' },
        { id: 2, at: now - 30_000, level: 'warn', kind: 'launch-failed', message: 'spot capacity lost on gpu' },
      ],
    });
    const page = await open(p);
    await tab(page, 'Events');
    const row = (text: string) => page.locator('.event', { hasText: text });
    await row('AuthFailure').waitFor();
    expect(await row('AuthFailure').locator('.pill').allTextContents()).toEqual(['error']);
    expect(await row('spot capacity lost').locator('.pill').allTextContents()).toEqual(['warn', 'launch-failed']);
    await shot(page, 'events-kind-badge');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it("demo: instances from ClearML's autoscaler are offered for adoption, adopted only after the confirmation", async () => {
    const p = await realPreview({ demo: true });
    const page = await open(p);
    // Switching over: autoscaling on beside the running instances; their workers show up as they register.
    await page.getByRole('switch', { name: 'Autoscaling' }).click();
    await page.waitForSelector('[role="switch"][aria-label="Autoscaling"][aria-checked="true"]');
    const card = page.locator('section', {
      has: page.getByRole('heading', { name: "Instances from ClearML's autoscaler" }),
    });
    await card.waitFor({ timeout: 60_000 });
    await card.getByText('clearml-autoscaler-gpu-1').waitFor();
    await card.getByRole('button', { name: 'Adopt 2 instances…' }).waitFor({ timeout: 60_000 });
    const ids = (p.backend.host.store.getState().adoptable ?? []).map((a) => a.instanceId);
    expect(ids).toHaveLength(2);
    // The tiles count this app's instances and say how many of ClearML's the queues and the chart count besides.
    const tiles = page.getByRole('region', { name: 'Instances and tasks' });
    await tiles.getByText("EC2 instances; +2 from ClearML's autoscaler", { exact: true }).waitFor();
    // What they bill meanwhile (the burn rate counts only this app's): each row's price and the two together.
    const views = p.backend.host.store.getState().adoptable ?? [];
    const each = views.map((a) => formatRate(a.hourlyPrice ?? 0));
    const rate = formatRate(views.reduce((sum, a) => sum + (a.hourlyPrice ?? 0), 0));
    await card.getByText(`they bill ${rate} until adopted or terminated`, { exact: false }).waitFor();
    const rows = card.getByRole('row').filter({ has: page.getByRole('rowheader') });
    expect((await rows.allTextContents()).map((t) => each.some((e) => t.endsWith(e)))).toEqual([true, true]);
    await shot(page, 'adopt-prompt');
    await card.getByRole('button', { name: 'Adopt 2 instances…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Adopt 2 instances?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(p.calls).not.toContain('autoscaler:instances.adopt');
    await card.getByRole('button', { name: 'Adopt 2 instances…' }).click();
    await dialog.getByRole('button', { name: 'Adopt', exact: true }).click();
    await card.waitFor({ state: 'detached', timeout: 30_000 });
    expect(p.calls).toContain('autoscaler:instances.adopt');
    await tiles.getByText('EC2 instances', { exact: true }).waitFor({ timeout: 30_000 });
    // Adopted instances are this app's own from the next tick on.
    await tab(page, 'Instances');
    for (const id of ids) await page.locator(`[data-instance-id="${id}"]`).waitFor({ timeout: 30_000 });
    expect(pageErrors(page)).toEqual([]);
  }, 180_000);

  it("a stranger's instance a worker name points at is said apart: neither counted, billed nor offered as ClearML's", async () => {
    const row = (instanceId: string, hourlyPrice: number, blocker: string | null) => ({
      instanceId,
      workerId: `demo:gpu_t4:g4dn.xlarge:${instanceId}`,
      resource: 'gpu_t4',
      instanceType: 'g4dn.xlarge',
      queue: 'gpu',
      busy: false,
      name: blocker ? 'prod-postgres' : 'clearml-autoscaler-gpu',
      blocker,
      notAutoscalers: blocker !== null,
      live: true,
      hourlyPrice,
    });
    const p = await syntheticPreview({
      ...syntheticSnapshot(3),
      adoptable: [
        row('i-0aaaaaaaaaaaaaaa1', 0.526, null),
        row('i-0aaaaaaaaaaaaaaa2', 3.06, "its startup script does not start a ClearML agent as worker 'x': left alone"),
      ],
    });
    const page = await open(p);
    const card = page.locator('section', {
      has: page.getByRole('heading', { name: "Instances from ClearML's autoscaler" }),
    });
    await card.waitFor();
    const intro = (await card.locator('p').first().textContent()) ?? '';
    // Only ClearML's instance is counted and billed; the database host is named apart, its $3.06/h left out.
    expect(intro).toContain("1 instance launched by ClearML's autoscaler runs a worker");
    expect(intro).toContain('it bills $0.53/h until adopted or terminated');
    expect(intro).toContain('1 more worker names an instance no autoscaler launched: left alone.');
    expect(intro).not.toContain('$3.59');
    await card.getByRole('button', { name: 'Adopt 1 instance…' }).waitFor();
    const tiles = page.getByRole('region', { name: 'Instances and tasks' });
    await tiles.getByText("waiting for tasks; +1 from ClearML's autoscaler", { exact: false }).waitFor();
    await shot(page, 'adopt-prompt-stranger');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('importing a ClearML config lists every field not carried over and every difference, with its setting', async () => {
    const yaml = readFileSync(path.join(ROOT, 'test/fixtures/config/clearml-switch-over.yaml'), 'utf8');
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Settings');
    await page.getByRole('button', { name: 'Import ClearML YAML…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill(yaml);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const notCarried = dialog.getByRole('list', { name: 'Not carried over' });
    await notCarried.getByText(/gpu_t4\.extra_configurations\.MetadataOptions is not carried over/).waitFor();
    await notCarried.getByText(/use_iam_instance_profile is not carried over/).waitFor();
    const differences = dialog.getByRole('list', { name: "Differences from ClearML's autoscaler" });
    for (const setting of [
      'scaling.surplusIdleMin',
      'resources.<name>.spotFallbackToOnDemand',
      'agent.extraClearmlConfShellExpand',
      'scaling.pollingIntervalSec',
      'agent.agentVersion',
      'lease.enabled',
    ])
      await differences.getByText(setting, { exact: true }).waitFor();
    await dialog
      .getByText(/extra_clearml_conf contains '\$'/)
      .first()
      .waitFor();
    await shot(page, 'import-differences');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('git credentials: a write-only slot in Credentials', async () => {
    const TOKEN = 'ghp_e2eGitToken0123456789abcdefABCDEF';
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    await tab(page, 'Credentials');
    const form = page.getByRole('form', { name: 'Git credentials' });
    await form.getByRole('textbox', { name: 'Git user' }).fill('ci-bot');
    await form.getByLabel('Git password or personal access token').fill(TOKEN);
    await form.getByRole('button', { name: 'Save' }).click();
    const card = page.locator('section', {
      has: page.getByRole('heading', { name: 'Git credentials for the agents' }),
    });
    await card.getByText(/Stored on .*The value is not shown\./).waitFor();
    // The status can refresh before the form has cleared itself; its saved message comes with the clearing.
    await card.getByText('Saved. Instances launched from now on get them.').waitFor();
    expect(await form.getByLabel('Git password or personal access token').inputValue()).toBe('');
    expect((await p.backend.secrets.get('git'))?.value).toEqual({ username: 'ci-bot', password: TOKEN });
    expect(await page.content()).not.toContain(TOKEN);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('a credential form never shows a stored secret', async () => {
    const SECRET = 'e2e-Secret-Value-9f8e7d6c5b4a3210';
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p);
    const received: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => received.push(String(f.payload))));
    await page.reload();
    await tab(page, 'Credentials');
    const form = page.getByRole('form', { name: 'ClearML credentials' });
    await form.getByRole('textbox', { name: 'Access key' }).fill('E2EACCESSKEY1234');
    await form.getByLabel('Secret key').fill(SECRET);
    await form.getByRole('button', { name: 'Save' }).click();
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'ClearML API credentials' }) });
    await card.getByText(/Stored on \d{4}-\d\d-\d\d \d\d:\d\d\. The value is not shown\./).waitFor();
    await card.getByText('Saved. Use Test connection to check it.').waitFor();
    expect(await form.getByLabel('Secret key').inputValue()).toBe('');
    expect((await p.backend.secrets.get('clearml'))?.value.secretKey).toBe(SECRET);

    // An invalid AWS key id is refused in the form, with what is valid.
    const aws = page.getByRole('form', { name: 'AWS credentials' });
    await aws.getByRole('textbox', { name: 'Access key id' }).fill('akia-nope');
    await aws.getByLabel('Secret access key').fill('x'.repeat(40));
    await aws.getByRole('button', { name: 'Save' }).click();
    await aws.getByText('access key id must look like AKIA…').waitFor();
    expect(await p.backend.secrets.get('aws')).toBeNull();
    await shot(page, 'credentials-write-only', true);

    await page.reload();
    await tab(page, 'Credentials');
    await page
      .getByText(/Stored on .* The value is not shown\./)
      .first()
      .waitFor();
    const values = await page.locator('input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(values.join('\n')).not.toContain(SECRET);
    expect(await page.content()).not.toContain(SECRET);
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((f) => f.includes(SECRET))).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('terminating an instance asks first, says what runs on it, and Escape or Cancel changes nothing', async () => {
    const p = await syntheticPreview(syntheticSnapshot(30));
    const page = await open(p);
    await tab(page, 'Instances');
    const id = 'i-00000000000000000';
    const button = page.getByRole('button', { name: `Terminate ${id}` });
    const dialog = page.getByRole('dialog', { name: `Terminate ${id}?` });

    await button.click();
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(
      /is running task “train-model-0” \(task00000000\)\. Terminating it stops that task now/,
    );
    // Focus starts on Cancel and stays inside the dialog.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
    }
    await shot(page, 'terminate-confirm');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await button.click();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(p.terminated).toEqual([]);
    expect(p.calls).not.toContain('autoscaler:instances.terminate');

    await button.click();
    await dialog.getByRole('button', { name: 'Terminate', exact: true }).click();
    await page
      .locator(`[data-instance-id="${id}"]`)
      .getByRole('button', { name: `Terminate ${id}` })
      .and(page.locator('[aria-disabled=true]'))
      .waitFor();
    expect(p.terminated).toEqual([[id]]);
    expect(await page.locator(`[data-instance-id="${id}"] .col-phase`).textContent()).toMatch(/terminating/);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('instances at the window’s default size show every column; in the narrowest window the table scrolls, not the page', async () => {
    const p = await syntheticPreview(syntheticSnapshot(20));
    const page = await open(p);
    await tab(page, 'Instances');
    await page.getByText('20 instances').waitFor();
    const table = page.getByRole('table', { name: 'Instances' });
    const terminate = page
      .locator('[data-instance-id]')
      .first()
      .getByRole('button', { name: /^Terminate / });
    const within = async () => {
      const b = (await terminate.boundingBox())!;
      const t = (await table.boundingBox())!;
      return b.x >= t.x && b.x + b.width <= t.x + t.width && b.x + b.width <= page.viewportSize()!.width;
    };
    const pageScrollsSideways = () =>
      page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
    // The Electron window opens at 1200 × 800.
    await page.setViewportSize({ width: 1200, height: 800 });
    expect(await within()).toBe(true);
    expect(await table.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(false);
    expect(await pageScrollsSideways()).toBe(false);
    // Its minimum, 720 × 480: the columns on the right are a sideways scroll of the table away.
    await page.setViewportSize({ width: 720, height: 480 });
    expect(await pageScrollsSideways()).toBe(false);
    expect(await within()).toBe(false);
    await table.evaluate((el) => (el.scrollLeft = el.scrollWidth));
    expect(await within()).toBe(true);
    await shot(page, 'instances-narrow');
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('2,000 instances: only the visible rows are in the page, and it scrolls, sorts, filters and updates', async () => {
    const p = await syntheticPreview(syntheticSnapshot(2000));
    const page = await open(p);
    await tab(page, 'Instances');
    await page.getByText('2000 instances').waitFor();
    const rows = page.locator('[data-instance-id]');
    const rendered = await rows.count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(100);

    await page.getByRole('button', { name: /^Instance/ }).click(); // sort by id, ascending
    await page.locator('[data-instance-id="i-00000000000000000"]').waitFor();
    const scroller = page.getByTestId('instances-scroll');
    await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    const last = page.locator('[data-instance-id="i-000000000000007cf"]'); // 1999
    await last.waitFor();
    expect(await rows.count()).toBeLessThan(100);
    expect(await page.locator('[data-instance-id="i-00000000000000000"]').count()).toBe(0);
    await shot(page, 'instances-2000-scrolled');

    // A pushed snapshot updates the visible rows in place.
    p.store.setState((s) => ({
      ...s,
      rev: s.rev + 1,
      instances: s.instances.map((i) => (i.instanceId === 'i-000000000000007cf' ? { ...i, phase: 'orphan' } : i)),
    }));
    await page.locator('[data-instance-id="i-000000000000007cf"] .phase-orphan').waitFor();

    await page.getByRole('searchbox', { name: 'Search' }).fill('train-model-1998');
    await page.getByRole('search', { name: 'Filter instances' }).getByText('1 of 2000 instances').waitFor();
    expect(await rows.count()).toBe(1);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('without the token the page says which URL to open, and no call reaches main', async () => {
    const p = await syntheticPreview(syntheticSnapshot(3));
    e2e.track(p);
    const page = await e2e.browser.newPage();
    const res = await page.goto(`${p.server.origin}/`);
    expect(res?.status()).toBe(401);
    expect(await page.locator('body').textContent()).toMatch(/open the exact URL that the preview printed/);
    expect(p.calls).toEqual([]);
    expect(p.server.clientCount()).toBe(0);
  }, 60_000);

  it('CSP: an injected inline script and an inline event handler do not run', async () => {
    const p = await syntheticPreview(syntheticSnapshot(3));
    const page = await open(p);
    await page.getByRole('tablist').waitFor();
    const result = await page.evaluate(async () => {
      const w = window as unknown as Record<string, unknown>;
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
      const img = document.createElement('img');
      img.setAttribute('onerror', 'window.__handlerRan = true');
      img.src = 'data:,broken';
      document.body.append(img);
      await new Promise((r) => setTimeout(r, 200));
      return { inline: w['__inlineRan'] ?? null, handler: w['__handlerRan'] ?? null, violations };
    });
    expect(result.inline).toBeNull();
    expect(result.handler).toBeNull();
    expect(result.violations.filter((v) => v.startsWith('script-src')).length).toBeGreaterThanOrEqual(2);
    await shot(page, 'csp-overview');
  }, 60_000);

  it('the theme follows the OS unless pinned in App preferences, and the choice is saved', async () => {
    const p = await realPreview({ config: TEST_CONFIG });
    const page = await open(p, 'dark');
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.getByRole('tablist').waitFor();
    expect(await bg()).toBe('rgb(15, 20, 26)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await bg()).toBe('rgb(244, 246, 248)');
    await tab(page, 'Settings');
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
    await page.waitForFunction(() => document.documentElement.dataset['theme'] === 'dark');
    expect(await bg()).toBe('rgb(15, 20, 26)');
    expect(p.backend.settings.get().theme).toBe('dark');
    await shot(page, 'settings-pinned-dark', true);
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('system');
    await page.waitForFunction(() => document.documentElement.dataset['theme'] === undefined);
    expect(await bg()).toBe('rgb(244, 246, 248)');
    // The same section says what the engine does at start.
    const atStart = page.getByRole('combobox', { name: 'When the app starts' });
    expect(await atStart.inputValue()).toBe('as-left');
    await atStart.selectOption({ label: 'Autoscaling off' });
    await expect.poll(() => p.backend.settings.get().autoscalingAtStart).toBe('off');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('keyboard: the tabs are a real tablist (arrows, Home, End) and every control has a label', async () => {
    const p = await syntheticPreview(syntheticSnapshot(12));
    const page = await open(p);
    const selected = () => page.locator('[role="tab"][aria-selected="true"]').textContent();
    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await selected()).toMatch(/^Queues/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('tab');
    await page.keyboard.press('End');
    expect(await selected()).toBe('Credentials');
    await page.keyboard.press('Home');
    expect(await selected()).toBe('Overview');
    await page.keyboard.press('ArrowLeft');
    expect(await selected()).toBe('Credentials');

    const unlabelled: string[] = [];
    for (const view of ['Overview', 'Queues', 'Instances', 'Costs', 'Events', 'Settings', 'Credentials']) {
      await tab(page, view);
      await page.getByRole('tabpanel').waitFor();
      const missing = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input, select, textarea, button'))
          .filter((el) => {
            const labelled =
              (el as HTMLInputElement).labels?.length ||
              el.getAttribute('aria-label') ||
              el.getAttribute('aria-labelledby') ||
              (el.tagName === 'BUTTON' && el.textContent?.trim());
            return !labelled;
          })
          .map((el) => el.outerHTML.slice(0, 120)),
      );
      unlabelled.push(...missing.map((m) => `${view}: ${m}`));
    }
    expect(unlabelled).toEqual([]);
    await shot(page, 'keyboard-credentials');
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);
});
