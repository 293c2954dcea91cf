/**
 * Team mode's shared shapes: the `team` config section (the leader lease table) and the leadership view the
 * snapshot carries, so every UI says which engine acts for this (account, region, workers prefix) and why.
 */
import { z } from 'zod';
import { REGION_PATTERN } from './aws-region.js';

/** DynamoDB's rule for table names. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/**
 * One engine acts per (account, region, workers prefix). With `leaseTable`, engines hold a leader lease there (a
 * DynamoDB conditional write); without it, they only detect each other through the engine id stamped on instance
 * lease renewals, and a second engine holds until the user decides.
 */
export const TeamSchema = z
  .object({
    /** The DynamoDB table of leader leases; absent: no lease (detection only). */
    leaseTable: z.string().regex(TABLE_NAME, 'a DynamoDB table name is 3-255 letters, digits, _ . or -').optional(),
    /** Where the table lives; absent: the config's AWS region. */
    leaseRegion: z.string().regex(REGION_PATTERN, 'region must look like us-east-1').optional(),
    /** How long a renewal holds the lease; the leader renews every tick. */
    leaseSec: z.number().min(10, 'the leader lease must be at least 10 s').max(3600).default(60),
    /**
     * Added to the lease before a standby takes over (clock drift, a slow last tick); the leader stops acting when
     * its lease runs out, a grace before anyone else may start.
     */
    graceSec: z.number().min(5, 'the grace must be at least 5 s').max(3600).default(30),
  })
  .strict();
export type Team = z.infer<typeof TeamSchema>;

/**
 * The longest one EC2 call may take (the engine's EC2 client aborts it then, SDK retries included). A leader sends
 * a launch only while the call would be over before a standby may take over (lease + grace after its renewal).
 */
export const EC2_CALL_TIMEOUT_SEC = 20;

/**
 * A lease only works when the leader renews it several times before it runs out: the polling interval must fit
 * at least twice into the lease. Returned as a message for the config's own validation.
 */
export function teamIssue(team: Team, pollingIntervalSec: number): string | null {
  if (!team.leaseTable) return null;
  if (team.leaseSec >= 2 * pollingIntervalSec) return null;
  return `the leader lease (${team.leaseSec} s) must be at least twice the polling interval (${pollingIntervalSec} s): raise team.leaseSec to ${2 * pollingIntervalSec} or poll more often`;
}

/**
 * A launch the leader sends while its lease holds must be answered before a standby may start, so with a lease
 * table the grace must be longer than one EC2 call may take: a shorter one would let a stalled call land after the
 * takeover (duplicate instances), or leave the leader no moment in which it may launch. Returned as a message for
 * the config's own validation.
 */
export function graceIssue(team: Team): string | null {
  if (!team.leaseTable || team.graceSec > EC2_CALL_TIMEOUT_SEC) return null;
  return `the takeover grace (${team.graceSec} s) must be longer than an EC2 call may take (${EC2_CALL_TIMEOUT_SEC} s), so a launch the leader sends while its lease holds lands before a standby may take over: raise team.graceSec to ${EC2_CALL_TIMEOUT_SEC + 1} or more`;
}

/**
 * - leader: holds the lease and acts;
 * - standby: another engine holds the lease (or, without a table, the user chose to stand by): observe only;
 * - solo: no lease table and no other engine seen (or the user chose that this engine acts): acts;
 * - conflict: no lease table and another engine acts on the same prefix: observe only until the user decides;
 * - unknown: the lease could not be read yet (observe only).
 */
export const LeadershipRoleSchema = z.enum(['leader', 'standby', 'solo', 'conflict', 'unknown']);
export type LeadershipRole = z.infer<typeof LeadershipRoleSchema>;

export const TeamDecisionSchema = z.enum(['act', 'standby']);
export type TeamDecision = z.infer<typeof TeamDecisionSchema>;

export const LeadershipViewSchema = z.object({
  role: LeadershipRoleSchema,
  /** Whether this engine launches, terminates, requeues and renews (false: it observes only). */
  acts: z.boolean(),
  mode: z.enum(['lease', 'detection']),
  /** This engine. */
  engineId: z.string(),
  host: z.string(),
  /** The engine that leads (lease mode) or the other engine seen (detection), when it is not this one. */
  leader: z.object({ engineId: z.string(), host: z.string() }).nullable(),
  /** Since when the current leader leads (ms epoch), when known. */
  since: z.number().nullable(),
  /** When the lease runs out unless renewed (ms epoch, the leader's clock). */
  expiresAt: z.number().nullable(),
  /** Seconds without a renewal after which a standby takes over (lease + grace). */
  takeoverAfterSec: z.number().nullable(),
  /** The user's decision in detection mode, when one applies. */
  decision: TeamDecisionSchema.nullable(),
  /** Why the lease could not be read or renewed this tick (lease mode), null when it could. */
  problem: z.string().nullable(),
});
export type LeadershipView = z.infer<typeof LeadershipViewSchema>;

/**
 * The one sentence every UI shows (dashboard banner, tray tooltip, headless log); `time` formats an epoch in the
 * viewer's own way (e.g. 14:02).
 */
export function leadershipText(v: LeadershipView, time: (ms: number) => string): string {
  const other = v.leader && v.leader.engineId !== v.engineId ? v.leader : null;
  const who = other ? `${other.host} (${other.engineId})` : 'another engine';
  switch (v.role) {
    case 'leader':
      return `Leader: this engine acts for the team${v.since !== null ? ` since ${time(v.since)}` : ''}; its lease is renewed every tick.`;
    case 'standby':
      if (v.mode === 'lease' && !other)
        return 'No engine holds the lease now: this engine takes it at its next tick with autoscaling on.';
      if (v.mode === 'lease')
        return `Standby: ${who} leads${v.since !== null ? ` since ${time(v.since)}` : ''}; this engine takes over if it stops renewing for ${v.takeoverAfterSec ?? '?'} s.`;
      return `Standby (your decision): ${other ? `${who} acts on this prefix` : 'another engine acts'}; nothing is launched or terminated here until you choose "this engine acts".`;
    case 'conflict':
      return `Another engine acts on this workers prefix: ${who}${v.since !== null ? `, seen at ${time(v.since)}` : ''}. This engine holds (launches nothing) until you decide: "this engine acts" or "stand by".`;
    case 'unknown':
      return `Leadership unknown: the lease could not be read${v.problem ? ` (${v.problem})` : ''}; this engine observes only until it can.`;
    case 'solo':
      return v.decision === 'act' && other
        ? `Acting despite ${who} (your decision).`
        : 'This engine acts alone on this workers prefix.';
  }
}
