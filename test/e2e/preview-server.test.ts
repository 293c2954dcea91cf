/**
 * The preview server and the renderer's WebSocket bridge together: a real server on 127.0.0.1, a fake
 * dispatcher and a test store, and the bridge driven through the `ws` client (same API as the browser's).
 */
import http from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createThrottle } from '../../electron/engine/push-throttle.js';
import { resolveStaticPath } from '../../electron/engine/preview/static-files.js';
import { startPreviewServer, tokenCookieName, type PreviewServer } from '../../electron/engine/preview/server.js';
import { createWsBridge, type WsBridge } from '../../renderer/src/bridge/ws-bridge.js';
import { emptySnapshot, type Snapshot } from '../../shared/domain.js';
import type { Envelope } from '../../shared/ipc/contract.js';
import type { CallContext, Dispatch } from '../../shared/ipc/dispatch.js';

const staticDir = mkdtempSync(path.join(tmpdir(), 'preview-static-'));
mkdirSync(path.join(staticDir, 'assets'));
writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(path.join(path.dirname(staticDir), 'secret-outside.txt'), 'outside');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Harness {
  server: PreviewServer;
  store: StoreApi<Snapshot>;
  calls: { channel: string; args: unknown; ctx: CallContext }[];
}

async function harness(dispatch?: Dispatch, pushIntervalMs = 0): Promise<Harness> {
  const store = createStore<Snapshot>(() => ({ ...emptySnapshot(), rev: 1 }));
  const calls: Harness['calls'] = [];
  const server = await startPreviewServer({
    dispatch:
      dispatch ??
      (async (channel, args, ctx): Promise<Envelope<unknown>> => {
        calls.push({ channel, args, ctx });
        if (channel === 'autoscaler:state.getSnapshot') return { ok: true, value: store.getState() };
        if (channel === 'autoscaler:engine.setEnabled') return { ok: true, value: args };
        return { ok: false, error: { code: 'unknown_channel', message: `no ${channel}` } };
      }),
    store,
    staticDir,
    pushIntervalMs,
  });
  cleanups.push(() => server.close());
  return { server, store, calls };
}

function bridgeTo(server: PreviewServer, opts: { token?: string; origin?: string } = {}): WsBridge {
  const url = `ws://127.0.0.1:${server.port}/ipc?token=${opts.token ?? server.token}`;
  const bridge = createWsBridge(url, {
    createSocket: (u) => new WebSocket(u, { origin: opts.origin ?? server.origin }),
    reconnectDelayMs: () => 50,
  });
  cleanups.push(() => bridge.close());
  return bridge;
}

function nextState(bridge: WsBridge): Promise<Snapshot> {
  return new Promise((resolve) => {
    const off = bridge.api.onStateChanged((s) => {
      off();
      resolve(s);
    });
  });
}

/** A GET with the path sent exactly as written (fetch would normalise `..` and `%2e%2e` away). */
function status(server: PreviewServer, rawPath: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: server.port, path: rawPath, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

/** Raw upgrade attempt: resolves with the HTTP status the server answered (101 = accepted). */
function upgradeStatus(server: PreviewServer, query: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ipc${query}`, origin ? { origin } : {});
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => undefined);
  });
}

describe('preview server: access control', () => {
  it('listens on 127.0.0.1 with a long random token in the URL', async () => {
    const { server } = await harness();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const other = await harness();
    expect(other.server.token).not.toBe(server.token);
  });

  const token = (s: PreviewServer) => `?token=${s.token}`;
  const ours = (s: PreviewServer) => s.origin;
  it.each([
    ['the right token and our origin', 101, token, ours],
    ['no token', 401, () => '', ours],
    [
      'a wrong token',
      401,
      (s: PreviewServer) => `?token=${s.token.slice(0, -1)}${s.token.endsWith('0') ? '1' : '0'}`,
      ours,
    ],
    ['another site as origin', 403, token, () => 'https://evil.example'],
    ['no origin at all', 403, token, () => undefined],
    ['a different local port as origin', 403, token, (s: PreviewServer) => `http://127.0.0.1:${s.port + 1}`],
  ])('a WebSocket with %s → %i', async (_n, expected, query, origin) => {
    const { server } = await harness();
    expect(await upgradeStatus(server, query(server), origin(server))).toBe(expected);
  });

  it('serves the built files and refuses traversal, other hosts and other methods', async () => {
    const { server } = await harness();
    const base = server.origin;
    const cookie = { cookie: `${tokenCookieName(server.port)}=${server.token}` };
    expect(await status(server, '/', cookie)).toBe(200);
    expect(await status(server, '/assets/app.js', cookie)).toBe(200);
    expect(await status(server, '/assets/nope.js', cookie)).toBe(404);
    expect(await status(server, '/../secret-outside.txt', cookie)).toBe(400);
    expect(await status(server, '/%2e%2e/secret-outside.txt', cookie)).toBe(400);
    expect(await status(server, '/assets/..%2f..%2fsecret-outside.txt', cookie)).toBe(400);
    expect(await status(server, '/', { host: 'evil.example', ...cookie })).toBe(421);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    const res = await fetch(`${base}/`, { headers: cookie });
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it.each([
    ['/', 'index.html'],
    ['/assets/a.js?x=1', 'assets/a.js'],
    ['/../etc/passwd', null],
    ['/%2e%2e/etc/passwd', null],
    ['/assets/%2e%2e/%2e%2e/x', null],
    ['/a\\..\\b', null],
    ['/a%00b', null],
    ['/.git/config', null],
    ['/%E0%A4%A', null],
  ])('resolveStaticPath(%j)', (req, rel) => {
    const root = '/srv/app';
    expect(resolveStaticPath(root, req)).toBe(rel === null ? null : path.join(root, rel));
  });
});

