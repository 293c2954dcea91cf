/**
 * The browser preview: serves the built dashboard and carries the IPC contract over one WebSocket, so the real
 * renderer runs in any browser against a real engine (demo or configured). Loopback only; the WebSocket needs
 * the random token from the printed URL and our own Origin (a page on another site cannot drive it), and the Host
 * header must be ours (no DNS rebinding). Snapshots are pushed at most 4 times a second, to visible pages only.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Snapshot } from '../../../shared/domain.js';
import type { EventPayload } from '../../../shared/ipc/contract.js';
import type { Dispatch } from '../../../shared/ipc/dispatch.js';
import { ClientMessageSchema, WS_MAX_PAYLOAD, WS_PATH, type ServerMessage } from '../../../shared/ipc/ws-protocol.js';
import { contentType, resolveStaticPath } from './static-files.js';
import type { ChangeFeed } from '../service/changes.js';
import { createThrottle, realTimers, type ThrottleTimers } from '../push-throttle.js';

export interface SnapshotSource {
  getState(): Snapshot;
  subscribe(listener: (state: Snapshot, previous: Snapshot) => void): () => void;
}

export interface PreviewServerOptions {
  dispatch: Dispatch;
  /** Any store holding a Snapshot: the engine host's, or a test's synthetic one. */
  store: SnapshotSource;
  /** The built renderer (`out/renderer`). */
  staticDir: string;
  host?: '127.0.0.1';
  /** 0 or absent: any free port. */
  port?: number;
  /** Absent: 32 random bytes, hex. */
  token?: string;
  /** Minimum time between two snapshot pushes; 250 ms = at most 4 per second. */
  pushIntervalMs?: number;
  timers?: ThrottleTimers;
  /** Config, credentials and preferences changes, forwarded to every page so it refetches. */
  changes?: ChangeFeed;
  log?: (line: string) => void;
  /** Per socket: calls being answered at once; beyond it the socket is not read until one finishes. */
  maxInFlight?: number;
  /** Per socket: bytes queued for a page that does not read; beyond it the page is disconnected. */
  maxBufferedBytes?: number;
}

export interface PreviewServer {
  /** The page to open, token included. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  /** Ask every connected page to show a view (what a notification click does in Electron). */
  navigate(target: EventPayload<'autoscaler:navigate'>): void;
  clientCount(): number;
  close(): Promise<void>;
}

/**
 * A page that does not read what we send gets no more snapshots until it catches up; once replies it asked for
 * pile up past this, it is disconnected (the bridge reconnects and re-pulls), so memory stays bounded.
 */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const MAX_IN_FLIGHT = 32;

/** The cookie that replaces the token after the first page load (one per port: cookies ignore ports). */
export const tokenCookieName = (port: number) => `cas-preview-${port}`;

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(readonly port: number) {
    super(
      `Port ${port} on 127.0.0.1 is already in use (another preview, or another program). Stop it, or choose ` +
        'another port with --port (--port 0 picks a free one).',
    );
  }
}

