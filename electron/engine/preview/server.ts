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
import { WebSocketServer } from 'ws';
import type { EventPayload } from '../../../shared/ipc/contract.js';
import type { Dispatch } from '../../../shared/ipc/dispatch.js';
import { WS_MAX_PAYLOAD, WS_PATH } from '../../../shared/ipc/ws-protocol.js';
import { contentType, resolveStaticPath } from './static-files.js';
import type { ChangeFeed } from '../service/changes.js';
import { createIpcHub, type SnapshotSource } from '../ipc-ws/hub.js';
import type { ThrottleTimers } from '../push-throttle.js';

export type { SnapshotSource };

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

export async function startPreviewServer(opts: PreviewServerOptions): Promise<PreviewServer> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('The preview server listens on 127.0.0.1 only.');
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new Error('The preview token must be at least 16 characters.');
  const log = opts.log ?? (() => undefined);
  const staticRoot = path.resolve(opts.staticDir);
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
    wss.handleUpgrade(req, socket, head, (ws) => hub.accept(ws, { tag: null }));
  });

  const hub = createIpcHub<null>({
    dispatch: opts.dispatch,
    store: opts.store,
    ...(opts.changes ? { changes: opts.changes } : {}),
    ...(opts.pushIntervalMs !== undefined ? { pushIntervalMs: opts.pushIntervalMs } : {}),
    ...(opts.timers ? { timers: opts.timers } : {}),
    ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}),
    ...(opts.maxBufferedBytes !== undefined ? { maxBufferedBytes: opts.maxBufferedBytes } : {}),
    log,
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      wss.close();
      hub.close();
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
    navigate: (target) => hub.navigate(target),
    clientCount: () => hub.size(),
    async close() {
      hub.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
