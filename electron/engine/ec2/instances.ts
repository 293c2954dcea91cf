/**
 * DescribeInstances output → `InstanceObs`, pure. EC2 groups instances by reservation; the engine does not care.
 * The SDK has already parsed the XML into typed objects; the state is validated against our enum because an
 * instance in a state we do not model must not be silently counted as ours-and-running.
 */
import type { Instance, Reservation } from '@aws-sdk/client-ec2';
import { Ec2StateSchema } from '../../../shared/domain.js';
import type { InstanceObs } from '../ports.js';

export function toInstanceObs(i: Instance): InstanceObs | null {
  const state = Ec2StateSchema.safeParse(i.State?.Name);
  if (!i.InstanceId || !state.success) return null;
  const tags: Record<string, string> = {};
  for (const t of i.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return {
    instanceId: i.InstanceId,
    state: state.data,
    instanceType: i.InstanceType ?? '',
    // `InstanceLifecycle` is absent for on-demand; `capacity-block` and `scheduled` bill like on-demand.
    market: i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    zone: i.Placement?.AvailabilityZone ?? '',
    subnetId: i.SubnetId || null,
    launchedAt: i.LaunchTime instanceof Date ? i.LaunchTime.getTime() : 0,
    tags,
    clientToken: i.ClientToken || null,
    stateReasonCode: i.StateReason?.Code || null,
  };
}

export function flattenReservations(reservations: readonly Reservation[] | undefined): InstanceObs[] {
  const out: InstanceObs[] = [];
  for (const r of reservations ?? []) {
    for (const i of r.Instances ?? []) {
      const obs = toInstanceObs(i);
      if (obs) out.push(obs);
    }
  }
  return out;
}
