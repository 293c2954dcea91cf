/**
 * Attaching to a team engine: a Node client (no electron) that mirrors the remote engine's snapshot into a local
 * store and forwards IPC calls, so the tray, notifications and dashboard run unchanged on top of it.
 *
 * Trust: the server's certificate is pinned by its SHA-256 fingerprint (trust on first use, like SSH). The TLS
 * connection is opened and its certificate checked before the WebSocket request is written on it, so the token
 * never reaches a server whose fingerprint does not match. A changed fingerprint and a refused or revoked token
 * are final (no retry: retrying cannot fix them); anything else is retried with a capped backoff.
 */
import { errorText } from '../../../shared/error-text.js';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { WebSocket } from 'ws';
import type { Snapshot } from '../../../shared/domain.js';
import {
  eventContract,
  invokeContract,
  type AppError,
  type Envelope,
  type EventPayload,
} from '../../../shared/ipc/contract.js';
import { isInvokeChannel, type Dispatch } from '../../../shared/ipc/dispatch.js';
import type { Role } from '../../../shared/ipc/roles.js';
import {
  CONNECTION_LIMIT_HEADER,
  ServerMessageSchema,
  WS_MAX_PAYLOAD,
  WS_PATH,
  type ClientMessage,
} from '../../../shared/ipc/ws-protocol.js';
import { createChangeFeed, type ChangeFeed } from '../service/changes.js';
import { createMainStore, publish, type MainStore } from '../store.js';
import { normalizeFingerprint } from './fingerprint.js';
import { plural } from '../../../shared/words.js';

export type RemoteView = NonNullable<Snapshot['remote']>;