describe('preview server + WebSocket bridge', () => {
  it('carries a call and its envelope both ways, with the transport named in the context', async () => {
    const { server, calls } = await harness();
    const bridge = bridgeTo(server);
    const r = await bridge.api['engine.setEnabled']({ enabled: true });
    expect(r).toEqual({ ok: true, value: { enabled: true } });
    expect(calls[0]).toMatchObject({
      channel: 'autoscaler:engine.setEnabled',
      args: { enabled: true },
      ctx: { transport: 'ws' },
    });
    const err = await bridge.api['config.export']({});
    expect(err).toEqual({ ok: false, error: { code: 'unknown_channel', message: 'no autoscaler:config.export' } });
  });

  it('a reply that breaks the contract becomes a "failed" envelope, not bad data', async () => {
    const { server } = await harness(async () => ({ ok: true, value: { enabled: 'yes' } }));
    const bridge = bridgeTo(server);
    const r = await bridge.api['engine.setEnabled']({ enabled: true });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/malformed reply to engine\.setEnabled/);
  });

  it('pushes store changes as state.changed, validated, to visible pages only', async () => {
    const { server, store } = await harness();
    const visible = bridgeTo(server);
    const hidden = bridgeTo(server);
    await visible.api['state.getSnapshot']({});
    await hidden.api['state.getSnapshot']({});
    hidden.setVisible(false);
    let hiddenGot = 0;
    hidden.api.onStateChanged(() => hiddenGot++);
    // Make sure the server has processed the visibility message before publishing.
    await hidden.api['state.getSnapshot']({});
    const got = nextState(visible);
    store.setState((s) => ({ ...s, rev: 2, enabled: true }));
    expect(await got).toMatchObject({ rev: 2, enabled: true });
    await visible.api['state.getSnapshot']({});
    expect(hiddenGot).toBe(0);
  });

  it('coalesces a burst of store writes into pushes of the latest snapshot', async () => {
    const { server, store } = await harness(undefined, 100);
    const bridge = bridgeTo(server);
    await bridge.api['state.getSnapshot']({});
    const seen: number[] = [];
    bridge.api.onStateChanged((s) => seen.push(s.rev));
    const last = new Promise<void>((resolve) => bridge.api.onStateChanged((s) => s.rev === 51 && resolve()));
    for (let rev = 2; rev <= 51; rev++) store.setState((s) => ({ ...s, rev }));
    await last;
    expect(seen.at(-1)).toBe(51);
    expect(seen.length).toBeLessThanOrEqual(2);
  });

  it('navigate reaches the page', async () => {
    const { server } = await harness();
    const bridge = bridgeTo(server);
    await bridge.api['state.getSnapshot']({});
    const target = new Promise((resolve) => bridge.api.onNavigate(resolve));
    server.navigate({ view: 'instances', id: 'i-0123456789abcdef0' });
    expect(await target).toEqual({ view: 'instances', id: 'i-0123456789abcdef0' });
  });

  it('while the server is gone, calls answer not_ready at once; it reconnects when the server is back', async () => {
    const { server } = await harness();
    const port = server.port;
    const bridge = bridgeTo(server);
    await bridge.api['state.getSnapshot']({});
    const generations: number[] = [];
    bridge.onConnection((i) => i.status === 'open' && generations.push(i.generation));
    const closed = new Promise<void>((resolve) => bridge.onConnection((i) => i.status === 'closed' && resolve()));
    await server.close();
    await closed;
    const r = await bridge.api['state.getSnapshot']({});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('not_ready');
    expect(!r.ok && r.error.message).toMatch(/npm run preview:web/);

    const store = createStore<Snapshot>(() => ({ ...emptySnapshot(), rev: 1 }));
    const again = await startPreviewServer({
      dispatch: async () => ({ ok: true, value: store.getState() }),
      store,
      staticDir,
      port,
      token: server.token,
    });
    cleanups.push(() => again.close());
    await new Promise<void>((resolve) => bridge.onConnection((i) => i.status === 'open' && resolve()));
    expect(generations).toEqual([2]);
    expect((await bridge.api['state.getSnapshot']({})).ok).toBe(true);
  });

  it('ignores frames that are not protocol messages and keeps serving', async () => {
    const { server } = await harness();
    const raw = new WebSocket(`ws://127.0.0.1:${server.port}/ipc?token=${server.token}`, { origin: server.origin });
    cleanups.push(() => raw.terminate());
    await new Promise((r) => raw.once('open', r));
    raw.send('not json');
    raw.send(JSON.stringify({ type: 'invoke', id: -1, channel: 'x' }));
    raw.send(
      JSON.stringify({ type: 'invoke', id: 7, channel: 'autoscaler:engine.setEnabled', args: { enabled: false } }),
    );
    const reply = await new Promise<unknown>((r) =>
      raw.once('message', (d: Buffer) => r(JSON.parse(d.toString('utf8')))),
    );
    expect(reply).toEqual({ type: 'result', id: 7, envelope: { ok: true, value: { enabled: false } } });
  });
});

