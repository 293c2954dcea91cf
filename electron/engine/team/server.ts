/**
 * The team server: the IPC contract over one TLS WebSocket per attached app, for `npm run headless -- --serve`.
 * Who may connect: a client presenting a team token (Authorization: Bearer) that the token file lists; a page in
 * a browser (any request with an Origin header) may not, so a web page can never drive the engine. What each
 * caller may do: its token's role (shared/ipc/roles.ts), checked on every call. The token file is watched:
 * revoking a token (from another shell) closes that person's connections at once. Framing, back-pressure and
 * the throttled snapshot push are the shared hub's, the same as the browser preview's.
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { AppError } from '../../../shared/ipc/contract.js';
import { isInvokeChannel, type Dispatch } from '../../../shared/ipc/dispatch.js';
import { checkRole, renderRoleRefusal, type Role } from '../../../shared/ipc/roles.js';
import { CONNECTION_LIMIT_HEADER, WS_MAX_PAYLOAD, WS_PATH } from '../../../shared/ipc/ws-protocol.js';
import { createIpcHub, newLineTally, tallyLine, type LineTally, type SnapshotSource } from '../ipc-ws/hub.js';
import type { ChangeFeed } from '../service/changes.js';
import { findToken, TokenFileError, type TokenRecord, type TokenStore } from './tokens.js';
import { plural } from '../../../shared/words.js';

/** Close codes the attached app tells apart (4000-4999 are the application's). */
export const CLOSE_REVOKED = 4401;
export const CLOSE_SHUTDOWN = 1001;

export const DEFAULT_LISTEN = { host: '0.0.0.0', port: 7465 };
/**
 * Connections one token may hold at once, and all tokens together. A teammate's app holds one; each connection
 * may queue up to a few MB of replies it has not read, so without a bound one token could grow the host's memory
 * without limit.
 */
export const MAX_CONNECTIONS_PER_TOKEN = 8;
export const MAX_CONNECTIONS = 256;
/**
 * Sockets that have not presented a valid token yet: at most this many per address and in all, each for at most
 * PRE_AUTH_MS. Anyone who reaches the port can open them; without a bound, a script holding thousands of silent
 * sockets (a TLS handshake takes up to two minutes to time out) would cost the host memory and descriptors and keep
 * teammates from attaching. Per address, so one such script does not lock out a teammate elsewhere.
 */
export const MAX_PENDING_PER_ADDRESS = 16;
export const MAX_PENDING = 128;
export const PRE_AUTH_MS = 10_000;

export interface TeamServerOptions {
  dispatch: Dispatch;
  store: SnapshotSource;
  changes?: ChangeFeed;
  tls: { cert: string; key: string };
  tokens: TokenStore;
  host?: string;
  /** 0: any free port. */
  port?: number;
  log?: (line: string) => void;
  pushIntervalMs?: number;
  /** Ping interval for dropping peers that went away without closing (the hub's HEARTBEAT_MS by default). */
  heartbeatMs?: number;
  /** How often the token file is checked besides the file watcher (which may miss changes on some filesystems). */
  tokenPollMs?: number;
  /** How long a socket may take to present a valid token (PRE_AUTH_MS by default). */
  preAuthMs?: number;
}

export interface TeamServer {
  readonly host: string;
  readonly port: number;
  /** Who is attached now (one entry per connection). */
  attached(): { name: string; role: Role }[];
  /** Re-read the token file now and cut off connections whose token is gone. */
  reloadTokens(): void;
  close(): Promise<void>;
}

interface Tag {
  name: string;
  role: Role;
  sha256: string;
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}

