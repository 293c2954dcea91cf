/**
 * Team mode end to end on loopback, nothing of the wire mocked: a demo engine served over TLS with a generated
 * certificate, the attach client as the tray app uses it, tokens issued and revoked through the token file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { runHeadless } from '../../electron/engine/cli/headless.js';
import type { EngineHost } from '../../electron/engine/host.js';
import { publish } from '../../electron/engine/store.js';
import { AttachError, createTeamClient, probeFingerprint, type TeamClient } from '../../electron/engine/team/client.js';
import { MAX_CONNECTIONS, MAX_CONNECTIONS_PER_TOKEN } from '../../electron/engine/team/server.js';
import { startServing, type Serving } from '../../electron/engine/team/serve.js';
import { TokenStore, tokenFilePath } from '../../electron/engine/team/tokens.js';
import type { EngineEvent } from '../../shared/domain.js';
import { serveDemoEngine, tempDir, until } from '../fixtures/team.js';

let dataDir: string;
let host: EngineHost;
let serving: Serving;
let tokens: TokenStore;
let url: string;
const events: EngineEvent[] = [];
const serverLog: string[] = [];
const clients: TeamClient[] = [];

beforeAll(async () => {
  const served = await serveDemoEngine('team-serve-', {
    onEvent: (e) => events.push(e),
    log: (l) => serverLog.push(l),
  });
  ({ dataDir, host, serving, tokens, url } = served);
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await serving.stop();
  await host.stop();
});

function attach(token: string, fingerprint = serving.tls.fingerprint, log?: (line: string) => void): TeamClient {
  const c = createTeamClient({ url, token, fingerprint, backoffMs: () => 50, ...(log ? { log } : {}) });
  clients.push(c);
  return c;
}

describe('serve and attach', () => {
  it('generates a certificate once, and the client sees its fingerprint before sending anything', async () => {
    expect(serving.tls.source).toBe('generated');
    expect(serving.tls.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(await probeFingerprint(url)).toBe(serving.tls.fingerprint);
  });

  it('a viewer reads the engine but cannot toggle it', async () => {
    const { token } = tokens.issue('vera', 'viewer');
    const c = attach(token);
    await c.ready();
    await until('the hello', () => c.connection().actor !== null);
    expect(c.connection()).toMatchObject({ state: 'connected', actor: { name: 'vera', role: 'viewer' } });
    const snap = await c.dispatch('autoscaler:state.getSnapshot', {}, { transport: 'test', caller: 't' });
    expect(snap.ok).toBe(true);
    await until(
      'the mirrored snapshot',
      () => c.store.getState().demo && c.store.getState().remote?.state === 'connected',
    );

    const before = host.store.getState().enabled;
    const r = await c.dispatch(
      'autoscaler:engine.setEnabled',
      { enabled: !before },
      { transport: 'test', caller: 't' },
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
    if (!r.ok) expect(r.error.message).toMatch(/Your role \(viewer\) cannot do this: engine.setEnabled needs operator/);
    expect(host.store.getState().enabled).toBe(before);
  });

  it('an operator toggles (audited with name and role) but cannot save the config', async () => {
    const { token } = tokens.issue('olga', 'operator');
    const c = attach(token);
    await c.ready();
    const on = await c.dispatch('autoscaler:engine.setEnabled', { enabled: true }, { transport: 'test', caller: 't' });
    expect(on).toEqual({ ok: true, value: { enabled: true } });
    expect(host.store.getState().enabled).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({
        message: 'olga (operator): turned autoscaling on',
        actor: { name: 'olga', role: 'operator' },
      }),
    );
    // The audit line reaches the attached app's event list through the snapshot.
    await host.tickNow();
    await until('the audit event in the mirror', () =>
      c.store.getState().events.some((e) => typeof e.actor === 'object' && e.actor.name === 'olga'),
    );

    const cfg = await c.dispatch('autoscaler:config.get', {}, { transport: 'test', caller: 't' });
    expect(cfg.ok).toBe(true);
    const save = await c.dispatch(
      'autoscaler:config.save',
      { config: cfg.ok ? (cfg.value as { config: unknown }).config : null },
      { transport: 'test', caller: 't' },
    );
    expect(save).toMatchObject({ ok: false, error: { code: 'forbidden_role' } });
    await c.dispatch('autoscaler:engine.setEnabled', { enabled: false }, { transport: 'test', caller: 't' });
  });

  it('marks local changes as "local"', async () => {
    const r = await serving.service.dispatch(
      'autoscaler:engine.setLaunchesPaused',
      { paused: true },
      { transport: 'ipc', caller: '1' },
    );
    expect(r.ok).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ message: 'local: paused launches', actor: 'local' }));
    await serving.service.dispatch(
      'autoscaler:engine.setLaunchesPaused',
      { paused: false },
      { transport: 'ipc', caller: '1' },
    );
  });

  it('a call that asks for the state a switch is already in is answered but not written to the audit trail', async () => {
    const lines = () => events.filter((e) => /^local: resumed launches|^local: paused launches/.test(e.message));
    const ctx = { transport: 'ipc' as const, caller: '1' };
    expect(host.store.getState().launchesPaused).toBe(false);
    const before = lines().length;
    expect(await serving.service.dispatch('autoscaler:engine.setLaunchesPaused', { paused: false }, ctx)).toEqual({
      ok: true,
      value: { paused: false },
    });
    expect(lines()).toHaveLength(before);
    // A real change still is.
    await serving.service.dispatch('autoscaler:engine.setLaunchesPaused', { paused: true }, ctx);
    await serving.service.dispatch('autoscaler:engine.setLaunchesPaused', { paused: false }, ctx);
    expect(lines()).toHaveLength(before + 2);
  });

  it('a revoked token is cut off at once and cannot reconnect', async () => {
    const { token } = tokens.issue('rita', 'admin');
    const c = attach(token);
    await c.ready();
    await until('rita attached', () => serving.server.attached().some((a) => a.name === 'rita'));
    // The team engine in an error of its own, with the tab that fixes it there.
    publish(host.store, { status: 'error', statusReason: 'its keys', statusFix: ['credentials'] });
    await until('the fix seen', () => c.store.getState().statusFix?.[0] === 'credentials');
    // Revoked from "another shell": only the file changes; the server notices by itself.
    new TokenStore(tokenFilePath(dataDir)).revoke('rita');
    await until('rita cut off', () => c.connection().state === 'disconnected', 5000);
    expect(c.connection().retryAt).toBeNull();
    expect(c.connection().lastError).toMatch(/revoked/);
    expect(serving.server.attached().some((a) => a.name === 'rita')).toBe(false);
    expect(c.store.getState().statusReason).toMatch(/Not connected to the team engine.*revoked/);
    // Not the engine's keys: no button sends the user to fix those.
    expect(c.store.getState().statusFix).toEqual([]);

    const again = attach(token);
    await expect(again.ready()).rejects.toMatchObject({ code: 'token_refused' });
    expect(again.connection().retryAt).toBeNull();
  });

  it("a lost connection replaces the team engine's short status too, so the tray does not keep its old error", async () => {
    const { token } = tokens.issue('sid', 'viewer');
    const c = attach(token);
    await c.ready();
    await until('sid attached', () => serving.server.attached().some((a) => a.name === 'sid'));
    // The team engine with its AWS keys refused: a long reason and the tray's short form of it.
    publish(host.store, {
      status: 'error',
      statusReason: 'AWS rejected the credentials (AuthFailure): check the credentials this process uses.',
      statusSummary: 'AWS refused the credentials (AuthFailure); next try in 5 min',
      statusFix: ['credentials'],
    });
    await until('the short form seen', () => c.store.getState().statusSummary?.startsWith('AWS refused') === true);
    tokens.revoke('sid');
    await until('sid cut off', () => c.connection().state === 'disconnected', 5000);
    const s = c.store.getState();
    expect(s.statusReason).toMatch(/Not connected to the team engine.*revoked/);
    // The tray shows the short form before the reason: the engine's old one would hide the lost connection.
    expect(s.statusSummary ?? null).toBeNull();
    publish(host.store, { status: 'off', statusReason: null });
  });

  it('a token file that does not read for a moment cuts nobody off; one that reads again revokes as before', async () => {
    const { token } = tokens.issue('tina', 'viewer');
    const c = attach(token);
    await c.ready();
    await until('tina attached', () => serving.server.attached().some((a) => a.name === 'tina'));
    const file = tokenFilePath(dataDir);
    const good = readFileSync(file, 'utf8');
    const logged = serverLog.length;
    try {
      writeFileSync(file, good.slice(0, 20)); // a half-saved edit
      serving.server.reloadTokens();
      serving.server.reloadTokens(); // the poll finds it again: said once
      expect(serving.server.attached().some((a) => a.name === 'tina')).toBe(true);
      expect(c.connection().state).toBe('connected');
      const said = serverLog.slice(logged).filter((l) => /cannot be read/.test(l));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/the last token list that read stays in force/);
    } finally {
      writeFileSync(file, good);
    }
    serving.server.reloadTokens();
    expect(serverLog.slice(logged)).toContainEqual(expect.stringMatching(/^the token file reads again/));
    expect(serverLog.slice(logged).join('\n')).not.toMatch(/cut off/);
    // A file that reads and no longer lists the token still revokes it.
    new TokenStore(file).revoke('tina');
    serving.server.reloadTokens();
    await until('tina cut off', () => c.connection().state === 'disconnected', 5000);
    expect(c.connection().lastError).toMatch(/revoked/);
  });

  it('a client flooding frames that are not messages is closed (1008) with a line or two in the log, not one each', async () => {
    const { token } = tokens.issue('flo', 'viewer');
    const logged = serverLog.length;
    const code = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url}/ipc`, {
        rejectUnauthorized: false,
        headers: { Authorization: `Bearer ${token}` },
      });
      ws.on('open', () => {
        for (let i = 0; i < 5000; i++) ws.send(i % 2 ? 'not json' : JSON.stringify({ type: 'nonsense', i }));
      });
      ws.on('close', (c) => resolve(c));
      ws.on('error', reject);
    });
    expect(code).toBe(1008);
    const lines = serverLog.slice(logged).filter((l) => l.includes('(flo, viewer)'));
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines.at(-1)).toMatch(/closed: 10 frames within a minute were not valid messages/);
  });

  it(`one token holds at most ${MAX_CONNECTIONS_PER_TOKEN} connections; the next is refused (429) until one closes`, async () => {
    const { token } = tokens.issue('many', 'viewer');
    const opened: WebSocket[] = [];
    const connect = () =>
      new Promise<{ status: number; ws: WebSocket }>((resolve) => {
        const ws = new WebSocket(`${url}/ipc`, {
          rejectUnauthorized: false,
          headers: { Authorization: `Bearer ${token}` },
        });
        ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, ws }));
        ws.on('open', () => resolve({ status: 101, ws }));
        ws.on('error', () => undefined);
      });
    try {
      // Asked all at once: a burst must not pass the check together.
      const first = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_TOKEN + 3 }, connect));
      opened.push(...first.filter((r) => r.status === 101).map((r) => r.ws));
      expect(first.map((r) => r.status).sort()).toEqual([
        ...Array<number>(MAX_CONNECTIONS_PER_TOKEN).fill(101),
        ...Array<number>(3).fill(429),
      ]);
      expect(serverLog.join('\n')).toMatch(/many's token already has 8 connections open \(at most 8\)/);
      // Another token is not affected.
      const other = attach(tokens.issue('other-one', 'viewer').token);
      await other.ready();

      const closed = new Promise((r) => opened[0]!.once('close', r));
      opened.shift()!.close();
      await closed;
      // The server counts a connection until its socket is gone, a moment after the client saw it close.
      let status = 0;
      for (let i = 0; i < 50 && status !== 101; i++) {
        const r = await connect();
        opened.push(r.ws);
        status = r.status;
        if (status !== 101) await new Promise((res) => setTimeout(res, 20));
      }
      expect(status).toBe(101);
    } finally {
      for (const ws of opened) ws.terminate();
    }
  });

  it('a client refused for too many connections says what to do', async () => {
    const { token } = tokens.issue('crowd', 'viewer');
    const first = Array.from({ length: MAX_CONNECTIONS_PER_TOKEN }, () => attach(token));
    await Promise.all(first.map((c) => c.ready()));
    const said: string[] = [];
    const extra = attach(token, serving.tls.fingerprint, (l) => said.push(l));
    await until('the refusal', () => extra.connection().lastError !== null);
    expect(extra.connection().lastError).toMatch(/too many connections open with this token: close other windows/);
  });

  it(`a client refused because the server holds ${MAX_CONNECTIONS} connections does not blame its own token`, async () => {
    // A server of its own: filling this one would refuse the other tests' clients.
    const full = await serveDemoEngine('team-full-');
    const opened: WebSocket[] = [];
    try {
      const open = (token: string) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`${full.url}/ipc`, {
            rejectUnauthorized: false,
            headers: { Authorization: `Bearer ${token}` },
          });
          opened.push(ws);
          ws.on('open', () => resolve());
          ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
          ws.on('error', reject);
        });
      for (let t = 0; t < MAX_CONNECTIONS / MAX_CONNECTIONS_PER_TOKEN; t++) {
        const { token } = full.tokens.issue(`crowd-${t}`, 'viewer');
        await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_TOKEN }, () => open(token)));
      }
      const c = createTeamClient({
        url: full.url,
        token: full.tokens.issue('late', 'viewer').token,
        fingerprint: full.serving.tls.fingerprint,
        backoffMs: () => 60_000,
      });
      clients.push(c);
      await until('the refusal', () => c.connection().lastError !== null);
      // Its one connection is not too many: closing its windows or a token of its own would not help.
      expect(c.connection().lastError).not.toMatch(/with this token/);
      expect(c.connection().lastError).toMatch(/as many connections as it takes/);
    } finally {
      for (const ws of opened) ws.terminate();
      await full.stop();
    }
  });

  it('refused upgrades from one address are logged once a minute, not once each', async () => {
    const logged = serverLog.length;
    for (let i = 0; i < 40; i++) {
      const c = attach('cta_' + 'y'.repeat(43));
      await expect(c.ready()).rejects.toMatchObject({ code: 'token_refused' });
    }
    // The refusal test before this one may already have said it this minute.
    expect(serverLog.slice(logged).filter((l) => /^refused/.test(l)).length).toBeLessThanOrEqual(1);
  });

  it('refuses a wrong fingerprint without sending the token', async () => {
    const { token } = tokens.issue('mallory-test', 'admin');
    const logged = serverLog.length;
    const wrong = 'AB:'.repeat(31) + 'AB';
    const c = attach(token, wrong);
    const err = await c.ready().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttachError);
    expect((err as AttachError).code).toBe('fingerprint_changed');
    expect((err as AttachError).message).toMatch(/different certificate.*did not send your token/);
    expect(c.connection()).toMatchObject({ state: 'disconnected', retryAt: null });
    // The server never saw a WebSocket request at all.
    expect(serverLog.slice(logged).join('\n')).not.toMatch(/attached|refused/);
  });

  it('refuses a wrong token and any browser page (Origin header)', async () => {
    const c = attach('cta_' + 'x'.repeat(43));
    await expect(c.ready()).rejects.toMatchObject({ code: 'token_refused' });

    const { token } = tokens.issue('browser-test', 'admin');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${url}/ipc`, {
        rejectUnauthorized: false,
        headers: { Authorization: `Bearer ${token}` },
        origin: 'https://evil.example',
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('reconnects after the server restarts, and says when it is disconnected and when it is connected again', async () => {
    const { token } = tokens.issue('rex', 'viewer');
    const said: string[] = [];
    const c = attach(token, serving.tls.fingerprint, (l) => said.push(l));
    await c.ready();
    expect(said).toEqual([]);
    const port = serving.server.port;
    await serving.stop();
    await until('disconnected', () => c.connection().state === 'disconnected');
    expect(c.connection().retryAt).not.toBeNull();
    const r = await c.dispatch('autoscaler:state.getSnapshot', {}, { transport: 'test', caller: 't' });
    expect(r).toMatchObject({ ok: false, error: { code: 'not_ready' } });
    serving = await startServing({
      host,
      dataDir,
      listen: { host: '127.0.0.1', port },
      config: null,
      env: {},
      log: (l) => serverLog.push(l),
      pushIntervalMs: 20,
    });
    // The kept certificate: same fingerprint, so the pinned client reconnects by itself.
    expect(serving.tls.source).toBe('kept');
    await until('reconnected', () => c.connection().state === 'connected', 10_000);
    const retries = said.filter((l) => /^team engine: .*; retrying in \d+ s$/.test(l)).length;
    expect(retries).toBeGreaterThan(0);
    expect(said.at(-1)).toBe(`team engine: connected again after ${retries === 1 ? '1 retry' : `${retries} retries`}`);
  });
});

describe('npm run headless -- --demo --serve', () => {
  /** A served demo for `minutes`, in its own data folder, once it has printed where it serves. */
  async function serveDemo(minutes: string) {
    const dir = tempDir('team-cli-');
    const lines: string[] = [];
    const run = runHeadless(
      ['--demo', '--serve', '--listen', '127.0.0.1:0', '--json', '--minutes', minutes, '--data-dir', dir],
      { write: (l) => lines.push(l) },
      {},
    );
    await until('the serving line', () => lines.some((l) => l.includes('"serving"')));
    const serving = JSON.parse(lines.find((l) => l.includes('"serving"'))!) as { url: string; fingerprint: string };
    return { dir, run, serving };
  }

  it('serves on the given address and prints the fingerprint', async () => {
    const { run, serving } = await serveDemo('0.05');
    expect(serving.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const port = Number(/:(\d+)$/.exec(serving.url)![1]);
    expect(await probeFingerprint(`wss://127.0.0.1:${port}`)).toBe(serving.fingerprint);
    expect(await run).toBe(0);
  });

  it('a teammate turns autoscaling off: the served engine goes on observing, so attached apps stay current', async () => {
    const { dir, run, serving: served } = await serveDemo('0.3');
    const { token } = new TokenStore(tokenFilePath(dir)).issue('olga', 'operator');
    const c = createTeamClient({
      url: served.url.replace(/\/\/[^:]+:/, '//127.0.0.1:'),
      token,
      fingerprint: served.fingerprint,
    });
    clients.push(c);
    await c.ready();
    await c.dispatch('autoscaler:engine.setEnabled', { enabled: false }, { transport: 'test', caller: 't' });
    await until('the off status', () => c.store.getState().status === 'off');
    const offAt = c.store.getState().lastTickOkAt!;
    // The demo polls every 3 s: a later observation arrives though nothing acts.
    await until('a poll after autoscaling went off', () => (c.store.getState().lastTickOkAt ?? 0) > offAt, 15_000);
    expect(c.store.getState().enabled).toBe(false);
    expect(await run).toBe(0);
  }, 40_000);

  it('an address already in use: one JSON error line under --json and exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      const lines: string[] = [];
      const code = await runHeadless(
        ['--demo', '--serve', '--listen', `127.0.0.1:${port}`, '--json', '--data-dir', tempDir('team-cli-')],
        { write: (l) => lines.push(l) },
        {},
      );
      expect(code).toBe(2);
      // Every line parses: a supervisor's log shipper reads them all.
      const parsed = lines.map((l) => JSON.parse(l) as { type: string; message?: string });
      expect(parsed.at(-1)).toEqual({ type: 'error', message: expect.stringContaining('cannot serve: ') as unknown });
      expect(parsed.at(-1)?.message).toMatch(/is already in use; choose another with --listen HOST:PORT/);
    } finally {
      taken.close();
    }
  });
});
