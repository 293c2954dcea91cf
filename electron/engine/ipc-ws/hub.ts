/**
 * The IPC contract over WebSockets, server side, for every server that carries it (the browser preview and the
 * team server): reading and validating frames, dispatching calls with back-pressure, answering, pushing the
 * snapshot throttled to visible clients, and forwarding change topics. The servers own the HTTP side (who may
 * connect); the hub owns what happens on an accepted socket, so the two cannot drift.
 */
import type { WebSocket } from 'ws';
import type { Snapshot } from '../../../shared/domain.js';
import type { AppError, EventPayload } from '../../../shared/ipc/contract.js';
import type { CallContext, Dispatch } from '../../../shared/ipc/dispatch.js';
import { ClientMessageSchema, type ServerMessage } from '../../../shared/ipc/ws-protocol.js';
import type { ChangeFeed } from '../service/changes.js';
import { createThrottle, realTimers, type ThrottleTimers } from '../push-throttle.js';

export interface SnapshotSource {
  getState(): Snapshot;
  subscribe(listener: (state: Snapshot, previous: Snapshot) => void): () => void;
}

export interface HubOptions {
  dispatch: Dispatch;
  store: SnapshotSource;
  changes?: ChangeFeed;
  /** Minimum time between two snapshot pushes; 250 ms = at most 4 per second. */
  pushIntervalMs?: number;
  timers?: ThrottleTimers;
  log?: (line: string) => void;
  /** Per socket: calls being answered at once; beyond it the socket is not read until one finishes. */
  maxInFlight?: number;
  /** Per socket: bytes queued for a client that does not read; beyond it the client is disconnected. */
  maxBufferedBytes?: number;
  /** How often each client is pinged; one that has not answered (nor sent anything) since the last ping is dropped. */
  heartbeatMs?: number;
}

export interface AcceptOptions<T> {
  /** The call context's transport and extras (the team server's actor). */
  transport?: CallContext['transport'];
  actor?: CallContext['actor'];
  /** Asked before every call: an error refuses it (the socket stays open). */
  authorize?: (channel: string) => AppError | null;
  /** Sent before anything else. */
  hello?: ServerMessage;
  /** What the server needs to find this client again (e.g. its token's name). */
  tag: T;
  /** Who this is in the log (e.g. the token's name and role), after the connection id. */
  label?: string;
}

export interface Hub<T> {
  accept(socket: WebSocket, opts: AcceptOptions<T>): void;
  broadcast(msg: ServerMessage): void;
  navigate(target: EventPayload<'autoscaler:navigate'>): void;
  /** Closes every client whose tag matches; returns how many. */
  disconnect(match: (tag: T) => boolean, code: number, reason: string): number;
  tags(): T[];
  size(): number;
  close(): void;
}

/**
 * A client that does not read what we send gets no more snapshots until it catches up; once replies it asked for
 * pile up past this, it is disconnected (it reconnects and re-pulls), so memory stays bounded.
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const MAX_IN_FLIGHT = 32;
/**
 * A peer that went away without closing (a laptop put to sleep, a network that dropped, a client that never answers
 * a ping) would otherwise hold its connection, and its token's share of the connection limit, for ever: nothing
 * else is sent that would fail. Pinged this often, it is dropped after one to two intervals of silence.
 */
export const HEARTBEAT_MS = 30_000;
/**
 * Frames that are not a message (not JSON, or not in the protocol) a connection may send within a minute before it
 * is closed (1008): a client of another version may send one now and then, a broken or hostile one floods. They are
 * logged at most once a minute per connection, with a count, so no client can flood the host's log (or journal).
 */
export const MAX_PROTOCOL_ERRORS = 10;
const PROTOCOL_WINDOW_MS = 60_000;
export const CLOSE_PROTOCOL_ERROR = 1008;

/** Occurrences of one thing to log, and when a line about them was last written. */
export interface LineTally {
  loggedAt: number;
  unlogged: number;
}

export const newLineTally = (): LineTally => ({ loggedAt: -Infinity, unlogged: 0 });

/**
 * Counts one more occurrence; returns how many to report when a line is due (at most one per `windowMs`, the first
 * at once), else null. What a peer can repeat at will is logged this way, so no peer can flood the host's log.
 */
export function tallyLine(t: LineTally, now: number, windowMs = 60_000): number | null {
  t.unlogged++;
  if (now - t.loggedAt < windowMs) return null;
  const n = t.unlogged;
  t.loggedAt = now;
  t.unlogged = 0;
  return n;
}

interface Client<T> {
  id: string;
  socket: WebSocket;
  visible: boolean;
  inFlight: number;
  /** Heard from (a pong or any frame) since the last ping. */
  alive: boolean;
  tag: T;
  /** Protocol errors in the current minute (`since`), and the tally of those not yet logged. */
  bad: { since: number; count: number; lines: LineTally };
}

