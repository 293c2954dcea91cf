/** Shared test fixtures for the service and main-process suites: a fake EngineController and snapshot builders. */
import { ConfigSchema, type Config } from '../../shared/config.js';
import type { InstanceDetail } from '../../shared/instance-detail.js';
import { emptySnapshot, type EngineEvent, type Snapshot } from '../../shared/domain.js';
import type { EngineController, ResolvedCredentials } from '../../electron/engine/controller.js';
import { createMainStore, publish, type MainStore } from '../../electron/engine/store.js';

export function validConfigInput(): Record<string, unknown> {
  return {
    clearml: { apiHost: 'https://api.clear.ml', webHost: 'https://app.clear.ml' },
    aws: { region: 'us-east-1' },
    resources: {
      gpu_t4: { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
    },
    queues: { gpu: [{ resource: 'gpu_t4', maxInstances: 3 }] },
  };
}

export function validConfig(): Config {
  return ConfigSchema.parse(validConfigInput());
}

export { instanceView as instance, queueView as queue } from '../fixtures/views.js';

export function snapshot(p: Partial<Snapshot> = {}): Snapshot {
  return { ...emptySnapshot(), ...p };
}

let eventId = 0;
export function event(p: Partial<EngineEvent> & Pick<EngineEvent, 'kind' | 'message'>): EngineEvent {
  return { id: ++eventId, at: 0, level: 'info', ...p };
}

export interface FakeCall {
  method: string;
  args: unknown[];
}

/** Records every call; state changes go through the real main store so subscribers see them. */
export class FakeController implements EngineController {
  readonly store: MainStore;
  readonly calls: FakeCall[] = [];
  configured: { config: Config; credentials: ResolvedCredentials } | null = null;
  stopImpl: () => Promise<void> = async () => undefined;
  terminateImpl: (ids: readonly string[]) => Promise<string[]> = async (ids) => [...ids];

  constructor(initial: Partial<Snapshot> = {}) {
    this.store = createMainStore(initial);
  }
  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
  }
  callsTo(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }
  async setEnabled(enabled: boolean): Promise<void> {
    this.record('setEnabled', enabled);
    publish(this.store, { enabled, status: enabled ? 'watching' : 'off' });
  }
  setLaunchesPaused(paused: boolean): void {
    this.record('setLaunchesPaused', paused);
    publish(this.store, { launchesPaused: paused });
  }
  setQueuePaused(queue: string, paused: boolean): void {
    this.record('setQueuePaused', queue, paused);
  }
  async terminate(instanceIds: readonly string[], reason: string): Promise<string[]> {
    this.record('terminate', [...instanceIds], reason);
    return this.terminateImpl(instanceIds);
  }
  async adopt(ids: readonly string[] | 'all'): Promise<{ adopted: string[]; refused: [] }> {
    this.record('adopt', ids);
    return { adopted: ids === 'all' ? [] : [...ids], refused: [] };
  }
  async createLeaseTable(): Promise<{ table: string; region: string; created: boolean }> {
    this.record('createLeaseTable');
    return Promise.resolve({ table: 'leases', region: 'us-east-1', created: true });
  }
  async teamDecide(decision: 'act' | 'standby' | null): Promise<void> {
    this.record('teamDecide', decision);
    return Promise.resolve();
  }
  async scaleToZero(): Promise<number> {
    this.record('scaleToZero');
    return this.store.getState().instances.length;
  }
  reconcileNow(reason: string): void {
    this.record('reconcileNow', reason);
  }
  credentialsTested(kind: 'aws' | 'clearml'): void {
    this.record('credentialsTested', kind);
  }
  configure(config: Config, credentials: ResolvedCredentials): void {
    this.record('configure', config, credentials);
    this.configured = { config, credentials };
  }
  async stop(): Promise<void> {
    this.record('stop');
    await this.stopImpl();
  }
  async instanceDetail(instanceId: string): Promise<InstanceDetail> {
    this.record('instanceDetail', instanceId);
    return {
      instanceId,
      known: false,
      queue: null,
      resource: null,
      instanceType: null,
      market: null,
      zone: null,
      phase: null,
      launchedAt: null,
      adoptedAt: null,
      registeredAt: null,
      endedAt: null,
      endReason: null,
      tasks: [],
      idleSince: null,
      leaseUntil: null,
      hourlyPrice: null,
      priceSource: null,
      spend: null,
      events: [],
      console: { state: 'not-needed' },
    };
  }
}
