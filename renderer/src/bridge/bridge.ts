/**
 * Which transport the dashboard talks through: the Electron preload's `window.autoscaler`, or, in a plain
 * browser (`npm run preview:web`), the WebSocket bridge to the preview server. Both implement AutoscalerApi.
 */
import type { AutoscalerApi } from '../../../shared/ipc/contract.js';
import { WS_PATH } from '../../../shared/ipc/ws-protocol.js';
import { createWsBridge, type ConnectionInfo, type WsBridge } from './ws-bridge.js';

declare global {
  interface Window {
    autoscaler?: AutoscalerApi;
  }
}

export interface Bridge {
  api: AutoscalerApi;
  transport: 'electron' | 'websocket' | 'none';
  /** Present for the WebSocket transport only. */
  connection?: Pick<WsBridge, 'connection' | 'onConnection' | 'setVisible'>;
  /** Why there is no transport (`transport: 'none'`), in words a user can act on. */
  problem?: string;
}

/**
 * ws://<same host>/ipc: the preview server traded the token of the first URL for an HttpOnly cookie, which the
 * browser sends with the upgrade; a token still in the URL (an older link) is passed on as well.
 */
export function previewSocketUrl(location: Pick<Location, 'host' | 'search'>): string {
  const token = new URLSearchParams(location.search).get('token');
  return `ws://${location.host}${WS_PATH}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

let cached: Bridge | null = null;

export function getBridge(): Bridge {
  if (cached) return cached;
  if (window.autoscaler) {
    cached = { api: window.autoscaler, transport: 'electron' };
    return cached;
  }
  const url = previewSocketUrl(window.location);
  const ws = createWsBridge(url);
  cached = { api: ws.api, transport: 'websocket', connection: ws };
  return cached;
}

/** An API whose every call answers `not_ready` with `message`, so the UI has one error path. */
export function unavailableApi(message: string): AutoscalerApi {
  const handler: ProxyHandler<object> = {
    get(_target, prop) {
      if (prop === 'onStateChanged' || prop === 'onNavigate') return () => () => undefined;
      return () => Promise.resolve({ ok: false, error: { code: 'not_ready', message } });
    },
  };
  return new Proxy({}, handler) as AutoscalerApi;
}

export type { ConnectionInfo };
