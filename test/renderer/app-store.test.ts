import { describe, expect, it } from 'vitest';
import { queueView } from '../fixtures/views.js';
import { createAppStore, type ConnectionSource, type VisibilitySource } from '../../renderer/src/state/app-store.js';
import { isFirstRun, tabBadges } from '../../renderer/src/state/selectors.js';
import { validConfig } from '../service/fixtures.js';
import { createFakeApi, fail, instance, manualTimers, ok, settle, snapshot } from './fake-api.js';

function setup(initialRev = 1, extra: Parameters<typeof createAppStore>[1] = {}) {
  const fake = createFakeApi(snapshot({ rev: initialRev }));
  const timers = manualTimers();
  const app = createAppStore(fake.api, { setTimer: timers.setTimer, clearTimer: timers.clearTimer, ...extra });
  const stop = app.actions.start();
  return { fake, timers, app, stop, state: () => app.store.getState() };
}

describe('app store: replica of main', () => {
  it('pulls the snapshot, config and credential status on start', async () => {
    const { fake, state } = setup(7);
    await settle();
    expect(state().snapshot?.rev).toBe(7);
    expect(state().config).toEqual({ config: null, demo: false });
    expect(state().credentials?.aws.fallback).toBe('AWS SDK chain');
    expect(state().appSettings?.settings.theme).toBe('system');
    expect(fake.calls.map((c) => c.method).sort()).toEqual([
      'config.get',
      'credentials.status',
      'settings.get',
      'state.getSnapshot',
    ]);
  });

  it.each([
    ['newer rev is applied', 5, 6, 6],
    ['older rev is dropped', 5, 4, 5],
    ['same rev is dropped', 5, 5, 5],
  ])('%s', async (_name, start, pushed, expected) => {
    const { fake, state } = setup(start);
    await settle();
    fake.pushState(snapshot({ rev: pushed, enabled: true }));
    expect(state().snapshot?.rev).toBe(expected);
  });

  it('does not replace the snapshot object when a push is stale (no re-render)', async () => {
    const { fake, state } = setup(3);
    await settle();
    const before = state().snapshot;
    fake.pushState(snapshot({ rev: 2 }));
    expect(state().snapshot).toBe(before);
  });

  it('reports a failed first pull in words instead of the dashboard', async () => {
    const fake = createFakeApi();
    fake.on('state.getSnapshot', () => fail('The engine is not running; restart the app.', 'not_ready'));
    const app = createAppStore(fake.api);
    app.actions.start();
    await settle();
    expect(app.store.getState().snapshot).toBeNull();
    expect(app.store.getState().loadError).toBe('The engine is not running; restart the app.');
  });

  it('re-pulls when the page becomes visible again', async () => {
    let notify: (v: boolean) => void = () => undefined;
    const visibility: VisibilitySource = { isVisible: () => true, subscribe: (l) => ((notify = l), () => undefined) };
    const { fake, state } = setup(1, { visibility });
    await settle();
    fake.snapshot = snapshot({ rev: 9 });
    notify(false);
    await settle();
    expect(state().snapshot?.rev).toBe(1);
    notify(true);
    await settle();
    expect(state().snapshot?.rev).toBe(9);
  });

  it('after a reconnect accepts the new server snapshot even with a lower rev', async () => {
    let onConn: (i: { status: 'connecting' | 'open' | 'closed'; generation: number }) => void = () => undefined;
    const connection: ConnectionSource = {
      connection: () => ({ status: 'open', generation: 1 }),
      onConnection: (l) => ((onConn = l), () => undefined),
    };
    const { fake, state } = setup(50, { connection });
    await settle();
    onConn({ status: 'closed', generation: 1 });
    expect(state().connection).toBe('closed');
    fake.snapshot = snapshot({ rev: 2 });
    onConn({ status: 'open', generation: 2 });
    await settle();
    expect(state().connection).toBe('open');
    expect(state().snapshot?.rev).toBe(2);
    // …and ordinary rev ordering applies again afterwards.
    fake.pushState(snapshot({ rev: 1 }));
    expect(state().snapshot?.rev).toBe(2);
  });

  it('a navigate event switches the view and remembers what to focus', async () => {
    const { fake, state } = setup();
    fake.navigate({ view: 'instances', id: 'i-0abc12345678' });
    expect(state().view).toBe('instances');
    expect(state().focus).toBe('i-0abc12345678');
  });

  it.each([
    ['config', 'config.get'],
    ['credentials', 'credentials.status'],
    ['settings', 'settings.get'],
  ] as const)('a "%s changed" event refetches %s, and only that', async (topic, method) => {
    const { fake } = setup();
    await settle();
    fake.calls.length = 0;
    fake.changed({ topic });
    await settle();
    expect(fake.calls.map((c) => c.method)).toEqual([method]);
  });

  it('an import from the first-run screen opens the settings editor, which takes it once', () => {
    const { app, state } = setup();
    expect(app.actions.takeEditorImport()).toBeNull();
    const config = validConfig();
    const differences = [{ code: 'startup-script', path: null, setting: null, text: 'the startup script differs' }];
    app.actions.openImportInEditor({ config, differences });
    expect(state()).toMatchObject({ setupInEditor: true, view: 'settings', editorImport: { config } });
    expect(app.actions.takeEditorImport()).toEqual({ config, differences });
    expect(app.actions.takeEditorImport()).toBeNull();
    // The screen stays on the dashboard after the editor has taken the import.
    expect(state().setupInEditor).toBe(true);
  });

  it('the Settings draft is kept in the store across tab switches, and marks the Settings tab until saved', async () => {
    const { app, state } = setup();
    await settle();
    const config = validConfig();
    // The first-run import, taken by the editor when it mounts.
    const differences = [
      { code: 'surplus-idle', path: null, setting: 'scaling.surplusIdleMin', text: 'idle workers wait 15 min' },
    ];
    app.actions.openImportInEditor({ config, differences });
    app.actions.settingsForm({ type: 'imported', ...app.actions.takeEditorImport()! });
    app.actions.settingsForm({ type: 'edit', id: 'region', change: (d) => ({ ...d, region: 'eu-west-1' }) });
    expect(tabBadges(state()).settingsUnsaved).toBe(true);
    app.actions.setView('credentials');
    app.actions.setView('overview');
    app.actions.setView('settings');
    // What the editor shows when it mounts again: the same draft, still unsaved, with the import's differences.
    expect(state().settingsForm).toMatchObject({ dirty: true, draft: { apiHost: config.clearml.apiHost } });
    expect(state().settingsForm?.importDifferences).toEqual(differences);
    expect(state().settingsForm?.draft.region).toBe('eu-west-1');
    // A config saved elsewhere meanwhile does not replace it: the editor only loads into a clean draft.
    await app.actions.refreshConfig();
    expect(state().settingsForm?.draft.region).toBe('eu-west-1');
    // Discarding asks first; only the confirmed revert loses the draft.
    app.actions.settingsForm({ type: 'dialog', dialog: { kind: 'discard' } });
    expect(state().settingsForm).toMatchObject({ dirty: true, dialog: { kind: 'discard' } });
    app.actions.settingsForm({ type: 'revert', config: null });
    expect(state().settingsForm).toMatchObject({ dirty: false, dialog: null, importDifferences: [] });
    expect(tabBadges(state()).settingsUnsaved).toBe(false);
  });

  it('a setting changed elsewhere (the tray) reaches the open window', async () => {
    const { fake, state } = setup();
    await settle();
    expect(state().appSettings?.settings.launchAtLogin).toBe(false);
    fake.appSettings = { ...fake.appSettings, launchAtLogin: true };
    fake.changed({ topic: 'settings' });
    await settle();
    expect(state().appSettings?.settings.launchAtLogin).toBe(true);
  });

  it('stop() unsubscribes from every event', () => {
    const { fake, stop } = setup();
    expect(fake.listenerCount()).toBe(3);
    stop();
    expect(fake.listenerCount()).toBe(0);
  });
});