export function previewCsp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function sameSecret(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Client {
  id: string;
  socket: WebSocket;
  visible: boolean;
  inFlight: number;
}

export async function startPreviewServer(opts: PreviewServerOptions): Promise<PreviewServer> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('The preview server listens on 127.0.0.1 only.');
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new Error('The preview token must be at least 16 characters.');
  const log = opts.log ?? (() => undefined);
  const staticRoot = path.resolve(opts.staticDir);
  const clients = new Set<Client>();
  const maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT;
  const maxBuffered = opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
  let connectionSeq = 0;
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  function deny(res: ServerResponse, status: number, text: string) {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`${text}\n`);
  }

  const hasCookie = (req: IncomingMessage) => sameSecret(cookieValue(req.headers.cookie, tokenCookieName(port)), token);

  async function serveStatic(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.');
    if (!allowedHosts().has(req.headers.host ?? '')) return deny(res, 421, 'Wrong Host header.');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (!sameSecret(given, token)) return deny(res, 401, 'Wrong token: open the exact URL the preview printed.');
      // The token leaves the address bar and the history: it becomes a cookie scripts cannot read.
      url.searchParams.delete('token');
      res.writeHead(303, {
        Location: `${url.pathname}${url.search}`,
        'Set-Cookie': `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      return res.end();
    }
    if (!hasCookie(req)) {
      return deny(res, 401, 'This page needs the access token: open the exact URL that the preview printed.');
    }
    const file = resolveStaticPath(staticRoot, req.url ?? '/');
    if (!file) return deny(res, 400, 'Bad path.');
    let real: string;
    try {
      real = await realpath(file);
      if (real !== staticRoot && !real.startsWith(staticRoot + path.sep)) return deny(res, 404, 'Not found.');
      if (!(await stat(real)).isFile()) return deny(res, 404, 'Not found.');
    } catch {
      return deny(res, 404, 'Not found.');
    }
    res.writeHead(200, {
      'Content-Type': contentType(real),
      'Content-Security-Policy': previewCsp(port),
      'X-Content-Type-Options': 'nosniff',
      // Defence in depth: no URL of ours is ever sent anywhere as a referrer.
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(real)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  const server = createServer((req, res) => {
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) deny(res, 500, 'Internal error.');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });

  function refuse(socket: Duplex, status: number, text: string) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(socket, 421, 'Misdirected Request');
    if (!allowedOrigins().has(req.headers.origin ?? '')) {
      log(`refused a WebSocket from origin ${JSON.stringify(req.headers.origin ?? null)}`);
      return refuse(socket, 403, 'Forbidden');
    }
    if (!sameSecret(url.searchParams.get('token'), token) && !hasCookie(req)) {
      log('refused a WebSocket with a missing or wrong token');
      return refuse(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  function send(client: Client, msg: ServerMessage | string) {
    if (client.socket.readyState !== client.socket.OPEN) return;
    client.socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** A reply the page asked for; a page that lets them pile up unread is disconnected. */
  function reply(client: Client, msg: ServerMessage) {
    if (client.socket.bufferedAmount > maxBuffered) {
      log(`${client.id}: disconnected: it does not read its replies (${client.socket.bufferedAmount} bytes queued)`);
      client.socket.terminate();
      clients.delete(client);
      return;
    }
    send(client, msg);
  }

  function accept(socket: WebSocket) {
    const client: Client = { id: `ws-${++connectionSeq}`, socket, visible: true, inFlight: 0 };
    clients.add(client);
    socket.on('close', () => clients.delete(client));
    socket.on('error', () => clients.delete(client));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let json: unknown;
      try {
        const text = Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Buffer.from(data).toString('utf8');
        json = JSON.parse(text);
      } catch {
        return log(`${client.id}: ignored a frame that is not JSON`);
      }
      const parsed = ClientMessageSchema.safeParse(json);
      if (!parsed.success) return log(`${client.id}: ignored a malformed message`);
      const msg = parsed.data;
      if (msg.type === 'visibility') {
        client.visible = msg.visible;
        return;
      }
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
      opts
        .dispatch(msg.channel, msg.args, { transport: 'ws', caller: client.id })
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
      // A lagging page gets the then-current snapshot at the next interval.
      if (lagging) push.trigger();
    },
    opts.pushIntervalMs ?? 250,
    opts.timers ?? realTimers,
  );
  const unsubscribe = opts.store.subscribe(() => push.trigger());
  const unwatch =
    opts.changes?.on((topic) => {
      const frame = JSON.stringify({
        type: 'event',
        channel: 'autoscaler:changed',
        payload: { topic },
      } satisfies ServerMessage);
      for (const c of clients) send(c, frame);
    }) ?? (() => undefined);

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      wss.close();
      unsubscribe();
      push.cancel();
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(opts.port ?? 0) : err);
    };
    server.once('error', failed);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    // The first load trades the token for a cookie and redirects to the clean address.
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    navigate(target) {
      const frame = JSON.stringify({
        type: 'event',
        channel: 'autoscaler:navigate',
        payload: target,
      } satisfies ServerMessage);
      for (const c of clients) send(c, frame);
    },
    clientCount: () => clients.size,
    async close() {
      unsubscribe();
      unwatch();
      push.cancel();
      // terminate, not close: a page that never answers the close handshake must not hold up shutdown.
      for (const c of clients) c.socket.terminate();
      clients.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
