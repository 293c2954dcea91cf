/**
 * Accessibility beyond the static audit, in Chromium: the dashboard run by the keyboard alone (no clicks),
 * the dialogs (focus in, Tab cycles, Escape closes and returns focus; axe over an open dialog), the one polite
 * live region (what it says after a launch, a termination, an error; a tick says nothing), the virtualised
 * Instances table's row count, row indexes and sort state, focus rings, reduced motion and forced colours.
 */
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import type { EngineEvent, Snapshot } from '../../shared/domain.js';
import { audit, describeFindings, smallTargets } from './axe.js';
import {
  browserSuite,
  pageErrors,
  realPreview,
  shot,
  skipReason,
  TEST_CONFIG,
  type SyntheticPreview,
  syntheticPreview,
  syntheticSnapshot,
} from './support.js';

const VIEWS = ['Overview', 'Queues', 'Instances', 'Costs', 'Events', 'Settings', 'Credentials'] as const;

const e2e = browserSuite('keyboard and screen reader');
const suite = e2e.suite;

async function open(initial: Snapshot, colorScheme: 'light' | 'dark' = 'light'): Promise<[SyntheticPreview, Page]> {
  const p = await syntheticPreview(initial);
  e2e.track(p);
  const page = await e2e.browser.newPage({ colorScheme });
  await page.goto(p.server.url);
  await page.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
  return [p, page];
}

/** Two idle instances ClearML's autoscaler launched on the gpu queue: the Overview's adoption card and its dialog. */
function twoAdoptable(name: string | null) {
  return ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'].map((instanceId) => ({
    instanceId,
    workerId: `demo:gpu_t4:g4dn.xlarge:${instanceId}`,
    resource: 'gpu_t4',
    instanceType: 'g4dn.xlarge',
    queue: 'gpu',
    busy: false,
    name,
    blocker: null,
  }));
}

/** What has keyboard focus, as role + accessible-ish name. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el
      ? `${el.getAttribute('role') ?? el.tagName.toLowerCase()}:${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim()}`
      : '';
  });

/** Tab (forwards) until focus is on the element whose text starts with `text`; keyboard only. */
async function tabTo(page: Page, text: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f.split(':').slice(1).join(':').startsWith(text)) return;
  }
  throw new Error(`Tab never reached "${text}" (last focus: ${await focused(page)})`);
}

/**
 * The open dialog's role, name and description as Chromium's accessibility tree computes them (what a screen reader
 * says when the dialog opens), and the ids its aria-describedby names.
 */
async function openDialog(page: Page): Promise<{ role: string; name: string; description: string }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: 'dialog[open]' });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    const node = nodes[0]!;
    const text = (v: { value?: unknown } | undefined) =>
      (typeof v?.value === 'string' ? v.value : '').replace(/\s+/g, ' ').trim();
    return { role: text(node.role), name: text(node.name), description: text(node.description) };
  } finally {
    await cdp.detach();
  }
}

interface LiveRegion {
  role: string;
  live: string;
  atomic: boolean;
  /** Inside another live region: what it says may be announced by both. */
  nested: boolean;
  text: string;
}

/** Every live region in Chromium's accessibility tree, with the text under it. */
async function liveRegions(page: Page): Promise<LiveRegion[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    type Node = {
      nodeId: string;
      parentId?: string;
      childIds?: string[];
      role?: { value?: unknown };
      name?: { value?: unknown };
      properties?: { name: string; value: { value?: unknown } }[];
    };
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as unknown as { nodes: Node[] };
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const prop = (n: Node, name: string) => n.properties?.find((p) => p.name === name)?.value.value;
    const isLive = (n: Node) => typeof prop(n, 'live') === 'string' && prop(n, 'live') !== 'off';
    const text = (n: Node): string[] =>
      n.role?.value === 'StaticText' && typeof n.name?.value === 'string'
        ? [n.name.value]
        : (n.childIds ?? []).flatMap((id) => (byId.has(id) ? text(byId.get(id)!) : []));
    return nodes.filter(isLive).map((n) => {
      let nested = false;
      for (let up = n.parentId && byId.get(n.parentId); up; up = up.parentId && byId.get(up.parentId))
        if (isLive(up)) nested = true;
      return {
        role: String(n.role?.value),
        live: String(prop(n, 'live')),
        atomic: prop(n, 'atomic') === true,
        nested,
        text: text(n).join(' ').replace(/\s+/g, ' ').trim(),
      };
    });
  } finally {
    await cdp.detach();
  }
}

