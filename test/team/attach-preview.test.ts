/**
 * `npm run preview:web -- --attach`: the browser preview backed by a served team engine, through the real team
 * server, the attach client, the preview server and the renderer's WebSocket bridge.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachBackend } from '../../electron/engine/preview/attach.js';
import { knownFingerprint, rememberFingerprint } from '../../electron/engine/preview/known-fingerprints.js';
import type { PreviewServer } from '../../electron/engine/preview/server.js';
import type { EngineHost } from '../../electron/engine/host.js';
import type { TeamClient } from '../../electron/engine/team/client.js';
import type { Serving } from '../../electron/engine/team/serve.js';
import { createWsBridge } from '../../renderer/src/bridge/ws-bridge.js';
import { serveDemoEngine, tempDir, type ServedEngine } from '../fixtures/team.js';

let served: ServedEngine;
let host: EngineHost;
let serving: Serving;
let url: string;

beforeAll(async () => {
  served = await serveDemoEngine('team-preview-', { tick: true });
  ({ host, serving, url } = served);
});

afterAll(() => served.stop());

describe('preview --attach', () => {
  it('without --fingerprint prints the server’s for the user to confirm, and attaches to nothing', async () => {
    const errors: string[] = [];
    const code = await attachBackend({
      url,
      token: 'cta_unused',
      fingerprint: null,
      knownFile: path.join(tempDir('known-'), 'fp.json'),
      port: 0,
      staticDir: tempDir('static-'),
      log: () => undefined,
      error: (l) => errors.push(l),
    });
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain(serving.tls.fingerprint);
    expect(errors.join('\n')).toMatch(/run again with --fingerprint/);
  });

  it('serves the remote engine to the dashboard with the viewer’s limits', async () => {
    const { token } = served.tokens.issue('pia', 'viewer');
    const knownFile = path.join(tempDir('known-'), 'fp.json');
    const staticDir = tempDir('static-');
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const logs: string[] = [];
    let preview!: PreviewServer;
    let client!: TeamClient;
    const done = attachBackend({
      url,
      token,
      fingerprint: serving.tls.fingerprint.replace(/:/g, '').toLowerCase(),
      knownFile,
      port: 0,
      staticDir,
      log: (l) => logs.push(l),
      error: (l) => logs.push(l),
      until,
      onServing: (s, c) => {
        preview = s;
        client = c;
      },
    });
    while (!preview) await new Promise((r) => setTimeout(r, 20));
    expect(logs.join('\n')).toMatch(/as pia \(viewer\); no local engine runs/);

    const bridge = createWsBridge(`ws://127.0.0.1:${preview.port}/ipc?token=${preview.token}`, {
      createSocket: (u) => new WebSocket(u, { origin: preview.origin }),
    });
    try {
      const snap = await bridge.api['state.getSnapshot']({});
      expect(snap.ok).toBe(true);
      if (snap.ok) {
        expect(snap.value.demo).toBe(true);
        expect(snap.value.queues.map((q) => q.name)).toEqual(host.store.getState().queues.map((q) => q.name));
      }
      // The pushed snapshot carries where it comes from and the role, for the dashboard to grey out controls.
      const pushed = await new Promise<unknown>((resolve) => {
        const off = bridge.api.onStateChanged((s) => {
          if (s.remote?.actor) {
            off();
            resolve(s.remote);
          }
        });
        void host.tickNow();
      });
      expect(pushed).toMatchObject({ url, state: 'connected', actor: { name: 'pia', role: 'viewer' } });
      expect(client.connection().state).toBe('connected');

      const toggle = await bridge.api['engine.setEnabled']({ enabled: true });
      expect(toggle).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
      expect(host.store.getState().enabled).toBe(false);
      // Links are the viewer's to open, not the team engine host's.
      const link = await bridge.api['app.openExternal']({ url: 'https://app.clear.ml/projects' });
      expect(link).toEqual({ ok: true, value: { opened: false } });
      expect(logs.join('\n')).toContain('open in your browser: https://app.clear.ml/projects');
    } finally {
      bridge.close();
      stop();
    }
    expect(await done).toBe(0);
    // The fingerprint that connected is remembered for the address.
    expect(await knownFingerprint(knownFile, url)).toMatchObject({ fingerprint: serving.tls.fingerprint });
  });

  /** Attaches with no --fingerprint and this file of confirmed ones; stops once serving. */
  async function attachRemembered(knownFile: string, name: string) {
    const { token } = served.tokens.issue(name, 'viewer');
    const out: string[] = [];
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const code = await attachBackend({
      url,
      token,
      fingerprint: null,
      knownFile,
      port: 0,
      staticDir: tempDir('static-'),
      log: (l) => out.push(l),
      error: (l) => out.push(l),
      until,
      onServing: () => stop(),
    });
    return { code, out: out.join('\n') };
  }

  it('without --fingerprint uses the one confirmed for that address before', async () => {
    const knownFile = path.join(tempDir('known-'), 'fp.json');
    await rememberFingerprint(knownFile, url, serving.tls.fingerprint, new Date('2026-12-01T10:00:00Z'));
    const { code, out } = await attachRemembered(knownFile, 'ola');
    expect(code).toBe(0);
    expect(out).toContain(`Using the fingerprint you confirmed for ${url} on 2026-12-01T10:00:00.000Z`);
    expect(out).toMatch(/as ola \(viewer\); no local engine runs/);
  });

  it('refuses a server whose certificate no longer matches the remembered fingerprint, and says how to confirm anew', async () => {
    const knownFile = path.join(tempDir('known-'), 'fp.json');
    await rememberFingerprint(knownFile, url, 'AB'.repeat(32), new Date('2026-12-01T10:00:00Z'));
    const { code, out } = await attachRemembered(knownFile, 'kai');
    expect(code).toBe(2);
    expect(out).toMatch(/presented a different certificate than the one you confirmed/);
    expect(out).toMatch(/run again with --fingerprint <the new one>: that replaces the remembered one/);
    // Still the old one: a refused connection remembers nothing.
    expect((await knownFingerprint(knownFile, url))?.fingerprint).toBe(Array(32).fill('AB').join(':'));
  });
});
