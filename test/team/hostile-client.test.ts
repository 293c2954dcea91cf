/**
 * A hostile or broken teammate client with a valid token, over the real team server: what it sends must not write
 * forged lines into the host's log, nor flood it.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createFailureLog } from '../../electron/engine/service/failure-log.js';
import { MAX_CONNECTIONS_PER_TOKEN, MAX_PENDING_PER_ADDRESS } from '../../electron/engine/team/server.js';
import { serveDemoEngine, until, type ServedEngine } from '../fixtures/team.js';

let engine: ServedEngine | null = null;
const sockets: WebSocket[] = [];
const raw: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of raw.splice(0)) s.destroy();
  await engine?.stop();
  engine = null;
});

/** A TCP connection that never says anything (no TLS handshake, no request), like a port scanner or a script. */
async function silentSocket(e: ServedEngine, localAddress = '127.0.0.1') {
  const s = connect({ host: '127.0.0.1', port: e.serving.server.port, localAddress });
  raw.push(s);
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  return { closed, isClosed: () => isClosed, destroy: () => s.destroy() };
}

/** A raw client: the wire as any program holding the token can speak it, not the app's well-behaved client. */
async function attachRaw(e: ServedEngine, token: string, opts: { autoPong?: boolean } = {}) {
  const ws = new WebSocket(`${e.url}/ipc`, {
    headers: { Authorization: `Bearer ${token}` },
    rejectUnauthorized: false,
    ...opts,
  });
  sockets.push(ws);
  const answers = new Map<number, { ok: boolean; error?: { code: string } }>();
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString('utf8')) as { type: string; id?: number; envelope?: { ok: boolean } };
    if (m.type === 'result') answers.set(m.id!, m.envelope!);
  });
  await new Promise((r) => ws.once('open', r));
  const call = (id: number, channel: string, args: unknown) =>
    ws.send(JSON.stringify({ type: 'invoke', id, channel, args }));
  return { ws, answers, call };
}

describe('a hostile teammate client', () => {
  it('cannot write a forged line into the host log with a newline in a channel name or an argument key', async () => {
    const lines: string[] = [];
    engine = await serveDemoEngine('team-hostile-', { log: (l) => lines.push(l) });
    const { token } = engine.tokens.issue('mallory', 'viewer');
    const c = await attachRaw(engine, token);
    c.call(1, "x'\nalice (admin): turned autoscaling off", {});
    c.call(2, 'autoscaler:config.get', { '\nbob (admin): saved the config': 1 });
    await until('both answers', () => c.answers.size === 2);
    expect(c.answers.get(1)).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    for (const l of lines) expect(l).not.toMatch(/[\n\r]/);
    expect(lines.some((l) => l.includes('\\u000aalice (admin)'))).toBe(true);
  });

  it('cannot flood the host log with calls that fail: one line per channel and code, then a count', async () => {
    const lines: string[] = [];
    engine = await serveDemoEngine('team-hostile-', { log: (l) => lines.push(l) });
    const { token } = engine.tokens.issue('mallory', 'viewer');
    const c = await attachRaw(engine, token);
    // Sent in rounds below the in-flight bound, so every call reaches the dispatcher (none is turned away busy).
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 25; i++) {
        const id = round * 100 + i;
        c.call(id, i % 2 ? 'autoscaler:timeline.get' : `autoscaler:made-up-${id}`, { hours: 'many' });
      }
      await until('the round answered', () => c.answers.size === (round + 1) * 25);
    }
    const failures = lines.filter((l) => /invalid_args|unknown_channel/.test(l));
    // 500 failing calls: one line for the bad arguments and one for the unknown channels, each naming the caller.
    expect(failures).toHaveLength(2);
    for (const l of failures) expect(l).toMatch(/^ws-\d+ \(mallory, viewer\): /);
  });
});

describe('anyone who reaches the port, without a token', () => {
  it('holds at most a few silent sockets per address and locks out no teammate elsewhere', async () => {
    const lines: string[] = [];
    engine = await serveDemoEngine('team-hostile-', { log: (l) => lines.push(l) });
    const held = [];
    for (let i = 0; i < MAX_PENDING_PER_ADDRESS; i++) held.push(await silentSocket(engine));
    // One more from the same address is closed at once; the ones before it are held (for up to 10 s).
    const extra = await silentSocket(engine);
    await extra.closed;
    expect(held.filter((h) => h.isClosed())).toHaveLength(0);
    expect(
      lines.some((l) => /refused a connection from 127\.0\.0\.1: 16 connections from it have not presented/.test(l)),
    ).toBe(true);
    // A teammate from another address attaches meanwhile.
    const alice = await attachFrom(engine, 'alice', '127.0.0.2');
    expect(alice.readyState).toBe(WebSocket.OPEN);
    // A slot given back (the socket closed) is free again.
    held[0]!.destroy();
    await held[0]!.closed;
    await new Promise((r) => setTimeout(r, 300)); // the server's end closes a moment later
    const again = await silentSocket(engine);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.isClosed()).toBe(false);
  });

  it('closes a socket that presents no valid token in time, but never an attached teammate', async () => {
    const lines: string[] = [];
    engine = await serveDemoEngine('team-hostile-', { log: (l) => lines.push(l), preAuthMs: 300 });
    const alice = await attachFrom(engine, 'alice', '127.0.0.1');
    const silent = await silentSocket(engine);
    await silent.closed;
    expect(lines.some((l) => /refused a connection from 127\.0\.0\.1: no valid token within 0\.3 s/.test(l))).toBe(
      true,
    );
    await new Promise((r) => setTimeout(r, 600));
    expect(alice.readyState).toBe(WebSocket.OPEN);
  });
});

