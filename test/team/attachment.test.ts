/**
 * The desktop app's attachment switch against a real served engine: attach (only after the connection is
 * accepted), what stays local, the token kept write-only in the secret store, resume at start, detach.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineHost } from '../../electron/engine/host.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { FileSettingsRepo } from '../../electron/engine/service/settings-repo.js';
import type { Serving } from '../../electron/engine/team/serve.js';
import type { Snapshot } from '../../shared/domain.js';
import type { CallContext } from '../../shared/ipc/dispatch.js';
import { localApp, serveDemoEngine, tempDir, until, type ServedEngine } from '../fixtures/team.js';

const ctx: CallContext = { transport: 'ipc', caller: 'test' };

let served: ServedEngine;
let remoteHost: EngineHost;
let serving: Serving;
let url: string;
let token: string;
const appDir = tempDir('team-app-');
const settings = new FileSettingsRepo(path.join(appDir, 'settings.json'));
const secrets = new MemorySecretStore();

/** Each call is the app started again on the same settings and keychain. */
const app = () =>
  localApp({ homeDir: appDir, dataDir: path.join(appDir, 'engine'), settings, secrets, attachTimeoutMs: 5000 });

beforeAll(async () => {
  served = await serveDemoEngine('team-remote-', { tick: true });
  ({ host: remoteHost, serving, url } = served);
  token = served.tokens.issue('vic', 'viewer').token;
});

afterAll(() => served.stop());

describe('attachment switch', () => {
  it('probes, refuses a wrong fingerprint without saving anything, then attaches as a viewer', async () => {
    const { sw, stop } = app();
    try {
      const probe = await sw.dispatch('autoscaler:team.probe', { url }, ctx);
      expect(probe).toEqual({ ok: true, value: { fingerprint: serving.tls.fingerprint } });

      const wrong = await sw.dispatch('autoscaler:team.attach', { url, token, fingerprint: '00'.repeat(32) }, ctx);
      expect(wrong).toMatchObject({ ok: false, error: { code: 'failed' } });
      if (!wrong.ok) expect(wrong.error.message).toMatch(/different certificate/);
      expect(settings.get().attachment).toBeNull();
      expect(await secrets.get('team')).toBeNull();
      expect(sw.attached()).toBe(false);

      // The local engine was left on: attaching turns it off, and keeps it off for a later detach or start.
      settings.patch({ autoscaling: { on: true, launchesPaused: false, pausedQueues: [] } });
      const ok = await sw.dispatch('autoscaler:team.attach', { url, token, fingerprint: serving.tls.fingerprint }, ctx);
      expect(ok).toEqual({ ok: true, value: { attached: true, as: { name: 'vic', role: 'viewer' } } });
      expect(settings.get().autoscaling.on).toBe(false);
      expect(settings.get().attachment).toEqual({ url, fingerprint: serving.tls.fingerprint });
      expect((await secrets.get('team'))?.value.token).toBe(token);
      // Write-only: the status names the engine, never the token.
      const status = await sw.dispatch('autoscaler:team.status', {}, ctx);
      expect(status).toEqual({
        ok: true,
        value: { available: true, attachment: { url, fingerprint: serving.tls.fingerprint } },
      });
      expect(JSON.stringify(status)).not.toContain(token);

      // The store the tray and windows read now mirrors the team engine.
      await until('the remote snapshot', () => sw.store.getState().demo && sw.store.getState().remote?.actor !== null);
      expect(sw.store.getState().queues.map((q) => q.name)).toEqual(
        remoteHost.store.getState().queues.map((q) => q.name),
      );
      // Calls go to the team engine, which applies the role; preferences stay local.
      const toggle = await sw.dispatch('autoscaler:engine.setEnabled', { enabled: true }, ctx);
      expect(toggle).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
      const prefs = await sw.dispatch('autoscaler:settings.patch', { theme: 'dark' }, ctx);
      expect(prefs.ok).toBe(true);
      expect(settings.get().theme).toBe('dark');
    } finally {
      await stop();
    }
  });

  it('resumes the saved attachment at start, and detaching brings the local engine back', async () => {
    const { sw, stop } = app();
    try {
      const topics: string[] = [];
      sw.changes.on((t) => topics.push(t));
      expect(await sw.resume()).toBe(true);
      await until('reattached', () => sw.store.getState().remote?.state === 'connected');
      // Windows refetch the config and credentials once the team engine answers.
      await until('the refetch topics', () => topics.includes('config') && topics.includes('credentials'));
      // The snapshot is answered from the mirror (also while the team engine is unreachable).
      const snap = await sw.dispatch('autoscaler:state.getSnapshot', {}, ctx);
      expect(snap.ok && snap.value).toMatchObject({ remote: { url, state: 'connected' } });
      const revBefore = sw.store.getState().rev;
      const r = await sw.dispatch('autoscaler:team.detach', {}, ctx);
      expect(r).toEqual({ ok: true, value: { attached: false } });
      expect(sw.attached()).toBe(false);
      expect(settings.get().attachment).toBeNull();
      expect(await secrets.get('team')).toBeNull();
      expect(sw.store.getState().remote).toBeUndefined();
      expect(sw.store.getState().demo).toBe(false);
      // Windows drop snapshots whose rev goes backwards: the switch keeps counting up.
      expect(sw.store.getState().rev).toBeGreaterThan(revBefore);
      expect(await sw.resume()).toBe(false);
    } finally {
      await stop();
    }
  });

  it('with the team engine unreachable at start: the snapshot says so, and detaching still works', async () => {
    settings.patch({ attachment: { url: 'wss://127.0.0.1:1', fingerprint: serving.tls.fingerprint } });
    await secrets.set('team', { token });
    const { sw, stop } = app();
    try {
      expect(await sw.resume()).toBe(true);
      await until('disconnected', () => sw.store.getState().remote?.state === 'disconnected');
      const snap = await sw.dispatch('autoscaler:state.getSnapshot', {}, ctx);
      const remote = snap.ok ? (snap.value as Snapshot).remote : undefined;
      expect(remote).toMatchObject({ url: 'wss://127.0.0.1:1', state: 'disconnected' });
      expect(remote?.retryAt).toBeGreaterThan(0);
      const cfg = await sw.dispatch('autoscaler:config.get', {}, ctx);
      expect(cfg).toMatchObject({ ok: false, error: { code: 'not_ready' } });
      expect(await sw.dispatch('autoscaler:team.detach', {}, ctx)).toEqual({ ok: true, value: { attached: false } });
      expect(settings.get().attachment).toBeNull();
    } finally {
      await stop();
    }
  });
});
