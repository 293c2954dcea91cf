/**
 * Why a busy instance of ours was lost, from what EC2 said of it: its state reason code when it gives one (a
 * terminated or shutting-down instance keeps it for about an hour), else its state and the market it ran in. A
 * spot instance a user terminated is not an interruption: saying so would blame AWS, and its replacement would be
 * launched on-demand for nothing.
 */
import type { Market } from '../../../shared/domain.js';
import type { InstanceObs } from '../ports.js';

/** EC2's state reason codes this tells apart (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html). */
const SPOT_REASONS = new Set(['Server.SpotInstanceTermination', 'Server.SpotInstanceShutdown']);

export type LostReason =
  /** AWS took the spot capacity back. */
  | { code: 'spot-interrupted' }
  /** Terminated or stopped by someone, through the console or the API (Client.UserInitiatedShutdown). */
  | { code: 'user-ended' }
  /** Shut down from inside (a `shutdown` on the machine: Client.InstanceInitiatedShutdown). */
  | { code: 'self-shutdown' }
  /** Any other reason EC2 gave (an internal error, a volume limit, a scheduled retirement): named as EC2 says it. */
  | { code: 'ec2-reason'; reason: string }
  /** No reason given; stopping or stopped. */
  | { code: 'stopped' }
  /** No reason given and not stopped, or not known to EC2 at all. */
  | { code: 'disappeared' };

/**
 * Pure. `inst` is what EC2 listed or said by id (absent: it does not know it); `market` is the one the engine saw it
 * run in. Without a reason, a spot one that is gone is taken for interrupted, as the likeliest cause.
 */
export function lostReason(
  inst: Pick<InstanceObs, 'state' | 'stateReasonCode' | 'market'> | undefined,
  market: Market | null,
): LostReason {
  const code = inst?.stateReasonCode;
  if (code) {
    if (SPOT_REASONS.has(code)) return { code: 'spot-interrupted' };
    if (code === 'Client.UserInitiatedShutdown') return { code: 'user-ended' };
    if (code === 'Client.InstanceInitiatedShutdown') return { code: 'self-shutdown' };
    return { code: 'ec2-reason', reason: code };
  }
  if ((market ?? inst?.market) === 'spot') return { code: 'spot-interrupted' };
  if (inst?.state === 'stopping' || inst?.state === 'stopped') return { code: 'stopped' };
  return { code: 'disappeared' };
}

/** The reason in words, after "task … returned to '…': ". */
export function lostReasonText(r: LostReason, instanceId: string, state?: string): string {
  switch (r.code) {
    case 'spot-interrupted':
      return 'its spot instance was interrupted';
    case 'user-ended':
      // A stopped one has its own warning (stopped.ts) that names the cause; the code would only repeat it.
      return state === 'stopping' || state === 'stopped'
        ? `its instance ${instanceId} was stopped outside the app`
        : `its instance ${instanceId} was terminated outside the app (EC2: Client.UserInitiatedShutdown)`;
    case 'self-shutdown':
      return `its instance ${instanceId} shut itself down (EC2: Client.InstanceInitiatedShutdown)`;
    case 'ec2-reason':
      return `its instance ${instanceId} ended (EC2: ${r.reason})`;
    case 'stopped':
      return `its instance ${instanceId} was stopped outside the app`;
    case 'disappeared':
      return `its instance ${instanceId} disappeared`;
  }
}
