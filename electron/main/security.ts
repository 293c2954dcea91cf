/**
 * The Electron security checklist as small exported functions (each unit-tested) plus one installer that wires
 * them: deny every permission, block navigation and redirects off our origin, deny new windows (sending
 * allow-listed https links to the system browser), refuse webview tags, and set the CSP header.
 * `shell.openExternal` is called from this file only, through `createOpenExternal`.
 */
import type { App, HandlerDetails, Session, Shell, WebContents } from 'electron';
import { isAllowedExternalUrl, STATIC_EXTERNAL_HOSTS } from '../engine/service/links.js';

// The allow-list itself is the engine's (the preview applies the same rules); re-exported for main's callers.
export { hostsFromUrls, isAllowedExternalUrl, STATIC_EXTERNAL_HOSTS } from '../engine/service/links.js';

/** Same policy as the meta tag in renderer/index.html, minus the preview's loopback WebSocket. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** `scheme://host[:port]`, for custom schemes too (WHATWG gives them the opaque origin "null"). */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (!u.host) return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export function isSameOrigin(url: string, trustedOrigins: readonly string[]): boolean {
  const o = originOf(url);
  return o !== null && trustedOrigins.includes(o);
}

export type OpenExternal = (url: string) => Promise<boolean>;

/** The one way to open a URL outside the app. */
export function createOpenExternal(
  shell: Pick<Shell, 'openExternal'>,
  allowedHosts: () => readonly string[],
  log?: (message: string) => void,
): OpenExternal {
  return async (url) => {
    if (!isAllowedExternalUrl(url, [...STATIC_EXTERNAL_HOSTS, ...allowedHosts()])) {
      log?.(`refused to open a link outside the allow-list: ${originOf(url) ?? 'invalid URL'}`);
      return false;
    }
    await shell.openExternal(url);
    return true;
  };
}

export function permissionRequestHandler(
  _webContents: unknown,
  _permission: string,
  callback: (granted: boolean) => void,
): void {
  // The app needs no camera, microphone, geolocation, notifications-from-page, …: notifications come from main.
  callback(false);
}

export function permissionCheckHandler(): boolean {
  return false;
}

export interface PreventableEvent {
  preventDefault(): void;
}

/** will-navigate / will-redirect: stay on our origin. */
export function createNavigationGuard(trustedOrigins: () => readonly string[]) {
  return (event: PreventableEvent, url: string): void => {
    if (!isSameOrigin(url, trustedOrigins())) event.preventDefault();
  };
}

/** window.open / target=_blank: never a new Electron window; allow-listed https goes to the browser. */
export function createWindowOpenHandler(openExternal: OpenExternal) {
  return (details: Pick<HandlerDetails, 'url'>): { action: 'deny' } => {
    void openExternal(details.url);
    return { action: 'deny' };
  };
}

export function withCsp(headers: Record<string, string[] | string> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    // Replace any CSP a response brought; ours is the only policy.
    if (k.toLowerCase() === 'content-security-policy') continue;
    out[k] = Array.isArray(v) ? v : [v];
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

export function installSecurity(deps: {
  app: Pick<App, 'on'>;
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>;
  trustedOrigins: () => readonly string[];
  openExternal: OpenExternal;
  /** False only for the Vite dev server, whose hot reload needs inline scripts (its page keeps the meta CSP). */
  cspHeader?: boolean;
}): void {
  deps.session.setPermissionRequestHandler(permissionRequestHandler);
  deps.session.setPermissionCheckHandler(permissionCheckHandler);
  if (deps.cspHeader !== false) {
    deps.session.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: withCsp(details.responseHeaders) });
    });
  }
  const guard = createNavigationGuard(deps.trustedOrigins);
  const openHandler = createWindowOpenHandler(deps.openExternal);
  deps.app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => guard(event, url));
    contents.on('will-redirect', (event, url) => guard(event, url));
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(openHandler);
  });
}
