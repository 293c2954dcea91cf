/**
 * An in-memory `Ec2Api` for controller tests: instances in a map, every call recorded, and failures injected per
 * method. It models what the controllers rely on (tags, states, client tokens, capacity errors), not EC2's wire
 * protocol: integration tests keep using the HTTP emulator (electron/engine/emulators/) through the real provider.
 */
import { Ec2Error, TAG, type Ec2Api, type InstanceObs, type LaunchSpec } from '../../electron/engine/ports.js';

type Method = keyof Ec2Api;

export class FakeEc2 implements Ec2Api {
  readonly instances = new Map<string, InstanceObs>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  /** The launch requests as sent, in order. */
  readonly launches: LaunchSpec[] = [];
  private readonly failures = new Map<Method, Error[]>();
  /** Placements (subnet, zone or 'default') × market that answer InsufficientInstanceCapacity. */
  readonly noCapacity = new Set<string>();
  private seq = 0;

  constructor(private readonly now: () => number = () => 0) {}

  /** The next call(s) of `method` throw these errors, one per call, in order. */
  failNext(method: Method, ...errors: Error[]): this {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
    return this;
  }

  add(inst: InstanceObs): InstanceObs {
    this.instances.set(inst.instanceId, inst);
    return inst;
  }

  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  private enter(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    const queued = this.failures.get(method);
    const err = queued?.shift();
    if (err) throw err;
  }

  async describeInstances(prefix: string): Promise<InstanceObs[]> {
    this.enter('describeInstances', [prefix]);
    return [...this.instances.values()].filter((i) => i.tags[TAG.prefix] === prefix && i.state !== 'terminated');
  }

  async findByClientToken(clientToken: string): Promise<InstanceObs[]> {
    this.enter('findByClientToken', [clientToken]);
    return [...this.instances.values()].filter((i) => i.clientToken === clientToken);
  }

  async runInstance(spec: LaunchSpec): Promise<{ instanceId: string; zone: string | null }> {
    this.enter('runInstance', [spec]);
    const placement = spec.subnetId ?? spec.availabilityZone ?? 'default';
    if (this.noCapacity.has(`${placement}|${spec.market}`))
      throw new Ec2Error(
        'capacity',
        'InsufficientInstanceCapacity',
        `no ${spec.instanceType} capacity in ${placement}`,
      );
    this.launches.push(spec);
    const instanceId = `i-${(0xf000 + this.seq++).toString(16).padStart(8, '0')}`;
    const zone = spec.availabilityZone ?? 'us-east-1a';
    this.add({
      instanceId,
      state: 'pending',
      instanceType: spec.instanceType,
      market: spec.market,
      zone,
      subnetId: spec.subnetId ?? null,
      launchedAt: this.now(),
      tags: { ...spec.tags },
      clientToken: spec.clientToken,
      stateReasonCode: null,
    });
    return { instanceId, zone };
  }

  async terminateInstances(ids: readonly string[]): Promise<void> {
    this.enter('terminateInstances', [[...ids]]);
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i) this.instances.set(id, { ...i, state: 'shutting-down' });
    }
  }

  async createTags(ids: readonly string[], tags: Record<string, string>): Promise<void> {
    this.enter('createTags', [[...ids], { ...tags }]);
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i) this.instances.set(id, { ...i, tags: { ...i.tags, ...tags } });
    }
  }

  async spotPrices(): Promise<Map<string, number>> {
    this.enter('spotPrices', []);
    return new Map();
  }

  /** No console is kept: the controllers never read it. */
  async consoleOutput(instanceId: string): Promise<{ output: string | null; capturedAt: number | null }> {
    this.enter('consoleOutput', [instanceId]);
    return { output: null, capturedAt: null };
  }
}
