/**
 * DescribeInstances output → `InstanceObs`, pure. EC2 groups instances by reservation; the engine does not care.
 * The SDK has already parsed the XML into typed objects; the state is validated against our enum because an
 * instance in a state we do not model must not be silently counted as ours-and-running.
 */
import type { Instance, Reservation } from '@aws-sdk/client-ec2';
import { Ec2StateSchema } from '../../../shared/domain.js';
import type { InstanceObs } from '../ports.js';
import { dataRecordOf } from '../../../shared/data-record.js';

/**
 * `firstSeen` answers for an instance listed without a usable launch time (an EC2-compatible endpoint or a proxy
 * may leave it out): read as 0, every such instance would look decades old, "never registered" at once, and be
 * replaced on every tick. The time it was first listed is the next best thing.
 */
export function toInstanceObs(i: Instance, firstSeen: (instanceId: string) => number): InstanceObs | null {
  const state = Ec2StateSchema.safeParse(i.State?.Name);
  if (!i.InstanceId || !state.success) return null;
  // Tag keys are anyone's who can tag the instance.
  const tags = dataRecordOf<string>([]);
  for (const t of i.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return {
    instanceId: i.InstanceId,
    state: state.data,
    instanceType: i.InstanceType ?? '',
    // `InstanceLifecycle` is absent for on-demand; `capacity-block` and `scheduled` bill like on-demand.
    market: i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    zone: i.Placement?.AvailabilityZone ?? '',
    subnetId: i.SubnetId || null,
    launchedAt: launchTimeOf(i) ?? firstSeen(i.InstanceId),
    tags,
    clientToken: i.ClientToken || null,
    stateReasonCode: i.StateReason?.Code || null,
    ...withChangedAt(i.StateTransitionReason),
  };
}

/**
 * EC2's StateTransitionReason ends its stops and terminations with when they happened, in UTC: "User initiated
 * (2026-12-07 12:00:00 GMT)". moto (5.2.5) writes the zone as "UTC", as AWS's own boto3 examples show it; both
 * are read, or a stop seen there would be timed from the first tick that saw it (test/conformance/moto-provider).
 */
export function stateChangedAt(reason: string | undefined): number | null {
  const m = /\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)/.exec(reason ?? '');
  const at = m ? Date.parse(`${m[1]}T${m[2]}Z`) : NaN;
  return Number.isFinite(at) ? at : null;
}

function withChangedAt(reason: string | undefined): { stateChangedAt?: number } {
  const at = stateChangedAt(reason);
  return at === null ? {} : { stateChangedAt: at };
}

function launchTimeOf(i: Instance): number | null {
  const t = i.LaunchTime instanceof Date ? i.LaunchTime.getTime() : NaN;
  return Number.isFinite(t) && t > 0 ? t : null;
}

export function flattenReservations(
  reservations: readonly Reservation[] | undefined,
  firstSeen: (instanceId: string) => number,
): InstanceObs[] {
  const out: InstanceObs[] = [];
  for (const r of reservations ?? []) {
    for (const i of r.Instances ?? []) {
      const obs = toInstanceObs(i, firstSeen);
      if (obs) out.push(obs);
    }
  }
  return out;
}
