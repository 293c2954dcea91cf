/**
 * `AutoscalerApi` over the preview server's WebSocket: the same functions and envelopes the Electron preload
 * exposes, so the dashboard cannot tell the two apart. Reconnects by itself; a call made while the socket is
 * down resolves to a `not_ready` envelope that says what to do instead of hanging.
 */
import {
  eventContract,
  invokeChannels,
  invokeContract,
  methodName,
  type AppError,
  type AutoscalerApi,
  type Envelope,
  type EventChannel,
  type InvokeChannel,
} from '../../../shared/ipc/contract.js';
import { ServerMessageSchema, type ClientMessage } from '../../../shared/ipc/ws-protocol.js';

/** The subset of the DOM WebSocket we use; the `ws` package's client satisfies it too (tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

export interface ConnectionInfo {
  status: ConnectionStatus;
  /** Increments on every successful (re)connect: a new server may have restarted its revision counter. */
  generation: number;
}

export interface WsBridgeOptions {
  createSocket?: (url: string) => WebSocketLike;
  /** Delay before reconnect attempt n (1-based). */
  reconnectDelayMs?: (attempt: number) => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface WsBridge {
  readonly api: AutoscalerApi;
  connection(): ConnectionInfo;
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  /** Tell the server whether the page is visible (hidden pages get no pushes). */
  setVisible(visible: boolean): void;
  close(): void;
}

const OPEN = 1;

export const DISCONNECTED_MESSAGE =
  'Not connected to the preview server. It reconnects by itself; if this persists, check that `npm run preview:web` is still running and reload the page with the URL it printed.';

function notReady(message = DISCONNECTED_MESSAGE): Envelope<never> {
  return { ok: false, error: { code: 'not_ready', message } };
}

function failed(message: string): Envelope<never> {
  return { ok: false, error: { code: 'failed', message } satisfies AppError };
}

export function createWsBridge(url: string, options: WsBridgeOptions = {}): WsBridge {
  const createSocket = options.createSocket ?? ((u: string) => new WebSocket(u));
  const delay = options.reconnectDelayMs ?? ((n: number) => Math.min(5000, 250 * 2 ** Math.min(n, 5)));
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));

  let socket: WebSocketLike | null = null;
  let info: ConnectionInfo = { status: 'connecting', generation: 0 };
  let attempts = 0;
  let reconnectTimer: unknown = null;
  let closedByUs = false;
  let visible = true;
  let nextId = 1;
  const inflight = new Map<number, { channel: InvokeChannel; resolve: (e: Envelope<unknown>) => void }>();
  /** Calls made while connecting; sent on open. */
  const queued: ClientMessage[] = [];
  const connectionListeners = new Set<(info: ConnectionInfo) => void>();
  const eventListeners = new Map<EventChannel, Set<(payload: never) => void>>();

  function setInfo(next: ConnectionInfo) {
    info = next;
    for (const l of connectionListeners) l(info);
  }

  function sendRaw(msg: ClientMessage) {
    if (socket && socket.readyState === OPEN) socket.send(JSON.stringify(msg));
    else queued.push(msg);
  }

  function failInflight() {
    for (const [id, call] of inflight) {
      inflight.delete(id);
      call.resolve(notReady());
    }
    queued.length = 0;
  }

  function onMessage(data: unknown) {
    if (typeof data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const msg = parsed.data;
    if (msg.type === 'result') {
      const call = inflight.get(msg.id);
      if (!call) return;
      inflight.delete(msg.id);
      if (!msg.envelope.ok) return call.resolve(msg.envelope);
      const value = invokeContract[call.channel].res.safeParse(msg.envelope.value);
      call.resolve(
        value.success
          ? { ok: true, value: value.data }
          : failed(`The preview server sent a malformed reply to ${methodName(call.channel)}; reload the page.`),
      );
      return;
    }
    if (msg.type !== 'event' || !(msg.channel in eventContract)) return;
    const channel = msg.channel as EventChannel;
    const payload = eventContract[channel].safeParse(msg.payload);
    if (!payload.success) return;
    for (const l of eventListeners.get(channel) ?? []) l(payload.data as never);
  }

  function connect() {
    reconnectTimer = null;
    setInfo({ ...info, status: 'connecting' });
    let ws: WebSocketLike;
    try {
      ws = createSocket(url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener('open', () => {
      if (socket !== ws) return;
      attempts = 0;
      setInfo({ status: 'open', generation: info.generation + 1 });
      if (!visible) ws.send(JSON.stringify({ type: 'visibility', visible } satisfies ClientMessage));
      for (const msg of queued.splice(0)) ws.send(JSON.stringify(msg));
    });
    ws.addEventListener('message', (e) => {
      if (socket === ws) onMessage(e.data);
    });
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      failInflight();
      if (closedByUs) return setInfo({ ...info, status: 'closed' });
      scheduleReconnect();
    });
    // 'error' is always followed by 'close'; nothing to do here.
    ws.addEventListener('error', () => undefined);
  }

  function scheduleReconnect() {
    setInfo({ ...info, status: 'closed' });
    attempts += 1;
    reconnectTimer = setTimer(connect, delay(attempts));
  }

  function invoke(channel: InvokeChannel, args: unknown): Promise<Envelope<unknown>> {
    if (closedByUs || info.status === 'closed') return Promise.resolve(notReady());
    return new Promise((resolve) => {
      const id = nextId++;
      inflight.set(id, { channel, resolve });
      sendRaw({ type: 'invoke', id, channel, args });
    });
  }

  function subscribe(channel: EventChannel, listener: (payload: never) => void): () => void {
    let set = eventListeners.get(channel);
    if (!set) eventListeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  const methods: Record<string, unknown> = {};
  for (const channel of invokeChannels) methods[methodName(channel)] = (req: unknown) => invoke(channel, req ?? {});
  methods['onStateChanged'] = (l: (p: never) => void) => subscribe('autoscaler:state.changed', l);
  methods['onNavigate'] = (l: (p: never) => void) => subscribe('autoscaler:navigate', l);
  methods['onChanged'] = (l: (p: never) => void) => subscribe('autoscaler:changed', l);

  connect();

  return {
    api: methods as unknown as AutoscalerApi,
    connection: () => info,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    setVisible(v) {
      visible = v;
      if (socket && socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'visibility', visible: v }));
    },
    close() {
      closedByUs = true;
      if (reconnectTimer !== null) clearTimer(reconnectTimer);
      const ws = socket;
      socket = null;
      failInflight();
      setInfo({ ...info, status: 'closed' });
      ws?.close();
    },
  };
}