export function createIpcHub<T>(opts: HubOptions): Hub<T> {
  const log = opts.log ?? (() => undefined);
  const clients = new Set<Client<T>>();
  const maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT;
  const maxBuffered = opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  const timers = opts.timers ?? realTimers;
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  let connectionSeq = 0;

  /** A frame that is not a message: counted, logged at most once a minute, and too many close the connection. */
  function protocolError(client: Client<T>, what: string) {
    const now = timers.now();
    const b = client.bad;
    if (now - b.since >= PROTOCOL_WINDOW_MS) Object.assign(b, { since: now, count: 0 });
    b.count++;
    if (b.count >= MAX_PROTOCOL_ERRORS) {
      log(`${client.id}: closed: ${b.count} frames within a minute were not valid messages (the last ${what})`);
      clients.delete(client);
      client.socket.close(CLOSE_PROTOCOL_ERROR, 'too many invalid messages');
      setTimeout(() => client.socket.terminate(), 1000).unref();
      return;
    }
    const n = tallyLine(b.lines, now, PROTOCOL_WINDOW_MS);
    if (n === null) return;
    log(
      n === 1
        ? `${client.id}: ignored a frame that ${what}`
        : `${client.id}: ignored ${n} frames that were not valid messages (the last ${what})`,
    );
  }

  function send(client: Client<T>, msg: ServerMessage | string) {
    if (client.socket.readyState !== client.socket.OPEN) return;
    client.socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** A reply the client asked for; a client that lets them pile up unread is disconnected. */
  function reply(client: Client<T>, msg: ServerMessage) {
    if (client.socket.bufferedAmount > maxBuffered) {
      log(`${client.id}: disconnected: it does not read its replies (${client.socket.bufferedAmount} bytes queued)`);
      client.socket.terminate();
      clients.delete(client);
      return;
    }
    send(client, msg);
  }

  function accept(socket: WebSocket, a: AcceptOptions<T>) {
    const client: Client<T> = {
      id: `ws-${++connectionSeq}${a.label ? ` (${a.label})` : ''}`,
      socket,
      visible: true,
      inFlight: 0,
      alive: true,
      tag: a.tag,
      bad: { since: -Infinity, count: 0, lines: newLineTally() },
    };
    clients.add(client);
    socket.on('close', () => clients.delete(client));
    socket.on('error', () => clients.delete(client));
    socket.on('pong', () => (client.alive = true));
    if (a.hello) send(client, a.hello);
    socket.on('message', (data, isBinary) => {
      client.alive = true;
      // Frames read before a close we started are not answered.
      if (isBinary || !clients.has(client)) return;
      let json: unknown;
      try {
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Buffer.from(data).toString('utf8');
        json = JSON.parse(text);
      } catch {
        return protocolError(client, 'is not JSON');
      }
      const parsed = ClientMessageSchema.safeParse(json);
      if (!parsed.success) return protocolError(client, 'is not a message of the protocol');
      const msg = parsed.data;
      if (msg.type === 'visibility') {
        client.visible = msg.visible;
        return;
      }
      const refusal = a.authorize?.(msg.channel) ?? null;
      if (refusal) return reply(client, { type: 'result', id: msg.id, envelope: { ok: false, error: refusal } });
      // Back-pressure: with too many calls open, stop reading the socket until one is answered; frames already
      // read past the bound are answered at once instead of queued.
      if (client.inFlight >= maxInFlight) {
        return reply(client, {
          type: 'result',
          id: msg.id,
          envelope: {
            ok: false,
            error: { code: 'not_ready', message: 'Too many calls at once from this page; try again.' },
          },
        });
      }
      if (++client.inFlight >= maxInFlight) socket.pause();
      const ctx: CallContext = {
        transport: a.transport ?? 'ws',
        caller: client.id,
        ...(a.actor ? { actor: a.actor } : {}),
      };
      opts
        .dispatch(msg.channel, msg.args, ctx)
        .catch((err: unknown) => ({
          ok: false as const,
          error: { code: 'failed' as const, message: err instanceof Error ? err.message : 'internal error' },
        }))
        .then((envelope) => reply(client, { type: 'result', id: msg.id, envelope }))
        .catch(() => undefined)
        .finally(() => {
          if (client.inFlight-- === maxInFlight) socket.resume();
        });
    });
  }

  const push = createThrottle(
    () => {
      if (clients.size === 0) return;
      const frame = JSON.stringify({
        type: 'event',
        channel: 'autoscaler:state.changed',
        payload: opts.store.getState(),
      } satisfies ServerMessage);
      let lagging = false;
      for (const c of clients) {
        if (!c.visible) continue;
        if (c.socket.bufferedAmount > maxBuffered) {
          lagging = true;
          continue;
        }
        send(c, frame);
      }
      // A lagging client gets the then-current snapshot at the next interval.
      if (lagging) push.trigger();
    },
    opts.pushIntervalMs ?? 250,
    timers,
  );
  const heartbeat = setInterval(() => {
    for (const c of [...clients]) {
      if (!c.alive) {
        log(`${c.id}: disconnected: it did not answer a ping for ${Math.round(heartbeatMs / 1000)} s`);
        clients.delete(c);
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();
  const unsubscribe = opts.store.subscribe(() => push.trigger());
  const broadcast = (msg: ServerMessage) => {
    const frame = JSON.stringify(msg);
    for (const c of clients) send(c, frame);
  };
  const unwatch =
    opts.changes?.on((topic) => broadcast({ type: 'event', channel: 'autoscaler:changed', payload: { topic } })) ??
    (() => undefined);

  return {
    accept,
    broadcast,
    navigate: (target) => broadcast({ type: 'event', channel: 'autoscaler:navigate', payload: target }),
    disconnect(match, code, reason) {
      let n = 0;
      for (const c of [...clients]) {
        if (!match(c.tag)) continue;
        n++;
        clients.delete(c);
        c.socket.close(code, reason);
        // A client that never answers the close handshake is dropped anyway.
        setTimeout(() => c.socket.terminate(), 1000).unref();
      }
      return n;
    },
    tags: () => [...clients].map((c) => c.tag),
    size: () => clients.size,
    close() {
      clearInterval(heartbeat);
      unsubscribe();
      unwatch();
      push.cancel();
      // terminate, not close: a client that never answers the close handshake must not hold up shutdown.
      for (const c of clients) c.socket.terminate();
      clients.clear();
    },
  };
}
