/**
 * A scripted AutoscalerApi for store tests: every call is recorded and answered by a handler the test sets
 * (default: a plausible success), and the test pushes state.changed / navigate events by hand.
 */
import { emptySnapshot, type InstanceView, type Snapshot } from '../../shared/domain.js';
import { instanceView } from '../fixtures/views.js';
import { defaultSettings, publicSettings, type PublicSettings } from '../../shared/settings.js';
import {
  invokeChannels,
  methodName,
  type AutoscalerApi,
  type Envelope,
  type EventPayload,
} from '../../shared/ipc/contract.js';

type Handler = (req: unknown) => Promise<Envelope<unknown>> | Envelope<unknown>;

export interface FakeApi {
  api: AutoscalerApi;
  calls: { method: string; req: unknown }[];
  /** Answer `method` with this handler from now on. */
  on(method: string, handler: Handler): void;
  pushState(s: Snapshot): void;
  navigate(t: EventPayload<'autoscaler:navigate'>): void;
  /** Main's "this changed, refetch it" event. */
  changed(c: EventPayload<'autoscaler:changed'>): void;
  /** Current snapshot the default getSnapshot answers with. */
  snapshot: Snapshot;
  appSettings: PublicSettings;
  listenerCount(): number;
}

export function snapshot(patch: Partial<Snapshot> = {}): Snapshot {
  return { ...emptySnapshot(), ...patch };
}

/** The one instance most store tests need: idle, with a worker. */
export function instance(patch: Partial<InstanceView> = {}): InstanceView {
  return instanceView({
    instanceId: 'i-0123456789abcdef0',
    phase: 'idle',
    idleSec: 60,
    workerId: 'demo:gpu_t4:g4dn.xlarge:i-0123456789abcdef0',
    hourlyPrice: 0.526,
    costSoFar: 0.09,
    ...patch,
  });
}

export const ok = <T>(value: T): Envelope<T> => ({ ok: true, value });
export const fail = (message: string, code: 'failed' | 'not_ready' | 'invalid_args' = 'failed'): Envelope<never> => ({
  ok: false,
  error: { code, message },
});

export function createFakeApi(initial: Snapshot = snapshot({ rev: 1 })): FakeApi {
  const handlers = new Map<string, Handler>();
  const stateListeners = new Set<(s: Snapshot) => void>();
  const navListeners = new Set<(t: EventPayload<'autoscaler:navigate'>) => void>();
  const changeListeners = new Set<(c: EventPayload<'autoscaler:changed'>) => void>();
  const fake: FakeApi = {
    api: {} as AutoscalerApi,
    calls: [],
    snapshot: initial,
    appSettings: publicSettings(defaultSettings()),
    on: (m, h) => void handlers.set(m, h),
    pushState: (s) => {
      for (const l of stateListeners) l(s);
    },
    navigate: (t) => {
      for (const l of navListeners) l(t);
    },
    changed: (c) => {
      for (const l of changeListeners) l(c);
    },
    listenerCount: () => stateListeners.size + navListeners.size + changeListeners.size,
  };
  const defaults: Record<string, Handler> = {
    'state.getSnapshot': () => ok(fake.snapshot),
    'config.get': () => ok({ config: null, demo: false }),
    'credentials.status': () =>
      ok({
        backend: 'memory',
        warning: null,
        clearml: { set: false, setAt: null, fallback: null },
        aws: { set: false, setAt: null, fallback: 'AWS SDK chain' },
        git: { set: false, setAt: null, fallback: null },
      }),
    'settings.get': () => ok({ settings: fake.appSettings, notice: null }),
    'settings.patch': (r) => {
      const patch = r as Partial<FakeApi['appSettings']>;
      fake.appSettings = {
        ...fake.appSettings,
        ...patch,
        notificationMutes: { ...fake.appSettings.notificationMutes, ...patch.notificationMutes },
      };
      return ok({ settings: fake.appSettings, notice: null });
    },
    'engine.setEnabled': (r) => ok(r),
    'engine.setLaunchesPaused': (r) => ok(r),
    'queue.setPaused': (r) => ok(r),
    'instances.terminate': (r) => ok({ terminating: (r as { instanceIds: string[] }).instanceIds }),
    'demo.start': () => ok({ demo: true }),
  };
  const methods: Record<string, unknown> = {};
  for (const channel of invokeChannels) {
    const m = methodName(channel);
    methods[m] = async (req: unknown) => {
      fake.calls.push({ method: m, req });
      const h = handlers.get(m) ?? defaults[m];
      if (!h) return fail(`fake: no handler for ${m}`);
      return h(req);
    };
  }
  methods['onStateChanged'] = (l: (s: Snapshot) => void) => {
    stateListeners.add(l);
    return () => stateListeners.delete(l);
  };
  methods['onNavigate'] = (l: (t: EventPayload<'autoscaler:navigate'>) => void) => {
    navListeners.add(l);
    return () => navListeners.delete(l);
  };
  methods['onChanged'] = (l: (c: EventPayload<'autoscaler:changed'>) => void) => {
    changeListeners.add(l);
    return () => changeListeners.delete(l);
  };
  fake.api = methods as unknown as AutoscalerApi;
  return fake;
}

/** Lets queued promise continuations run (the store's calls are async). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Manual timers for pending-flag timeouts. */
export function manualTimers() {
  let seq = 0;
  const pending = new Map<number, { fn: () => void; ms: number }>();
  return {
    setTimer: (fn: () => void, ms: number) => {
      pending.set(++seq, { fn, ms });
      return seq;
    },
    clearTimer: (h: unknown) => void pending.delete(h as number),
    /** Runs every timer due within `ms` of registration. */
    fireAll(): number {
      const due = [...pending.entries()];
      pending.clear();
      for (const [, t] of due) t.fn();
      return due.length;
    },
    count: () => pending.size,
  };
}