describe('app store: pending flags until main confirms', () => {
  it('keeps "enabled" pending after main accepted, until a snapshot shows it on', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    const done = app.actions.setEnabled(true);
    expect(state().pending).toHaveProperty('enabled');
    const r = await done;
    expect(r.ok).toBe(true);
    await settle();
    // Accepted, but the snapshot still says off: the switch must not claim "on" yet.
    expect(state().pending).toHaveProperty('enabled');
    expect(state().snapshot?.enabled).toBe(false);
    fake.pushState(snapshot({ rev: 2, enabled: true }));
    expect(state().pending).not.toHaveProperty('enabled');
    expect(state().snapshot?.enabled).toBe(true);
  });

  it('clears the flag and shows the error in words when main refuses', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('engine.setEnabled', () =>
      fail('Autoscaling cannot start without a configuration. Open Settings and save one (or start the demo).'),
    );
    const r = await app.actions.setEnabled(true);
    expect(r.ok).toBe(false);
    expect(state().pending).toEqual({});
    expect(state().notices.map((n) => n.text)).toEqual([
      'Autoscaling cannot start without a configuration. Open Settings and save one (or start the demo).',
    ]);
  });

  it('confirms at once when the pulled snapshot already shows the change', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.snapshot = snapshot({ rev: 2, launchesPaused: true });
    await app.actions.setLaunchesPaused(true);
    await settle();
    expect(state().pending).toEqual({});
  });

  it('drops a flag main never confirms after the timeout', async () => {
    const { app, state, timers } = setup(1);
    await settle();
    await app.actions.setQueuePaused('gpu', true);
    await settle();
    expect(state().pending).toHaveProperty('queue:gpu');
    expect(timers.fireAll()).toBe(1);
    expect(state().pending).toEqual({});
  });

  it('terminate is confirmed when the instance shows as terminating (or is gone)', async () => {
    const a = instance({ instanceId: 'i-0aaaaaaaaaaaaaaaa' });
    const b = instance({ instanceId: 'i-0bbbbbbbbbbbbbbbb' });
    const { fake, app, state } = setup(1);
    fake.pushState(snapshot({ rev: 2, instances: [a, b] }));
    await settle();
    await app.actions.terminate([a.instanceId]);
    await settle();
    const key = `terminate:${a.instanceId}`;
    expect(state().pending).toHaveProperty(key);
    fake.pushState(snapshot({ rev: 3, instances: [{ ...a, phase: 'busy' }, b] }));
    expect(state().pending).toHaveProperty(key);
    fake.pushState(snapshot({ rev: 4, instances: [{ ...a, phase: 'terminating', state: 'shutting-down' }, b] }));
    expect(state().pending).not.toHaveProperty(key);
  });

  it('says which instances main did not terminate', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('instances.terminate', () => ok({ terminating: [] }));
    await app.actions.terminate(['i-0cccccccccccccccc']);
    expect(state().notices.at(-1)?.text).toMatch(/Not terminated \(not ours or already gone\): i-0cccccccccccccccc/);
  });

  it('starting the demo waits for a demo snapshot, then reloads the config', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('config.get', () => ok({ config: null, demo: true }));
    await app.actions.startDemo();
    await settle();
    expect(state().pending).toHaveProperty('demo');
    fake.pushState(snapshot({ rev: 2, demo: true }));
    await settle();
    expect(state().pending).toEqual({});
    expect(state().config?.demo).toBe(true);
  });

  it('keeps at most four notices, newest last', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('engine.scaleToZero', () => fail('nope'));
    for (let i = 0; i < 6; i++) await app.actions.scaleToZero();
    expect(state().notices).toHaveLength(4);
    const last = state().notices.at(-1)!;
    app.actions.dismissNotice(last.id);
    expect(state().notices).toHaveLength(3);
  });

  it('credential calls never put the secret in a notice', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('credentials.set', () => fail('The keychain is locked; unlock it and try again.'));
    const r = await app.actions.setCredentials({ kind: 'clearml', accessKey: 'AK', secretKey: 'super-secret-value' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(state())).not.toContain('super-secret-value');
  });
});