// Numbered from 1, as the engine numbers them: an oldest id above 1 tells the Events view older ones were dropped.
let eventId = 0;
function publish(p: SyntheticPreview, patch: Partial<Snapshot>, events: Partial<EngineEvent>[] = []) {
  p.store.setState((s) => ({
    ...s,
    ...patch,
    rev: s.rev + 1,
    events: [
      ...s.events,
      ...events.map((e) => ({
        id: ++eventId,
        at: Date.now(),
        level: 'info' as const,
        kind: 'engine' as const,
        message: 'x',
        ...e,
      })),
    ],
  }));
}

suite(`keyboard, dialogs, live region, table structure in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('keyboard only: autoscaling on, every view, Scale to zero through its dialog, cancelled', async () => {
    const [p, page] = await open({ ...syntheticSnapshot(12), enabled: false, status: 'off' });
    const sw = page.getByRole('switch', { name: 'Autoscaling' });
    expect(await sw.getAttribute('aria-checked')).toBe('false');

    await page.keyboard.press('Alt+A');
    await page.waitForFunction(
      () => document.querySelector('[role=switch][aria-label=Autoscaling]')?.getAttribute('aria-checked') === 'true',
    );
    await expect.poll(() => page.getByTestId('announcements').textContent()).toBe('Autoscaling on.');

    for (const [i, view] of VIEWS.entries()) {
      await page.keyboard.press(`Alt+${i + 1}`);
      const tab = page.getByRole('tab', { name: new RegExp(`^${view}`) });
      await expect.poll(() => tab.getAttribute('aria-selected')).toBe('true');
      await expect.poll(() => focused(page)).toMatch(new RegExp(`^tab:${view}`));
    }
    // The arrow keys move through the tab list too.
    await page.keyboard.press('Home');
    await expect.poll(() => focused(page)).toMatch(/^tab:Overview/);

    await tabTo(page, 'Scale to zero');
    const opener = await focused(page);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Terminate every instance?' });
    await dialog.waitFor();
    // Focus moved in, on the safe choice; Tab and Shift+Tab cycle inside the dialog.
    expect(await focused(page)).toBe('button:Cancel');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button:Terminate 12 instances/);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('button:Cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toMatch(/^button:Terminate 12 instances/);
    // Shortcuts are off while the dialog owns the keyboard.
    await page.keyboard.press('Alt+3');
    expect(await page.getByRole('tab', { name: /^Overview/ }).getAttribute('aria-selected')).toBe('true');
    await shot(page, 'a11y-dialog-focus');

    // Escape closes it and focus goes back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe(opener);

    // Again, this time cancelled with its Cancel button.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe(opener);

    // The keyboard-shortcut help opens with "?" and closes with Escape.
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    expect(await help.getByRole('row', { name: /Alt\+A/ }).textContent()).toContain('Turn autoscaling on or off');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    expect(p.calls.some((c) => c.endsWith('engine.setEnabled'))).toBe(true);
    expect(p.calls.some((c) => c.endsWith('engine.scaleToZero'))).toBe(false);
    expect(p.terminated).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  }, 120_000);

  it('time range: one tab stop, the arrow keys and Home/End move the choice and the focus', async () => {
    const [, page] = await open(syntheticSnapshot(4));
    await page.keyboard.press('Alt+1');
    const group = page.getByRole('radiogroup', { name: 'Time range' }).first();
    await group.waitFor();
    const state = () =>
      group
        .getByRole('radio')
        .evaluateAll((rs) =>
          rs.map((r) => `${r.textContent}:${r.getAttribute('aria-checked')}:${(r as HTMLElement).tabIndex}`),
        );
    const checked = async () => (await state()).find((r) => r.includes(':true:'))!.split(':')[0]!;
    expect((await state()).filter((r) => r.endsWith(':0'))).toHaveLength(1);
    await tabTo(page, await checked());
    const order = ['15 min', '1 h', '6 h', '24 h'];
    const start = order.indexOf(await checked());
    await page.keyboard.press('ArrowRight');
    const next = order[(start + 1) % 4]!;
    await expect.poll(checked).toBe(next);
    expect(await focused(page)).toBe(`radio:${next}`);
    await page.keyboard.press('End');
    await expect.poll(checked).toBe('24 h');
    await page.keyboard.press('ArrowRight');
    await expect.poll(checked).toBe('15 min');
    expect(await focused(page)).toBe('radio:15 min');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(checked).toBe('24 h');
    await page.keyboard.press('Home');
    await expect.poll(checked).toBe('15 min');
    // Still one tab stop, on the choice; Tab leaves the group.
    expect(await state()).toEqual(['15 min:true:0', '1 h:false:-1', '6 h:false:-1', '24 h:false:-1']);
    await page.keyboard.press('Tab');
    expect(await focused(page)).not.toMatch(/^radio:/);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('live regions say one sentence: the Events count only after a filter change, the import preview its outcome', async () => {
    const [p, page] = await open(syntheticSnapshot(3));
    publish(p, {}, [{ message: 'first' }, { level: 'warn', message: 'second' }]);
    await page.keyboard.press('Alt+5');
    const view = page.getByRole('tabpanel', { name: /^Events/ });
    await view.getByText('2 of 2 events').waitFor();
    const live = () =>
      view.locator('[aria-live], [role=status], [role=alert]').evaluateAll((els) => els.map((e) => e.textContent));
    expect(await live()).toEqual(['']);
    // The engine adds an event: the line shows it, nothing is said.
    publish(p, {}, [{ message: 'third' }]);
    await view.getByText('3 of 3 events').waitFor();
    expect(await live()).toEqual(['']);
    // The user filters: the count is said.
    await view.getByRole('combobox', { name: 'Level' }).selectOption('warn');
    await expect.poll(live).toEqual(['1 of 3 events']);

    // The import preview: the tables and the issue list are not live; one status says what was read.
    const real = e2e.track(await realPreview({ config: TEST_CONFIG }));
    const settings = await e2e.browser.newPage();
    await settings.goto(real.server.url);
    await settings.getByRole('tablist', { name: 'Dashboard views' }).waitFor();
    await settings.keyboard.press('Alt+6');
    await settings.getByRole('button', { name: 'Import ClearML YAML…' }).click();
    const dialog = settings.getByRole('dialog', { name: 'Import a ClearML autoscaler configuration' });
    await dialog.getByRole('textbox', { name: 'Or paste it here' }).fill('not: [valid');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.locator('.field-errors li').first().waitFor();
    const said = await dialog
      .locator('[aria-live], [role=status], [role=alert]')
      .evaluateAll((els) => els.map((e) => e.textContent));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^Recognised as unknown format; not usable: 1 issue, first .*YAML/);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('what "adopted" means is text above the table, not only the mark\'s tooltip', async () => {
    const snap = syntheticSnapshot(3);
    snap.instances = snap.instances.map((i, n) => (n === 1 ? { ...i, adopted: true } : i));
    const [, page] = await open(snap);
    await page.keyboard.press('Alt+3');
    const view = page.getByRole('tabpanel', { name: /^Instances/ });
    await view.getByText('3 instances', { exact: true }).waitFor();
    expect(await view.getByTestId('instances-adopted-note').innerText()).toMatch(
      /^adopted: Adopted from ClearML's autoscaler: .* does not power itself off once this app stops\.$/,
    );
    // Filtered to rows without one, the note goes with them.
    await view.getByRole('searchbox', { name: 'Search' }).fill(snap.instances[0]!.instanceId);
    await expect.poll(() => view.getByTestId('instances-adopted-note').count()).toBe(0);
  }, 60_000);

  it('the Instances count is said after a filter change, not when the engine launches', async () => {
    const [p, page] = await open(syntheticSnapshot(3));
    await page.keyboard.press('Alt+3');
    const view = page.getByRole('tabpanel', { name: /^Instances/ });
    await view.getByText('3 instances', { exact: true }).waitFor();
    const live = () =>
      view.locator('[aria-live], [role=status], [role=alert]').evaluateAll((els) => els.map((e) => e.textContent));
    expect(await live()).toEqual(['']);
    // The engine launches two: the count shows it, nothing is said (a scaling engine would be read out every poll).
    publish(p, { instances: syntheticSnapshot(5).instances });
    await view.getByText('5 instances', { exact: true }).waitFor();
    expect(await live()).toEqual(['']);
    // The user filters: the count is said.
    await view.getByRole('combobox', { name: 'Queue' }).selectOption('cpu');
    await expect.poll(live).toEqual(['1 of 5 instances']);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('field errors: lists tied to their fields, not live; a refused Save or Next names the fields once and focuses the first', async () => {
    const [, page] = await open(syntheticSnapshot(3));
    await page.keyboard.press('Alt+6');
    const host = page.getByRole('textbox', { name: 'ClearML API host' });
    await host.fill('not a url');
    const idle = page.getByRole('textbox', { name: 'Max idle time (min)' });
    await idle.fill('-3');
    await page.locator('#' + (await idle.getAttribute('aria-describedby'))!.split(' ').pop()).waitFor();
    // Typing shows the messages on the fields, and no live region speaks them.
    const form = page.getByRole('form', { name: 'Settings' });
    expect(await form.locator('[role=alert], [aria-live]').count()).toBe(0);
    expect(await form.locator('.field-errors[role]').count()).toBe(0);
    expect(await host.getAttribute('aria-invalid')).toBe('true');
    const errId = (await host.getAttribute('aria-describedby'))!.split(' ').pop()!;
    expect(await page.locator(`#${errId}`).textContent()).toMatch(/http\(s\) URL/);
    let f = await audit(page);
    expect(f, describeFindings('Settings with field errors', f)).toEqual([]);

    // Enter in a field submits: one status line names both fields, and focus goes to the first.
    await idle.press('Enter');
    await expect
      .poll(() => form.getByRole('status').first().textContent())
      .toBe('Not saved: 2 fields need attention: ClearML API host, Max idle time (min).');
    expect(await host.evaluate((el) => el === document.activeElement)).toBe(true);

    // The first run: Next with the keys empty names them, and focus goes to the access key.
    const fr = e2e.track(await realPreview());
    const first = await e2e.browser.newPage();
    await first.goto(fr.server.url);
    await first.getByRole('heading', { name: 'Set up autoscaling' }).waitFor();
    await first.getByRole('button', { name: 'Next' }).focus();
    await first.keyboard.press('Enter');
    await expect
      .poll(() =>
        first
          .getByRole('form', { name: /^Step 1/ })
          .getByRole('status')
          .first()
          .textContent(),
      )
      .toBe('Step 1, ClearML: 2 fields need attention: Access key, Secret key.');
    expect(await first.evaluate(() => (document.activeElement as HTMLElement).getAttribute('aria-invalid'))).toBe(
      'true',
    );
    expect(
      await first.getByRole('textbox', { name: 'Access key' }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    expect(await first.locator('form [role=alert]').count()).toBe(0);
    f = await audit(first);
    expect(f, describeFindings('first run with field errors', f)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  }, 90_000);

  it('every dialog is described by the text that says what it does, not by its fields, tables or buttons', async () => {
    const adoptable = twoAdoptable('clearml-autoscaler-gpu');
    const [, page] = await open({ ...syntheticSnapshot(5), adoptable, demo: true });
    const seen: Record<string, string> = {};
    const check = async (opener: () => Promise<void>, name: string | RegExp, close = true) => {
      await opener();
      const dialog = page.getByRole('dialog', { name });
      await dialog.waitFor();
      const d = await openDialog(page);
      expect(d.role).toBe('dialog');
      seen[d.name] = d.description;
      if (close) {
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      }
    };
    const click = (name: string | RegExp) => () => page.getByRole('button', { name }).first().click();

    await check(click('Leave the demo and set up…'), 'Leave the demo and set up');
    await check(click('Scale to zero…'), 'Terminate every instance?');
    await check(click('Stop everything…'), 'Stop everything?');
    await check(click(/^Adopt 2 instances/), 'Adopt 2 instances?');
    await check(click('Keyboard shortcuts'), 'Keyboard shortcuts');
    await page.getByRole('tab', { name: /^Instances/ }).click();
    await check(click(/^Terminate i-/), /^Terminate i-/);
    await check(click(/^i-0/), /^Instance i-/);

    const [, settings] = await open(syntheticSnapshot(3));
    const checkIn = async (opener: () => Promise<void>, name: string) => {
      await opener();
      const dialog = settings.getByRole('dialog', { name });
      await dialog.waitFor();
      seen[name] = (await openDialog(settings)).description;
      await settings.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    };
    await settings.keyboard.press('Alt+6');
    await checkIn(
      () => settings.getByRole('button', { name: 'Import ClearML YAML…' }).click(),
      'Import a ClearML autoscaler configuration',
    );
    await checkIn(
      () => settings.getByRole('button', { name: 'Export', exact: true }).click(),
      'Exported configuration',
    );
    await settings.getByRole('textbox', { name: 'Max idle time (min)' }).fill('20');
    await checkIn(
      () => settings.getByRole('button', { name: 'Discard changes…' }).click(),
      'Discard the unsaved changes?',
    );
    const setup = settings.getByRole('group', { name: 'Instance setup' });
    await setup.getByRole('button', { name: 'Edit instance setup' }).click();
    await setup.getByRole('textbox', { name: 'Init script' }).fill('echo hello');
    await checkIn(() => settings.getByRole('button', { name: 'Save', exact: true }).click(), 'Confirm before saving');

    // Said as the dialog opens: its prose, whole; never a field, a table, a result or a button. Where the body is only
    // fields or a table (the shortcuts, an instance's details) there is no description at all. Counts and prices
    // vary with the synthetic clock: those three are matched, from their first word to their last.
    const matched: Record<string, RegExp> = {
      'Terminate every instance?':
        /^This terminates all 5 instances this app launched \(.*\)\. 2 of them run a task; .* Instances in other regions are not touched: use Stop everything for those\.$/,
      'Stop everything?':
        /^This terminates every instance this app launched, .* This view shows 5 live instances \(2 busy ones\); the sweep also finds instances in regions this view does not show\.$/,
      'Terminate i-00000000000000004?': /^i-00000000000000004 \(g5\.xlarge, .*\) is idle: no task runs on it\.$/,
    };
    for (const [name, re] of Object.entries(matched)) {
      expect(seen[name], name).toMatch(re);
      delete seen[name];
    }
    expect(seen).toEqual({
      'Leave the demo and set up':
        "The demo's simulated instances, events and spend are dropped; none of it was saved. The app then opens the " +
        'setup screen, or your saved configuration with autoscaling off. Keys stored under Credentials are kept.',
      'Adopt 2 instances?':
        'This app adds its tags to i-0aaaaaaaaaaaaaaa1, i-0aaaaaaaaaaaaaaa2 (their own tags, Name included, stay). ' +
        "From then on it terminates them when idle, as it does its own instances. Stop ClearML's autoscaler first, " +
        'or both will manage them.',
      'Keyboard shortcuts': '',
      'Instance i-00000000000000004': '',
      'Import a ClearML autoscaler configuration':
        'Paste the YAML of a ClearML AWS autoscaler (hyper_params + configurations) or our own exported format. ' +
        'Nothing is saved until you press Save in Settings.',
      'Exported configuration': 'No secrets are included: credentials live in the system keychain.',
      'Discard the unsaved changes?':
        'The form goes back to the saved configuration; the edits made since the last save are lost.',
      'Confirm before saving': 'These settings change what runs on every new instance (the init script runs as root):',
    });
  }, 120_000);

  for (const theme of ['light', 'dark'] as const) {
    it(`open dialogs, ${theme}: no axe findings, every control at least 24 × 24 CSS px`, async () => {
      const [, page] = await open(syntheticSnapshot(5), theme);
      const all: string[] = [];
      for (const [button, name] of [
        ['Scale to zero…', 'Terminate every instance?'],
        ['Stop everything…', 'Stop everything?'],
        ['Keyboard shortcuts', 'Keyboard shortcuts'],
      ] as const) {
        await page.getByRole('button', { name: button }).click();
        await page.getByRole('dialog', { name }).waitFor();
        const f = await audit(page);
        if (f.length) all.push(describeFindings(`${name} (${theme})`, f));
        for (const t of await smallTargets(page)) all.push(`${name} (${theme}): under 24 × 24 CSS px: ${t}`);
        await page.keyboard.press('Escape');
        await page.getByRole('dialog', { name }).waitFor({ state: 'detached' });
      }
      await page.getByRole('tab', { name: /^Instances/ }).click();
      await page
        .getByRole('button', { name: /^Terminate i-/ })
        .first()
        .click();
      await page.getByRole('dialog', { name: /^Terminate i-/ }).waitFor();
      const f = await audit(page);
      if (f.length) all.push(describeFindings(`terminate (${theme})`, f));
      for (const t of await smallTargets(page)) all.push(`terminate (${theme}): under 24 × 24 CSS px: ${t}`);
      expect(all.join('\n'), all.join('\n')).toBe('');
    }, 90_000);
  }

  it('Credentials: a refused save names the fields that need attention, ties each message to its field, focuses the first', async () => {
    const [, page] = await open(syntheticSnapshot(3));
    await page.keyboard.press('Alt+7');
    const aws = page.getByRole('form', { name: 'AWS credentials' });
    const keyId = aws.getByRole('textbox', { name: 'Access key id' });
    const secret = aws.getByRole('textbox', { name: 'Secret access key' });
    const outcome = page.locator('section', { has: aws }).getByRole('status');
    /** A field's state as a screen reader gets it: invalid, and what it is described by. */
    const described = (field: typeof keyId) =>
      field.evaluate((el) => ({
        invalid: el.getAttribute('aria-invalid'),
        says: (el.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent)
          .join(' | '),
      }));

    // A key id of the wrong shape and an empty secret, submitted with Enter.
    await keyId.fill('akia-lowercase');
    await keyId.press('Enter');
    await expect
      .poll(() => outcome.textContent())
      .toBe('Not saved: 2 fields need attention: Access key id, Secret access key.');
    expect(await keyId.evaluate((el) => el === document.activeElement)).toBe(true);
    const keyIdState = await described(keyId);
    expect(keyIdState.invalid).toBe('true');
    expect(keyIdState.says).toMatch(/ \| access key id must look like AKIA…$/);
    expect((await described(secret)).invalid).toBe('true');

    // The key id fixed: only the secret is named, and focus goes to it.
    await keyId.fill('AKIAABCDEFGHIJKLMNOP');
    await keyId.press('Enter');
    await expect.poll(() => outcome.textContent()).toBe('Not saved: 1 field needs attention: Secret access key.');
    expect(await secret.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await described(keyId)).invalid).toBe('false');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('notices: an error and an info each in one live region, none inside another (the accessibility tree)', async () => {
    const adoptable = twoAdoptable(null);
    const p = e2e.track(
      await syntheticPreview(
        { ...syntheticSnapshot(3), adoptable },
        { refuseAdoption: { 'i-0aaaaaaaaaaaaaaa2': 'its worker is gone' } },
      ),
    );
    const page = await e2e.browser.newPage();
    await page.goto(p.server.url);
    await page.getByRole('button', { name: 'Adopt 2 instances…' }).click();
    await page.getByRole('dialog', { name: 'Adopt 2 instances?' }).getByRole('button', { name: 'Adopt' }).click();
    await page.getByText('Not adopted: i-0aaaaaaaaaaaaaaa2: its worker is gone').waitFor();
    await page.getByText('Adopted 1 instance.').waitFor();

    const regions = await liveRegions(page);
    expect(regions.filter((r) => r.nested)).toEqual([]);
    const saying = (text: string) => regions.filter((r) => r.text.includes(text));
    // The error in the assertive region, the info in a polite one; each only once, and only what was added is read
    // (not the whole region again), without the Dismiss button's glyph.
    expect(saying('Not adopted: i-0aaaaaaaaaaaaaaa2')).toEqual([
      {
        role: 'alert',
        live: 'assertive',
        atomic: false,
        nested: false,
        text: 'Not adopted: i-0aaaaaaaaaaaaaaa2: its worker is gone',
      },
    ]);
    expect(saying('Adopted 1 instance.')).toEqual([
      { role: 'status', live: 'polite', atomic: false, nested: false, text: 'Adopted 1 instance.' },
    ]);
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('one polite live region: a launch, a termination, an error are said once; a tick says nothing', async () => {
    const [p, page] = await open(syntheticSnapshot(6));
    const region = page.getByTestId('announcements');
    expect(await region.getAttribute('role')).toBe('status');
    expect(await region.getAttribute('aria-live')).toBe('polite');
    expect(await page.locator('[data-testid=announcements]').count()).toBe(1);
    // Count every change to the region from now on: a re-announcement is a DOM change even with the same text.
    await page.evaluate(() => {
      const w = window as unknown as { regionChanges: number };
      w.regionChanges = 0;
      new MutationObserver((m) => (w.regionChanges += m.length)).observe(
        document.querySelector('[data-testid=announcements]')!,
        { childList: true, subtree: true, characterData: true },
      );
    });
    const changes = () => page.evaluate(() => (window as unknown as { regionChanges: number }).regionChanges);
    const ticks = async (n: number) => {
      for (let i = 0; i < n; i++) publish(p, { lastTickAt: Date.now(), lastTickOkAt: Date.now() });
      await page.waitForTimeout(300);
    };

    await ticks(3);
    expect(await region.textContent()).toBe('');
    expect(await changes()).toBe(0);

    publish(p, {}, [
      { kind: 'launch', queue: 'gpu', message: 'launched 2 × g4dn.xlarge', instanceIds: ['i-1', 'i-2'] },
    ]);
    await expect.poll(() => region.textContent()).toBe('2 instances launched on gpu.');
    const afterLaunch = await changes();
    await ticks(3);
    expect(await changes()).toBe(afterLaunch);

    publish(p, {}, [{ kind: 'terminate', queue: 'cpu', message: 'idle 15 min', count: 1 }]);
    await expect.poll(() => region.textContent()).toBe('1 instance terminated on cpu.');

    publish(p, {
      status: 'error',
      statusReason: 'EC2 could not be read: AuthFailure. Check the AWS keys in Credentials.',
    });
    await expect
      .poll(() => region.textContent())
      .toBe('Autoscaling error: EC2 could not be read: AuthFailure. Check the AWS keys in Credentials.');
    const afterError = await changes();
    await ticks(3);
    expect(await changes()).toBe(afterError);

    publish(p, { status: 'watching', statusReason: null });
    await expect.poll(() => region.textContent()).toBe('Autoscaling recovered: watching the queues.');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('Instances table: row count, row indexes while scrolling and filtering, sort state on every header', async () => {
    const [, page] = await open(syntheticSnapshot(300));
    await page.keyboard.press('Alt+3');
    const table = page.getByRole('table', { name: 'Instances' });
    await table.waitFor();
    const rowIndexes = () =>
      page.$$eval('[data-testid=instances-scroll] [role=row]', (rows) =>
        rows.map((r) => Number(r.getAttribute('aria-rowindex'))).sort((a, b) => a - b),
      );
    const contiguous = (xs: number[]) => xs.every((x, i) => i === 0 || x === xs[i - 1]! + 1);

    expect(await table.getAttribute('aria-rowcount')).toBe('301');
    let idx = await rowIndexes();
    expect(idx[0]).toBe(2);
    expect(contiguous(idx)).toBe(true);
    expect(idx.length).toBeLessThan(100); // virtualised: only what is near the viewport is in the DOM

    await page.getByTestId('instances-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.waitForTimeout(200);
    idx = await rowIndexes();
    expect(idx[0]).toBeGreaterThan(100);
    expect(contiguous(idx)).toBe(true);
    await page.getByTestId('instances-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(200);
    idx = await rowIndexes();
    expect(idx[idx.length - 1]).toBe(301);
    expect(contiguous(idx)).toBe(true);
    // The row with index k is the k-th row of the sorted list: the last one is the shortest uptime.
    const lastId = await page
      .locator('[data-testid=instances-scroll] [role=row][aria-rowindex="301"]')
      .getAttribute('data-instance-id');
    expect(lastId).toBe(`i-${(0).toString(16).padStart(17, '0')}`);

    // Filtering: the count follows, indexes restart at 2.
    await page.getByRole('combobox', { name: 'Queue' }).selectOption('cpu');
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe('101');
    await page.getByTestId('instances-scroll').evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(200);
    idx = await rowIndexes();
    expect(idx[0]).toBe(2);
    expect(contiguous(idx)).toBe(true);
    await page.getByRole('searchbox', { name: 'Search' }).fill('no-such-instance');
    await expect.poll(() => table.getAttribute('aria-rowcount')).toBe('2');
    expect(await page.getByRole('cell', { name: 'No instance matches the filter.' }).count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search' }).fill('');

    // Sort state: aria-sort on every sortable header, and the button says the column and the order.
    const headers = page.getByRole('columnheader');
    const sorts = await headers.evaluateAll((hs) => hs.map((h) => h.getAttribute('aria-sort')));
    expect(sorts.filter((s) => s === null)).toHaveLength(1); // the actions column is not sortable
    expect(sorts.filter((s) => s === 'descending')).toHaveLength(1);
    expect(await page.getByRole('button', { name: 'Uptime, sorted descending' }).count()).toBe(1);
    const queue = page.getByRole('button', { name: 'Queue, not sorted' });
    await queue.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('columnheader', { name: /^Queue/ }).getAttribute('aria-sort'))
      .toBe('ascending');
    expect(await page.getByRole('button', { name: 'Queue, sorted ascending' }).count()).toBe(1);
    expect(await page.getByRole('columnheader', { name: /^Uptime/ }).getAttribute('aria-sort')).toBe('none');
    const f = await audit(page);
    expect(f, describeFindings('instances sorted by queue', f)).toEqual([]);
  }, 60_000);

  for (const theme of ['light', 'dark'] as const) {
    it(`focus is visible, ${theme}: a ring of at least 3:1 against the page around it`, async () => {
      const [, page] = await open(syntheticSnapshot(4), theme);
      await page.keyboard.press('Alt+1');
      await expect.poll(() => focused(page)).toMatch(/^tab:Overview/);
      const ring = () =>
        page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const cs = getComputedStyle(el);
          // The colour behind the ring: the nearest ancestor with a background.
          let bg = 'rgba(0, 0, 0, 0)';
          for (let n: HTMLElement | null = el.parentElement; n && bg === 'rgba(0, 0, 0, 0)'; n = n.parentElement)
            bg = getComputedStyle(n).backgroundColor;
          return { style: cs.outlineStyle, width: cs.outlineWidth, color: cs.outlineColor, bg };
        });
      const contrast = (a: string, b: string) => {
        const lum = (c: string) => {
          const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
            const s = Number(v) / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
        };
        const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
        return (hi! + 0.05) / (lo! + 0.05);
      };
      for (const target of ['tab', 'Scale to zero', 'Pause new launches']) {
        if (target !== 'tab') await tabTo(page, target);
        const r = await ring();
        expect(r.style, target).toBe('solid');
        expect(parseFloat(r.width), target).toBeGreaterThanOrEqual(2);
        expect(contrast(r.color, r.bg), `${target}: ${r.color} on ${r.bg}`).toBeGreaterThanOrEqual(3);
      }
      await shot(page, `a11y-focus-${theme}`);
      await page.keyboard.press('Alt+3');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await shot(page, `a11y-focus-instances-${theme}`);
    }, 60_000);
  }

  it('reduced motion: no transitions; forced colours: focus in the system highlight, switch and bars keep borders', async () => {
    const [, page] = await open(syntheticSnapshot(4));
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const transition = () =>
      page
        .locator('.switch-track')
        .first()
        .evaluate((el) => getComputedStyle(el).transitionDuration);
    expect(await transition()).toBe('0s');
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    expect(await transition()).not.toBe('0s');

    await page.emulateMedia({ forcedColors: 'active' });
    await page.keyboard.press('Alt+1');
    await tabTo(page, 'Scale to zero');
    const outline = await page.evaluate(() => {
      const cs = getComputedStyle(document.activeElement as HTMLElement);
      return { style: cs.outlineStyle, width: cs.outlineWidth };
    });
    expect(outline).toEqual({ style: 'solid', width: '3px' });
    const borders = await page.evaluate(() =>
      ['.switch-track', '.stacked, .bar', '.pill'].map(
        (sel) => getComputedStyle(document.querySelector(sel)!).borderTopStyle,
      ),
    );
    expect(borders).toEqual(['solid', 'solid', 'solid']);
    await shot(page, 'a11y-forced-colors');
  }, 60_000);
});
