/**
 * Sandboxed preload (bundled to one CommonJS file that requires only `electron`). It forwards and nothing
 * else: one function per contract channel, built from the channel list, none of which takes a channel name;
 * plus the two event subscriptions. Validation happens in main. Imports channel names only (no zod).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNEL_PREFIX, EVENT_CHANNELS, INVOKE_CHANNELS } from '../../shared/ipc/channels.js';
import type { AutoscalerApi, Envelope } from '../../shared/ipc/contract.js';
import { errorText } from '../../shared/error-text.js';

type Listener = (payload: never) => void;

function invoker(channel: string) {
  return async (req: unknown): Promise<Envelope<unknown>> => {
    try {
      return (await ipcRenderer.invoke(channel, req)) as Envelope<unknown>;
    } catch (err) {
      // Only when main has no handler (e.g. still starting): keep the never-throws promise of the API.
      const message = errorText(err);
      return { ok: false, error: { code: 'not_ready', message: `The app is not ready yet (${message}).` } };
    }
  };
}

function subscriber(channel: string) {
  return (listener: Listener): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => (listener as (p: unknown) => void)(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  };
}

export function buildApi(): AutoscalerApi {
  const api: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNELS) api[channel.slice(CHANNEL_PREFIX.length)] = invoker(channel);
  api['onStateChanged'] = subscriber(EVENT_CHANNELS.stateChanged);
  api['onNavigate'] = subscriber(EVENT_CHANNELS.navigate);
  api['onChanged'] = subscriber(EVENT_CHANNELS.changed);
  return api as AutoscalerApi;
}

contextBridge.exposeInMainWorld('autoscaler', buildApi());