export interface TeamClientOptions {
  /** wss://HOST:PORT (the path /ipc is added). */
  url: string;
  token: string;
  /** The pinned fingerprint (as printed by the server or returned by probeFingerprint). */
  fingerprint: string;
  /** Delay before reconnect attempt n (1-based); default 1 s doubling, capped at 30 s. */
  backoffMs?: (attempt: number) => number;
  now?: () => number;
  /** A call with no answer after this is failed (the socket is then presumed dead and reopened). */
  callTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TeamClient {
  /** The remote snapshot, with `remote` saying where it comes from and how the connection is. */
  readonly store: MainStore;
  /** Forwards a call; answers `not_ready` at once while disconnected. */
  readonly dispatch: Dispatch;
  /** Config, credentials and preferences changed on the team engine. */
  readonly changes: ChangeFeed;
  connection(): RemoteView;
  onNavigate(listener: (target: EventPayload<'autoscaler:navigate'>) => void): () => void;
  /** Resolves on the first connection (or rejects with the final refusal); for tools and tests. */
  ready(): Promise<void>;
  close(): void;
}

export class AttachError extends Error {
  override name = 'AttachError';
  constructor(
    readonly code: 'bad_url' | 'fingerprint_changed' | 'token_refused' | 'revoked' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

/** wss://host:port → its parts; throws AttachError with what to type instead. */
export function parseTeamUrl(url: string): { host: string; port: number; href: string } {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new AttachError('bad_url', `'${url}' is not an address: type it like wss://autoscaler.example.com:7465`);
  }
  if (u.protocol !== 'wss:')
    throw new AttachError('bad_url', `A team engine is reached over wss:// (TLS), not ${u.protocol}//`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : 443;
  return { host, port, href: `wss://${u.host}${WS_PATH}` };
}

function openTls(host: string, port: number, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // No CA check here on purpose: the pinned fingerprint is the trust decision (checked by the caller before
    // anything is sent). SNI only for names (an IP address is not a valid server name).
    const socket = tlsConnect({
      host,
      port,
      rejectUnauthorized: false,
      ...(isIP(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AttachError('unreachable', `No answer from ${host}:${port} within ${timeoutMs / 1000} s.`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(new AttachError('unreachable', `Cannot reach ${host}:${port}: ${e.message}`));
    });
  });
}

/**
 * The first step of attaching: the fingerprint of the certificate the server presents, for the user to compare
 * with the one the server printed at start. Sends nothing (no token) to the server.
 */
export async function probeFingerprint(url: string, timeoutMs = 10_000): Promise<string> {
  const { host, port } = parseTeamUrl(url);
  const socket = await openTls(host, port, timeoutMs);
  try {
    const fp = socket.getPeerCertificate().fingerprint256;
    if (!fp) throw new AttachError('unreachable', `${host}:${port} presented no certificate.`);
    return fp;
  } finally {
    socket.destroy();
  }
}

export function fingerprintChangedMessage(url: string, pinned: string, got: string): string {
  return (
    `The team engine at ${url} presented a different certificate than the one you confirmed (pinned ${pinned}, ` +
    `now ${got}). This app did not send your token. If its admin replaced the certificate, compare the new ` +
    'fingerprint with the one the server prints at start and connect again; otherwise someone may be intercepting.'
  );
}

/** Delay before reconnect attempt n (1-based): 1 s, 2 s, 4 s … capped at 30 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

const TOKEN_REFUSED =
  'The team engine refused this token (revoked, mistyped, or issued for another engine). Ask its admin for a new one.';
const REVOKED = 'Your token was revoked by an admin of the team engine. Ask them for a new one.';

export function createTeamClient(opts: TeamClientOptions): TeamClient {
  const target = parseTeamUrl(opts.url);
  const pinned = normalizeFingerprint(opts.fingerprint);
  if (!pinned) throw new AttachError('bad_url', `'${opts.fingerprint}' is not a SHA-256 fingerprint.`);
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const backoff = opts.backoffMs ?? reconnectDelayMs;
  const callTimeout = opts.callTimeoutMs ?? 60_000;
  const changes = createChangeFeed();
  const navigateListeners = new Set<(t: EventPayload<'autoscaler:navigate'>) => void>();
  const store = createMainStore();

  let remote: RemoteView = {
    url: opts.url,
    actor: null,
    state: 'connecting',
    since: now(),
    retryAt: null,
    lastError: null,
  };
  let latest: Snapshot | null = null;
  let ws: WebSocket | null = null;
  let attempts = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let finalError: AttachError | null = null;
  let nextId = 1;
  const inflight = new Map<
    number,
    { channel: string; resolve: (e: Envelope<unknown>) => void; timer: NodeJS.Timeout }
  >();
  const readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  /** The store shows the remote snapshot; while disconnected, the last one with the status saying so. */
  function render() {
    const base = latest ?? store.getState();
    const down = remote.state !== 'connected';
    publish(store, {
      ...base,
      remote: { ...remote },
      ...(down
        ? {
            status: 'error' as const,
            // The team engine's own fix (its keys, its hosts) is not what this error is about, nor is its short
            // form of its own reason (the tray shows that before the reason).
            statusFix: [],
            statusSummary: null,
            statusReason:
              remote.state === 'connecting'
                ? `Connecting to the team engine at ${remote.url}…`
                : `Not connected to the team engine at ${remote.url}${remote.lastError ? `: ${remote.lastError}` : ''}`,
          }
        : {}),
    });
  }

  function setRemote(patch: Partial<RemoteView>) {
    const stateChanged = patch.state !== undefined && patch.state !== remote.state;
    remote = { ...remote, ...patch, ...(stateChanged ? { since: now() } : {}) };
    render();
  }

  function failInflight(message: string) {
    for (const [id, call] of inflight) {
      inflight.delete(id);
      clearTimeout(call.timer);
      call.resolve({ ok: false, error: { code: 'not_ready', message } });
    }
  }

  function disconnected(error: string, final: AttachError | null) {
    ws = null;
    failInflight(`Not connected to the team engine: ${error}`);
    if (closed) return;
    if (final) {
      finalError = final;
      setRemote({ state: 'disconnected', retryAt: null, lastError: final.message });
      for (const w of readyWaiters.splice(0)) w.reject(final);
      log(`team engine: ${final.message}`);
      return;
    }
    attempts++;
    const delay = backoff(attempts);
    setRemote({ state: 'disconnected', retryAt: now() + delay, lastError: error });
    log(`team engine: ${error}; retrying in ${Math.round(delay / 1000)} s`);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
    retryTimer.unref?.();
  }

  async function connect() {
    if (closed) return;
    setRemote({ state: 'connecting', retryAt: null });
    let socket: TLSSocket;
    try {
      socket = await openTls(target.host, target.port, 10_000);
    } catch (e) {
      return disconnected(errorText(e), null);
    }
    if (closed) return void socket.destroy();
    const got = socket.getPeerCertificate().fingerprint256 ?? '';
    if (normalizeFingerprint(got) !== pinned) {
      socket.destroy();
      const message = fingerprintChangedMessage(opts.url, pinned!, got);
      return disconnected(message, new AttachError('fingerprint_changed', message));
    }
    // The verified socket carries the WebSocket request (and so the token); ws never opens one of its own.
    const sock = new WebSocket(target.href, {
      headers: { Authorization: `Bearer ${opts.token}` },
      createConnection: () => socket,
      maxPayload: WS_MAX_PAYLOAD,
      handshakeTimeout: 10_000,
    });
    ws = sock;
    let refusal: AttachError | null = null;
    let lastError = '';
    sock.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401 || res.statusCode === 403) refusal = new AttachError('token_refused', TOKEN_REFUSED);
      else if (res.statusCode === 429)
        lastError =
          res.headers[CONNECTION_LIMIT_HEADER.toLowerCase()] === 'all'
            ? // Nothing of this app's would help: the server serves as many connections as it takes, from everyone.
              'the team engine is serving as many connections as it takes (from all its teammates); this app ' +
              'tries again, or ask its admin who is attached'
            : 'the team engine has too many connections open with this token: close other windows or apps ' +
              'attached with it, or ask its admin for a token of your own';
      else lastError = `the server answered HTTP ${res.statusCode ?? '?'} (is this a team engine?)`;
      res.resume();
      sock.terminate();
    });
    sock.on('error', (e) => {
      // After an HTTP answer, what it said (the error that follows is only "closed before the connection was …").
      lastError ||= e.message;
    });
    sock.on('open', () => {
      // After "retrying in N s" lines, the one that says it worked (the terminal otherwise only ever shows failures).
      if (attempts > 0) log(`team engine: connected again after ${plural(attempts, 'retry', 'retries')}`);
      attempts = 0;
      setRemote({ state: 'connected', retryAt: null, lastError: null });
      // Pushes come only on change: pull the current snapshot at once.
      void invoke('autoscaler:state.getSnapshot', {}).then((r) => {
        if (r.ok) onSnapshot(r.value);
      });
    });
    sock.on('message', (data, isBinary) => {
      if (isBinary) return;
      const chunks = Array.isArray(data) ? data : [Buffer.isBuffer(data) ? data : Buffer.from(data)];
      onMessage(Buffer.concat(chunks).toString('utf8'));
    });
    sock.on('close', (code, reason) => {
      if (ws !== sock) return;
      if (code === 4401) return disconnected(REVOKED, new AttachError('revoked', REVOKED));
      if (refusal) return disconnected(refusal.message, refusal);
      const why = lastError || (reason.length ? reason.toString() : `connection closed (${code})`);
      disconnected(why, null);
    });
  }