describe('app preferences', () => {
  it('a patch is sent as given and the store keeps what main answered', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    await app.actions.patchAppSettings({ theme: 'dark', notificationMutes: { launched: true } });
    expect(fake.calls.at(-1)).toEqual({
      method: 'settings.patch',
      req: { theme: 'dark', notificationMutes: { launched: true } },
    });
    expect(state().appSettings?.settings.theme).toBe('dark');
    expect(state().appSettings?.settings.notificationMutes).toMatchObject({ launched: true, terminated: false });
    expect(state().pending).toEqual({});
  });

  it('a refused patch leaves the previous preferences and says why', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('settings.patch', () => fail('The settings file is read-only; check its permissions.'));
    await app.actions.patchAppSettings({ theme: 'light' });
    expect(state().appSettings?.settings.theme).toBe('system');
    expect(state().notices.at(-1)?.text).toBe('The settings file is read-only; check its permissions.');
  });
});

describe('selectors', () => {
  const creds = (clearml: boolean, aws: boolean) => ({
    backend: 'memory',
    warning: null,
    clearml: { set: clearml, setAt: clearml ? 1 : null, fallback: null },
    aws: { set: aws, setAt: aws ? 1 : null, fallback: null },
    git: { set: false, setAt: null, fallback: null },
  });
  const base = () => createAppStore(createFakeApi().api).store.getState();

  it.each([
    ['nothing loaded yet', null, null, null, null],
    ['empty install', { config: null, demo: false }, creds(false, false), false, true],
    ['a config exists', { config: validConfig(), demo: false }, creds(false, false), false, false],
    ['credentials stored', { config: null, demo: false }, creds(true, false), false, false],
    ['demo running', { config: null, demo: true }, creds(false, false), true, false],
  ] as const)('isFirstRun: %s', (_n, config, credentials, demo, expected) => {
    const s = {
      ...base(),
      config,
      credentials,
      snapshot: demo === null ? null : snapshot({ demo }),
    };
    expect(isFirstRun(s)).toBe(expected);
    // Left for the settings editor with an import, the first-run screen is over (once anything is loaded).
    expect(isFirstRun({ ...s, setupInEditor: true })).toBe(expected === null ? null : false);
  });

  it('tab badges count queued tasks, live instances and error events', () => {
    const s = {
      ...base(),
      snapshot: snapshot({
        queues: [
          queueView({ name: 'a', pending: 2, oldestWaitSec: 5 }),
          queueView({ name: 'b', pending: 3, oldestWaitSec: 5 }),
        ],
        instances: [instance(), instance({ instanceId: 'i-0bbbbbbbbbbbbbbbb', state: 'terminated' })],
        events: [
          { id: 1, at: 0, level: 'error', kind: 'error', message: 'x' },
          { id: 2, at: 0, level: 'info', kind: 'launch', message: 'y' },
        ],
      }),
    };
    expect(tabBadges(s)).toEqual({
      queues: 5,
      instances: 1,
      events: 1,
      settingsUnsaved: false,
      credentialsUnsaved: false,
    });
    expect(tabBadges({ ...s, credentialDrafts: { 'aws.accessKeyId': 'AKIA' } }).credentialsUnsaved).toBe(true);
  });
});