describe('preview server: the token leaves the address bar', () => {
  it('the token URL sets an HttpOnly, SameSite=Strict cookie and redirects to the clean address', async () => {
    const { server } = await harness();
    const res = await fetch(server.url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toBe(`${tokenCookieName(server.port)}=${server.token}; HttpOnly; SameSite=Strict; Path=/`);
    const page = await fetch(`${server.origin}/`, { headers: { cookie: setCookie.split(';')[0]! } });
    expect(page.status).toBe(200);
  });

  it('without the token or its cookie the page is refused with what to do; a wrong token too', async () => {
    const { server } = await harness();
    const bare = await fetch(`${server.origin}/`);
    expect(bare.status).toBe(401);
    expect(await bare.text()).toMatch(/open the exact URL that the preview printed/);
    expect((await fetch(`${server.origin}/?token=${'0'.repeat(64)}`, { redirect: 'manual' })).status).toBe(401);
    const wrong = { cookie: `${tokenCookieName(server.port)}=${'0'.repeat(64)}` };
    expect(await status(server, '/', wrong)).toBe(401);
  });

  it('the WebSocket accepts the cookie instead of the token', async () => {
    const { server } = await harness();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ipc`, {
      origin: server.origin,
      headers: { cookie: `${tokenCookieName(server.port)}=${server.token}` },
    });
    cleanups.push(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  });
});

describe('preview server: a page that does not read', () => {
  it('is disconnected once its unread replies pass the bound, and the server keeps serving others', async () => {
    const store = createStore<Snapshot>(() => ({ ...emptySnapshot(), rev: 1 }));
    const logs: string[] = [];
    const server = await startPreviewServer({
      dispatch: async (channel) =>
        channel === 'autoscaler:config.export'
          ? { ok: true, value: { text: 'x'.repeat(64 * 1024) } }
          : { ok: true, value: store.getState() },
      store,
      staticDir,
      pushIntervalMs: 0,
      log: (l) => logs.push(l),
    });
    cleanups.push(() => server.close());
    const raw = new WebSocket(`ws://127.0.0.1:${server.port}/ipc?token=${server.token}`, { origin: server.origin });
    cleanups.push(() => raw.terminate());
    await new Promise((r) => raw.once('open', r));
    // The client stops reading: the server's replies queue in its socket buffer.
    raw.pause();
    const closed = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (server.clientCount() === 0) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    let sent = 0;
    const frame = JSON.stringify({ type: 'invoke', id: 1, channel: 'autoscaler:config.export', args: {} });
    const pump = setInterval(() => {
      for (let i = 0; i < 50 && raw.readyState === raw.OPEN; i++, sent++) raw.send(frame);
    }, 5);
    await closed;
    clearInterval(pump);
    // 8 MB of 64 KB replies is about 130; well before thousands the page is cut off.
    expect(sent).toBeLessThan(5000);
    expect(logs.join('\n')).toMatch(/disconnected: it does not read its replies/);
    const other = bridgeTo(server);
    expect((await other.api['state.getSnapshot']({})).ok).toBe(true);
  });

  it('stops reading a socket with too many calls open, and reads again as they finish', async () => {
    const gates: (() => void)[] = [];
    let started = 0;
    const store = createStore<Snapshot>(() => ({ ...emptySnapshot(), rev: 1 }));
    const server = await startPreviewServer({
      dispatch: () =>
        new Promise((resolve) => {
          started++;
          gates.push(() => resolve({ ok: true, value: { enabled: true } }));
        }),
      store,
      staticDir,
      pushIntervalMs: 0,
      maxInFlight: 4,
    });
    cleanups.push(() => server.close());
    const raw = new WebSocket(`ws://127.0.0.1:${server.port}/ipc?token=${server.token}`, { origin: server.origin });
    cleanups.push(() => raw.terminate());
    await new Promise((r) => raw.once('open', r));
    const replies: { id: number; envelope: { ok: boolean } }[] = [];
    raw.on('message', (d: Buffer) => replies.push(JSON.parse(d.toString('utf8')) as (typeof replies)[number]));
    for (let id = 0; id < 10; id++) {
      raw.send(
        JSON.stringify({ type: 'invoke', id, channel: 'autoscaler:engine.setEnabled', args: { enabled: true } }),
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    // Four run; the six read in the same burst are answered at once, not queued.
    expect(started).toBe(4);
    expect(replies.map((r) => r.envelope.ok)).toEqual([false, false, false, false, false, false]);
    gates.splice(0).forEach((g) => g());
    await new Promise((r) => setTimeout(r, 200));
    expect(replies.filter((r) => r.envelope.ok)).toHaveLength(4);
    // Reading again: a new call runs.
    raw.send(
      JSON.stringify({ type: 'invoke', id: 99, channel: 'autoscaler:engine.setEnabled', args: { enabled: true } }),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toBe(5);
    gates.splice(0).forEach((g) => g());
  });
});

describe('throttle', () => {
  function fakeTimers() {
    let now = 0;
    const queue: { at: number; fn: () => void; id: number }[] = [];
    let seq = 0;
    return {
      timers: {
        now: () => now,
        setTimeout: (fn: () => void, ms: number) => (queue.push({ at: now + ms, fn, id: ++seq }), seq),
        clearTimeout: (id: unknown) => {
          const i = queue.findIndex((q) => q.id === id);
          if (i >= 0) queue.splice(i, 1);
        },
      },
      /** Runs each due timer at its own time, in order. */
      advance(ms: number) {
        const target = now + ms;
        for (;;) {
          const next = [...queue].sort((a, b) => a.at - b.at)[0];
          if (!next || next.at > target) break;
          queue.splice(queue.indexOf(next), 1);
          now = next.at;
          next.fn();
        }
        now = target;
      },
    };
  }

  it('runs at once, then at most once per interval, always ending with a run after the last trigger', () => {
    const t = fakeTimers();
    const runs: number[] = [];
    const th = createThrottle(() => runs.push(t.timers.now()), 250, t.timers);
    th.trigger(); // t=0: immediate
    for (let i = 0; i < 10; i++) {
      t.advance(20);
      th.trigger();
    }
    t.advance(100); // t=300: trailing run at 250
    expect(runs).toEqual([0, 250]);
    t.advance(1000);
    th.trigger(); // long quiet: immediate again
    expect(runs).toEqual([0, 250, 1300]);
  });

  it('cancel drops a scheduled run', () => {
    const t = fakeTimers();
    let runs = 0;
    const th = createThrottle(() => runs++, 250, t.timers);
    th.trigger();
    th.trigger();
    th.cancel();
    t.advance(1000);
    expect(runs).toBe(1);
  });
});