  function onSnapshot(value: unknown) {
    const parsed = eventContract['autoscaler:state.changed'].safeParse(value);
    if (!parsed.success) return log('team engine: ignored a malformed snapshot');
    latest = parsed.data;
    render();
  }

  function onMessage(text: string) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const msg = parsed.data;
    if (msg.type === 'hello') {
      // The server says who we are first: from here on the role is known, so the caller may use the client.
      setRemote({ actor: msg.actor });
      for (const w of readyWaiters.splice(0)) w.resolve();
      return;
    }
    if (msg.type === 'result') {
      const call = inflight.get(msg.id);
      if (!call) return;
      inflight.delete(msg.id);
      clearTimeout(call.timer);
      if (!msg.envelope.ok || !isInvokeChannel(call.channel)) return call.resolve(msg.envelope);
      const checked = invokeContract[call.channel].res.safeParse(msg.envelope.value);
      return call.resolve(
        checked.success
          ? { ok: true, value: checked.data }
          : {
              ok: false,
              error: { code: 'failed', message: `The team engine sent a malformed reply to ${call.channel}.` },
            },
      );
    }
    if (msg.channel === 'autoscaler:state.changed') return onSnapshot(msg.payload);
    if (msg.channel === 'autoscaler:changed') {
      const p = eventContract['autoscaler:changed'].safeParse(msg.payload);
      if (p.success) changes.emit(p.data.topic);
      return;
    }
    if (msg.channel === 'autoscaler:navigate') {
      const p = eventContract['autoscaler:navigate'].safeParse(msg.payload);
      if (p.success) for (const l of navigateListeners) l(p.data);
    }
  }

  function notReady(): Envelope<never> {
    const error: AppError = {
      code: 'not_ready',
      message:
        remote.state === 'connecting'
          ? 'Still connecting to the team engine; try again in a moment.'
          : `Not connected to the team engine${remote.lastError ? `: ${remote.lastError}` : ''}.${remote.retryAt ? ` Retrying in ${Math.max(0, Math.ceil((remote.retryAt - now()) / 1000))} s.` : ''}`,
    };
    return { ok: false, error };
  }

  function invoke(channel: string, args: unknown): Promise<Envelope<unknown>> {
    const sock = ws;
    if (!sock || sock.readyState !== WebSocket.OPEN) return Promise.resolve(notReady());
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        inflight.delete(id);
        resolve({ ok: false, error: { code: 'failed', message: 'The team engine did not answer in time.' } });
        // A socket that swallows calls is presumed dead: reopen it.
        sock.terminate();
      }, callTimeout);
      timer.unref?.();
      inflight.set(id, { channel, resolve, timer });
      sock.send(JSON.stringify({ type: 'invoke', id, channel, args } satisfies ClientMessage));
    });
  }

  render();
  void connect();

  return {
    store,
    changes,
    dispatch: (channel, args) => invoke(channel, args),
    connection: () => ({ ...remote }),
    onNavigate(listener) {
      navigateListeners.add(listener);
      return () => void navigateListeners.delete(listener);
    },
    ready() {
      if (finalError) return Promise.reject(finalError);
      if (remote.state === 'connected' && remote.actor) return Promise.resolve();
      return new Promise((resolve, reject) => readyWaiters.push({ resolve, reject }));
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      failInflight('Disconnected from the team engine.');
      ws?.close(1000, 'detached');
      ws = null;
      setRemote({ state: 'disconnected', retryAt: null, lastError: null });
    },
  };
}

export type { Role };