describe('app store: stop everything', () => {
  it('sends the confirmation, stays pending until main answers, then pulls the snapshot', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    let answer: (v: ReturnType<typeof ok>) => void = () => undefined;
    fake.on('engine.stopEverything', () => new Promise((resolve) => (answer = resolve)));
    const call = app.actions.stopEverything();
    await settle();
    expect(state().pending).toEqual({ stopEverything: true });
    fake.snapshot = snapshot({ rev: 2, enabled: false });
    const pullsBefore = fake.calls.filter((c) => c.method === 'state.getSnapshot').length;
    answer(ok({ regions: [{ region: 'us-east-1', terminated: 2, error: null }] }));
    const r = await call;
    await settle();
    expect(r).toEqual({ ok: true, value: { regions: [{ region: 'us-east-1', terminated: 2, error: null }] } });
    expect(fake.calls.find((c) => c.method === 'engine.stopEverything')?.req).toEqual({ confirm: true });
    expect(fake.calls.filter((c) => c.method === 'state.getSnapshot').length).toBe(pullsBefore + 1);
    expect(state().snapshot?.rev).toBe(2);
    expect(state().pending).toEqual({});
  });

  it('returns a refusal to the dialog instead of raising a notice', async () => {
    const { fake, app, state } = setup(1);
    await settle();
    fake.on('engine.stopEverything', () => fail('Stop everything is not available in this window.', 'not_ready'));
    const r = await app.actions.stopEverything();
    expect(r).toMatchObject({ ok: false, error: { code: 'not_ready' } });
    expect(state().notices).toEqual([]);
    expect(state().pending).toEqual({});
  });
});