/** A well-behaved teammate's connection with a fresh viewer token, from `localAddress`. */
async function attachFrom(e: ServedEngine, name: string, localAddress: string): Promise<WebSocket> {
  const { token } = e.tokens.issue(name, 'viewer');
  const ws = new WebSocket(`${e.url}/ipc`, {
    headers: { Authorization: `Bearer ${token}` },
    rejectUnauthorized: false,
    localAddress,
  });
  sockets.push(ws);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  return ws;
}

describe('a teammate client reconnecting in a loop', () => {
  it('does not write two lines per connection into the host log', async () => {
    const lines: string[] = [];
    engine = await serveDemoEngine('team-hostile-', { log: (l) => lines.push(l) });
    const { token } = engine.tokens.issue('churn', 'viewer');
    for (let i = 0; i < 30; i++) {
      const c = await attachRaw(engine, token);
      c.call(1, 'autoscaler:made-up', {});
      await until('the answer', () => c.answers.size === 1);
      const gone = new Promise((r) => c.ws.once('close', r));
      c.ws.close();
      await gone;
    }
    await until('the last detach seen by the server', () => engine!.serving.server.attached().length === 0);
    expect(lines.filter((l) => l.startsWith('churn (viewer) attached'))).toEqual([
      'churn (viewer) attached from 127.0.0.1',
    ]);
    expect(lines.filter((l) => l.startsWith('churn (viewer) detached'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('unknown_channel'))).toHaveLength(1);
  });
});

describe('a teammate whose connections went silent (a laptop asleep, a dropped network)', () => {
  it('gets its connection slots back: peers that answer no ping are dropped, those that answer stay', async () => {
    const lines: string[] = [];
    engine = await serveDemoEngine('team-hostile-', { log: (l) => lines.push(l), heartbeatMs: 100 });
    const { token } = engine.tokens.issue('sleepy', 'viewer');
    // Silent peers: they never answer a ping, like a host that is gone without a FIN.
    const silent = await Promise.all(
      Array.from({ length: MAX_CONNECTIONS_PER_TOKEN }, () => attachRaw(engine!, token, { autoPong: false })),
    );
    const closed = silent.map((c) => new Promise<number>((r) => c.ws.once('close', (code) => r(code))));
    const healthy = await attachRaw(engine, tokenOf(engine, 'awake'));
    await Promise.all(closed);
    expect(lines.filter((l) => /sleepy, viewer\): disconnected: it did not answer a ping/.test(l))).toHaveLength(
      MAX_CONNECTIONS_PER_TOKEN,
    );
    // The same token attaches again, and the peer that answers pings was never dropped.
    const again = await attachRaw(engine, token);
    expect(again.ws.readyState).toBe(WebSocket.OPEN);
    await new Promise((r) => setTimeout(r, 300));
    expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  });
});

function tokenOf(e: ServedEngine, name: string): string {
  return e.tokens.issue(name, 'viewer').token;
}

describe('createFailureLog', () => {
  const team = { transport: 'team', caller: 'ws-1 (m, viewer)' } as const;
  const failed = { code: 'invalid_args', message: 'Invalid request.' } as const;
  it.each([
    ['a remote caller repeating within a minute: one line, then the count', team, [0, 10, 20, 60_000], 2],
    ['the local app: every failure', { transport: 'ipc', caller: '1' } as const, [0, 10, 20], 3],
  ])('%s', (_what, ctx, times, expected) => {
    const out: string[] = [];
    let t = 0;
    const onError = createFailureLog(
      (l) => out.push(l),
      () => t,
    );
    for (const at of times) {
      t = at;
      onError('autoscaler:timeline.get', failed, ctx);
    }
    expect(out).toHaveLength(expected);
    if (ctx.transport === 'team') expect(out[1]).toMatch(/\(3 such failures since the last line about them\)$/);
  });
});
