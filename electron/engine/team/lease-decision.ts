/**
 * The leader lease, decided (pure). One item per (account, region, workers prefix) in a DynamoDB table says
 * which engine acts; every write is conditional, so two engines can never both believe they wrote it last.
 *
 * A standby takes over a lease it has seen unchanged (same record version) for lease + grace on its own clock: no
 * comparison of two hosts' clocks is needed for that, and the takeover write is conditional on that very version,
 * so a renewal that lands in between wins. A lease whose expiry (the leader's clock) is more than the grace in the
 * past is taken at once (an engine started long after the last leader stopped need not wait). The leader stops
 * acting as soon as its own lease may have run out, measured from when it sent its last successful renewal: it
 * stops a full grace before any standby may start.
 */

/** The lease item, as stored. Times are ms epoch on the writer's clock. */
export interface LeaseItem {
  holderId: string;
  /** For display only. */
  holderHost: string;
  acquiredAt: number;
  expiresAt: number;
  /** Record version: a new random value on every write. */
  rvn: string;
}

/** What a write requires of the item it replaces. */
export type WriteCondition =
  { kind: 'absent' } | { kind: 'held-by'; holderId: string } | { kind: 'version'; rvn: string };

/** What this engine remembers between ticks. */
export interface LeaseMemory {
  /** Our lease: when we sent the last write that succeeded, and since when we lead. */
  held: { sentAt: number; acquiredAt: number } | null;
  /** Another engine's item as last read: its version and when (our clock) we first saw that version. */
  seen: { rvn: string; since: number } | null;
}

export type LeaseStepReason =
  | { code: 'renew' }
  | { code: 'absent' }
  | { code: 'mine-after-restart' }
  | { code: 'unchanged'; forMs: number }
  | { code: 'expired'; agoMs: number }
  | { code: 'held'; holderId: string; takeoverInMs: number };

export type LeaseStep =
  | { kind: 'write'; condition: WriteCondition; acquiredAt: number; reason: LeaseStepReason }
  | { kind: 'wait'; reason: Extract<LeaseStepReason, { code: 'held' }> };

export interface LeaseTiming {
  leaseMs: number;
  graceMs: number;
}

/**
 * What to do this tick. `item` is the lease as read this tick (null: no item); when we hold the lease the caller
 * may skip the read (`item` undefined) and renew directly.
 */
export function nextLeaseStep(input: {
  now: number;
  me: string;
  item: LeaseItem | null | undefined;
  memory: LeaseMemory;
  timing: LeaseTiming;
}): { step: LeaseStep; seen: LeaseMemory['seen'] } {
  const { now, me, item, memory, timing } = input;
  if (item === undefined) {
    if (!memory.held) throw new Error('nextLeaseStep: the lease must be read when this engine does not hold it');
    return {
      step: {
        kind: 'write',
        condition: { kind: 'held-by', holderId: me },
        acquiredAt: memory.held.acquiredAt,
        reason: { code: 'renew' },
      },
      seen: null,
    };
  }
  if (item === null)
    return {
      step: { kind: 'write', condition: { kind: 'absent' }, acquiredAt: now, reason: { code: 'absent' } },
      seen: null,
    };
  if (item.holderId === me) {
    return {
      step: {
        kind: 'write',
        condition: { kind: 'held-by', holderId: me },
        acquiredAt: memory.held?.acquiredAt ?? item.acquiredAt,
        reason: memory.held ? { code: 'renew' } : { code: 'mine-after-restart' },
      },
      seen: null,
    };
  }
  const seen = memory.seen && memory.seen.rvn === item.rvn ? memory.seen : { rvn: item.rvn, since: now };
  const takeoverAfter = timing.leaseMs + timing.graceMs;
  const unchangedFor = now - seen.since;
  const expiredAgo = now - item.expiresAt;
  const takeover = (reason: LeaseStepReason): { step: LeaseStep; seen: LeaseMemory['seen'] } => ({
    step: { kind: 'write', condition: { kind: 'version', rvn: item.rvn }, acquiredAt: now, reason },
    seen,
  });
  if (unchangedFor >= takeoverAfter) return takeover({ code: 'unchanged', forMs: unchangedFor });
  if (expiredAgo > timing.graceMs) return takeover({ code: 'expired', agoMs: expiredAgo });
  return {
    step: {
      kind: 'wait',
      reason: {
        code: 'held',
        holderId: item.holderId,
        takeoverInMs: Math.max(0, Math.min(takeoverAfter - unchangedFor, item.expiresAt + timing.graceMs - now)),
      },
    },
    seen,
  };
}

/**
 * Whether an engine may act on its lease at `now`: only while the lease it last wrote certainly still holds. A
 * leader whose renewals fail (throttled, network) stops acting when its lease may have run out.
 */
export function leaseValid(held: LeaseMemory['held'], now: number, leaseMs: number): boolean {
  return held !== null && now < held.sentAt + leaseMs;
}

/** Why a leader does not send a launch now (structured; events.ts words it). */
export interface LaunchMarginHold {
  code: 'lease-margin';
  /** When a standby may take over at the earliest (our clock): our last renewal + lease + grace. */
  takeoverAt: number;
  /** The longest the launch call may take. */
  callMs: number;
}

/**
 * Whether a launch call started at `now`, which EC2's client aborts after `callMs`, is surely over before any
 * standby may take the lease over (lease + grace after our last successful renewal): null when it is, else why not.
 * Checked before each batch of launches, since the act phase (terminations, earlier launches) may run long after
 * the lease was checked. Without the lease (`held` null) nothing is sent either.
 */
export function launchMargin(
  held: LeaseMemory['held'],
  now: number,
  timing: LeaseTiming,
  callMs: number,
): LaunchMarginHold | null {
  const takeoverAt = held ? held.sentAt + timing.leaseMs + timing.graceMs : now;
  return held && now + callMs < takeoverAt ? null : { code: 'lease-margin', takeoverAt, callMs };
}
