import { beforeAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { contextBridge, ipcRenderer } from '../mocks/electron.js';
import { eventChannels, invokeChannels, methodName, type AutoscalerApi } from '../../shared/ipc/contract.js';
import { CHANNEL_PREFIX, EVENT_CHANNELS, INVOKE_CHANNELS } from '../../shared/ipc/channels.js';

let api: Record<string, unknown>;
beforeAll(async () => {
  await import('../../electron/preload/index.js');
  api = contextBridge.exposed['autoscaler'] as Record<string, unknown>;
});

describe('channel list (what the preload imports instead of the zod contract)', () => {
  it('equals the contract, in both directions', () => {
    expect([...INVOKE_CHANNELS].sort()).toEqual([...invokeChannels].sort());
    expect(Object.values(EVENT_CHANNELS).sort()).toEqual([...eventChannels].sort());
    expect(CHANNEL_PREFIX).toBe('autoscaler:');
  });
});

describe('preload', () => {
  it('exposes exactly one method per contract channel plus one subscription per event', () => {
    expect(Object.keys(contextBridge.exposed)).toEqual(['autoscaler']);
    const expected = [...invokeChannels.map(methodName), 'onStateChanged', 'onNavigate', 'onChanged'].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
  });

  it('exposes no raw ipcRenderer and no function that takes a channel name', () => {
    for (const banned of ['invoke', 'send', 'on', 'ipcRenderer', 'sendSync', 'postMessage'])
      expect(api).not.toHaveProperty(banned);
    for (const [name, fn] of Object.entries(api)) {
      // Each method takes one argument (the request, or the listener); none is a generic (channel, …) call.
      expect(`${name}:${(fn as (...a: unknown[]) => unknown).length}`).toBe(`${name}:1`);
    }
  });

  it("each method invokes its own channel with the request, and returns main's envelope", async () => {
    ipcRenderer.invokeImpl = async (channel, req) => ({ ok: true, value: { channel, req } });
    for (const channel of invokeChannels) {
      const fn = api[methodName(channel)] as (req: unknown) => Promise<unknown>;
      expect(await fn({ probe: channel })).toEqual({ ok: true, value: { channel, req: { probe: channel } } });
    }
    expect(ipcRenderer.invoke).toHaveBeenCalledTimes(invokeChannels.length);
  });

  it('a rejected invoke (main not ready) becomes an envelope, never a throw', async () => {
    ipcRenderer.invokeImpl = async () => {
      throw new Error("No handler registered for 'autoscaler:config.get'");
    };
    const typed = api as unknown as AutoscalerApi;
    const r = await typed['config.get']({});
    expect(r).toMatchObject({ ok: false, error: { code: 'not_ready' } });
  });

  it('forwards state and navigate events, and unsubscribes', () => {
    const typed = api as unknown as AutoscalerApi;
    const states: unknown[] = [];
    const navs: unknown[] = [];
    const offState = typed.onStateChanged((s) => states.push(s.rev));
    const offNav = typed.onNavigate((t) => navs.push(t.view));
    ipcRenderer.deliver('autoscaler:state.changed', { rev: 7 });
    ipcRenderer.deliver('autoscaler:navigate', { view: 'costs' });
    offState();
    offNav();
    ipcRenderer.deliver('autoscaler:state.changed', { rev: 8 });
    ipcRenderer.deliver('autoscaler:navigate', { view: 'queues' });
    expect(states).toEqual([7]);
    expect(navs).toEqual(['costs']);
    expect(ipcRenderer.listenerCount('autoscaler:state.changed')).toBe(0);
  });

  it('refuses a non-function listener', () => {
    const typed = api as unknown as { onStateChanged(l: unknown): unknown };
    expect(() => typed.onStateChanged('autoscaler:state.changed')).toThrow(TypeError);
  });
});
