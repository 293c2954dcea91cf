/**
 * Team mode in Chromium: the browser preview attached to a served demo engine, as `npm run preview:web --
 * --attach` builds it (team server, attach client, preview server, real renderer). A viewer sees the team
 * engine's instances and a disabled autoscaling switch that says why.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { attachedDispatch } from '../../electron/engine/preview/attach.js';
import { startPreviewServer } from '../../electron/engine/preview/server.js';
import { createEngineHost } from '../../electron/engine/host.js';
import { createTeamClient } from '../../electron/engine/team/client.js';
import { startServing } from '../../electron/engine/team/serve.js';
import { TokenStore, tokenFilePath } from '../../electron/engine/team/tokens.js';
import { browserSuite, builtRenderer, pageErrors, shot, skipReason, type Preview } from './support.js';

const e2e = browserSuite('team');

e2e.suite(`team mode in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('a viewer attached through the preview sees the remote instances and cannot toggle', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'team-e2e-'));
    const host = createEngineHost({ dataDir: path.join(dir, 'engine') });
    await host.startDemo({ enable: true });
    const serving = await startServing({
      host,
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      config: null,
      env: {},
      log: () => undefined,
    });
    const { token } = new TokenStore(tokenFilePath(dir)).issue('pia', 'viewer');
    const client = createTeamClient({
      url: `wss://127.0.0.1:${serving.server.port}`,
      token,
      fingerprint: serving.tls.fingerprint,
    });
    await client.ready();
    const server = await startPreviewServer({
      dispatch: attachedDispatch(client, () => undefined),
      store: client.store,
      changes: client.changes,
      staticDir: builtRenderer(),
      host: '127.0.0.1',
    });
    const p: Preview = {
      server,
      calls: [],
      async close() {
        await server.close();
        client.close();
        await serving.stop();
        await host.stop();
      },
    };
    const page = await e2e.open(p);

    const line = page.getByTestId('team-connection');
    await line.waitFor();
    expect(await line.textContent()).toMatch(/Team engine wss:\/\/127\.0\.0\.1:\d+ as pia \(viewer\): connected/);
    // The visible line counts the seconds connected; no live region may follow it, or a screen reader reads the
    // line out every second. Sampled over 2.5 s: the line changes, every live region's text stays (but the
    // engine's own announcements, which the demo's launches may change meanwhile).
    const liveTexts = () =>
      page
        .locator('[role="status"], [role="alert"], [role="log"], [aria-live]:not([aria-live="off"])')
        .and(page.locator(':not([data-testid="announcements"])'))
        .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    const before = { line: await line.textContent(), live: await liveTexts() };
    await page.waitForTimeout(2_500);
    expect(await line.textContent()).not.toBe(before.line);
    expect(await liveTexts()).toEqual(before.live);
    expect(await page.getByTestId('team-connection-announcement').textContent()).toMatch(
      /^Team engine wss:\/\/127\.0\.0\.1:\d+ as pia \(viewer\): connected\.$/,
    );
    const toggle = page.getByRole('switch', { name: 'Autoscaling' });
    await page.waitForSelector('[role="switch"][aria-label="Autoscaling"][aria-checked="true"]');
    expect(await toggle.isDisabled()).toBe(true);
    expect(await page.getByTestId('role-limit').textContent()).toMatch(
      /is a viewer on the team engine: this needs an operator/,
    );

    // The remote engine's instances, as the remote store lists them.
    await page.getByRole('tab', { name: /^Instances/ }).click();
    await page.locator('[data-instance-id]').first().waitFor({ timeout: 90_000 });
    const shown = await page
      .locator('[data-instance-id]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-instance-id')));
    const remoteIds = new Set(host.store.getState().instances.map((i) => i.instanceId));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((id) => id && remoteIds.has(id)).length).toBeGreaterThan(0);
    // Terminating needs an operator too: every row's button is disabled, saying why.
    const terminate = page.getByRole('button', { name: /^Terminate i-/ }).first();
    expect(await terminate.isDisabled()).toBe(true);
    expect(await terminate.getAttribute('title')).toMatch(/needs an operator/);
    // A disabled button takes no focus and its title is not read: the reason is also on the page, as text.
    expect(await page.getByTestId('instances-role-limit').innerText()).toMatch(
      /^Terminate is unavailable: Your token \(pia\) is a viewer on the team engine: this needs an operator\.$/,
    );
    await shot(page, 'team-viewer-attached');

    // Pausing a queue needs an operator; the credentials are the team engine's and need an admin.
    await page.getByRole('tab', { name: /^Queues/ }).click();
    const pause = page.getByRole('button', { name: /^(Pause|Resume) queue / }).first();
    await pause.waitFor();
    expect(await pause.isDisabled()).toBe(true);
    expect(await page.getByTestId('queues-role-limit').innerText()).toMatch(
      /^Pause and Resume are unavailable: Your token \(pia\) is a viewer on the team engine: this needs an operator\.$/,
    );
    await page.getByRole('tab', { name: /^Credentials/ }).click();
    await page.getByText(/this needs an admin\. Credentials cannot be changed from here\./).waitFor();
    expect(pageErrors(page)).toEqual([]);
  });
});
