/**
 * The renderer is served from `app://autoscaler/…` (a privileged standard scheme) instead of `file://`, so it has
 * a real origin for CSP and the IPC sender check, and it cannot read arbitrary files. `resolveAppPath` is the
 * pure part: it maps a request URL to a file strictly inside the renderer folder, or refuses.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Protocol } from 'electron';
import { CONTENT_SECURITY_POLICY } from './security.js';
import { contentType } from '../engine/preview/static-files.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'autoscaler';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Must run before `app.whenReady()`. */
export const PRIVILEGED_SCHEMES = [
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
  },
];

/** Returns the absolute file for `url`, or null when the URL is not ours or tries to leave `root`. */
export function resolveAppPath(root: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  // Inspect the raw path too: WHATWG URL parsing already folds `..`, but refusing outright is clearer.
  const rawSegments = u.pathname.split('/').filter((s) => s.length > 0);
  const segments: string[] = [];
  for (const raw of rawSegments) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    // Encoded separators, dot segments, NUL, drive letters and leftover escapes (double encoding) are refused.
    if (seg === '.' || seg === '..' || /[\\/\0%:]/.test(seg)) return null;
    segments.push(seg);
  }
  if (segments.length === 0) segments.push('index.html');
  const base = path.resolve(root);
  const full = path.resolve(base, ...segments);
  if (full !== base && !full.startsWith(base + path.sep)) return null;
  return full;
}

/** The protocol handler proper, separated from registration so it can be called directly in tests. */
export function createAppRequestHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = resolveAppPath(root, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': contentType(file),
          // Custom-protocol responses may not pass through webRequest hooks: set the CSP here as well.
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  };
}

export function registerAppProtocol(protocol: Pick<Protocol, 'handle'>, root: string): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(root));
}