export async function startTeamServer(opts: TeamServerOptions): Promise<TeamServer> {
  const log = opts.log ?? (() => undefined);
  const listenHost = opts.host ?? DEFAULT_LISTEN.host;
  let records: TokenRecord[] = [];
  let unreadable: string | null = null;
  const load = () => {
    try {
      records = opts.tokens.list();
      if (unreadable) log(`the token file reads again: ${plural(records.length, 'token')} listed`);
      unreadable = null;
    } catch (e) {
      // A file that does not read for a moment (a hand edit half saved, a copy in progress, a root-owned file left
      // by 'token issue' run as root) revokes nobody: the last list that read stays in force, so attached
      // teammates are not cut off as "revoked" (their apps would not retry). Only a file that reads and no longer
      // lists a token revokes it. Before any list has read, nobody is admitted. Said once until it reads again.
      const why = e instanceof TokenFileError ? e.message : `token file: ${String(e)}`;
      if (why !== unreadable)
        log(
          `${why} Until it reads again, the last token list that read stays in force (${plural(records.length, 'token')}).`,
        );
      unreadable = why;
    }
  };
  load();
  const current = (tag: Tag) => records.some((r) => r.sha256 === tag.sha256 && r.role === tag.role);

  const hub = createIpcHub<Tag>({
    dispatch: opts.dispatch,
    store: opts.store,
    ...(opts.changes ? { changes: opts.changes } : {}),
    ...(opts.pushIntervalMs !== undefined ? { pushIntervalMs: opts.pushIntervalMs } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    log,
  });

  function reloadTokens() {
    load();
    const cut = hub.disconnect((tag) => !current(tag), CLOSE_REVOKED, 'token revoked');
    if (cut) log(`cut off ${plural(cut, 'connection')} whose token was revoked or changed`);
  }

  const server: Server = createServer(
    { cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' },
    (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(
        'This is a clearml-tray-autoscaler team engine. Attach to it from the tray app ("Connect to a team engine…").\n',
      );
    },
  );
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });

  // Refused upgrades are logged at most once a minute per address and reason, with how many there were: anyone who
  // reaches the port could otherwise write a line per attempt into the host's log. Bounded: the oldest go first.
  const refusals = new Map<string, LineTally>();
  /** How many times `key` happened since its last line, when a line is due; else null. */
  function tally(key: string): number | null {
    const r = refusals.get(key) ?? newLineTally();
    refusals.delete(key);
    if (refusals.size >= 1000) refusals.delete(refusals.keys().next().value!);
    refusals.set(key, r);
    return tallyLine(r, Date.now());
  }
  function logRefusal(address: string, why: string) {
    const n = tally(`${address}|${why}`);
    if (n === null) return;
    log(
      n === 1
        ? `refused a connection from ${address}: ${why}`
        : `refused ${n} connections from ${address} since the last line about it: ${why}`,
    );
  }

  /** Connections held (upgrading or open) by token hash, and in all. */
  const open = new Map<string, number>();
  let openTotal = 0;

  // Sockets not yet admitted, by address, and how to let one go (by address and port: the TLS socket the upgrade
  // sees wraps the raw socket counted here, and both have the same remote end).
  const pending = new Map<string, number>();
  const admit = new Map<string, () => void>();
  let pendingTotal = 0;
  const preAuthMs = opts.preAuthMs ?? PRE_AUTH_MS;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '?';
    const held = pending.get(address) ?? 0;
    if (held >= MAX_PENDING_PER_ADDRESS || pendingTotal >= MAX_PENDING) {
      logRefusal(
        address,
        held >= MAX_PENDING_PER_ADDRESS
          ? `${plural(held, 'connection')} from it have not presented a token yet (at most ${MAX_PENDING_PER_ADDRESS})`
          : `${plural(pendingTotal, 'connection')} have not presented a token yet (at most ${MAX_PENDING})`,
      );
      socket.destroy();
      return;
    }
    pending.set(address, held + 1);
    pendingTotal++;
    const key = `${address}|${socket.remotePort}`;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      admit.delete(key);
      pendingTotal--;
      const n = (pending.get(address) ?? 1) - 1;
      if (n > 0) pending.set(address, n);
      else pending.delete(address);
    };
    const timer = setTimeout(() => {
      logRefusal(address, `no valid token within ${preAuthMs / 1000} s`);
      socket.destroy();
    }, preAuthMs);
    timer.unref();
    admit.set(key, settle);
    socket.once('close', settle);
  });

  function refuse(socket: Duplex, status: number, text: string, header = '') {
    socket.end(`HTTP/1.1 ${status} ${text}\r\n${header}Connection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://team.invalid');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    const address = req.socket.remoteAddress ?? '?';
    if (req.headers.origin !== undefined) {
      logRefusal(address, `a WebSocket from a web page (origin ${JSON.stringify(req.headers.origin).slice(0, 200)})`);
      return refuse(socket, 403, 'Forbidden');
    }
    const token = bearer(req);
    const record = token ? findToken(records, token) : null;
    if (!record) {
      logRefusal(address, 'missing or unknown token');
      return refuse(socket, 401, 'Unauthorized');
    }
    // Counted from the upgrade until its socket closes, so a burst of requests cannot pass the check together.
    const held = open.get(record.sha256) ?? 0;
    if (held >= MAX_CONNECTIONS_PER_TOKEN || openTotal >= MAX_CONNECTIONS) {
      const perToken = held >= MAX_CONNECTIONS_PER_TOKEN;
      logRefusal(
        address,
        perToken
          ? `${record.name}'s token already has ${plural(held, 'connection')} open (at most ${MAX_CONNECTIONS_PER_TOKEN})`
          : `${plural(openTotal, 'connection')} are open (at most ${MAX_CONNECTIONS})`,
      );
      // Which limit was hit, for the attached app to say what helps: closing its own windows, or nothing it has.
      return refuse(socket, 429, 'Too Many Requests', `${CONNECTION_LIMIT_HEADER}: ${perToken ? 'token' : 'all'}\r\n`);
    }
    admit.get(`${address}|${req.socket.remotePort}`)?.();
    open.set(record.sha256, held + 1);
    openTotal++;
    socket.once('close', () => {
      openTotal--;
      const n = (open.get(record.sha256) ?? 1) - 1;
      if (n > 0) open.set(record.sha256, n);
      else open.delete(record.sha256);
    });
    const tag: Tag = { name: record.name, role: record.role, sha256: record.sha256 };
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A client that reconnects in a loop would write two lines per connection: per token and address, the
      // attaches are said at most once a minute (with how many), and a detach only after an attach that was said.
      const from = req.socket.remoteAddress ?? '?';
      const n = tally(`${record.sha256}|${from}|attached`);
      if (n !== null)
        log(
          n === 1
            ? `${record.name} (${record.role}) attached from ${from}`
            : `${record.name} (${record.role}) attached ${n} times from ${from} since the last line about it`,
        );
      if (n !== null) ws.on('close', () => log(`${record.name} (${record.role}) detached`));
      hub.accept(ws, {
        tag,
        label: `${record.name}, ${record.role}`,
        transport: 'team',
        actor: { name: record.name, role: record.role },
        hello: { type: 'hello', actor: { name: record.name, role: record.role } },
        authorize(channel): AppError | null {
          // A revoked token is refused even in the moment before its socket is closed.
          if (!current(tag)) return { code: 'forbidden_role', message: 'This token was revoked.' };
          if (!isInvokeChannel(channel)) return null; // the dispatcher answers unknown_channel
          const refusal = checkRole(record.role, channel);
          return refusal ? { code: 'forbidden_role', message: renderRoleRefusal(refusal) } : null;
        },
      });
    });
  });

  // The token file is replaced atomically (rename), so the folder is watched, not the file.
  let watcher: FSWatcher | null = null;
  const dir = path.dirname(opts.tokens.file);
  let lastStamp = '';
  const stamp = () => {
    try {
      const s = statSync(opts.tokens.file);
      return `${s.ino}:${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  };
  lastStamp = stamp();
  const check = () => {
    const now = stamp();
    if (now === lastStamp) return;
    lastStamp = now;
    reloadTokens();
  };
  try {
    watcher = watch(dir, () => check());
    watcher.on('error', () => undefined);
  } catch {
    watcher = null; // the folder may not exist yet: the poll covers it
  }
  const poll = setInterval(check, opts.tokenPollMs ?? 2000);
  poll.unref();

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      hub.close();
      clearInterval(poll);
      watcher?.close();
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`${listenHost}:${opts.port ?? 0} is already in use; choose another with --listen HOST:PORT.`)
          : err,
      );
    };
    server.once('error', failed);
    server.listen(opts.port ?? DEFAULT_LISTEN.port, listenHost, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: listenHost,
    port,
    attached: () => hub.tags().map((t) => ({ name: t.name, role: t.role })),
    reloadTokens,
    async close() {
      clearInterval(poll);
      watcher?.close();
      hub.disconnect(() => true, CLOSE_SHUTDOWN, 'the team engine is stopping');
      hub.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
