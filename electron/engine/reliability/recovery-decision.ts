/**
 * The pure half of crash recovery: the launch request rebuilt from a journaled intent (byte for byte, so EC2's
 * idempotency holds), an intent's position in its batch's fallback order, and what to do with an open intent given
 * what EC2 says. recovery.ts wires these to the journal, EC2 and the engine.
 */
import type { Config } from '../../../shared/config.js';
import { codeFacts, kindOf } from '../ec2/errors.js';
import { launchPlan } from '../ec2/launcher.js';
import { launchBase } from '../launch-request.js';
import type { InstanceObs, LaunchSpec } from '../ports.js';
import type { JournalIntent } from './intent-journal.js';
import { entryOf } from '../../../shared/data-record.js';

// ---------------------------------------------------------------- the request, rebuilt

export type RebuiltSpec = { ok: true; spec: LaunchSpec } | { ok: false; reason: string };

/**
 * The exact RunInstances request the engine sent for a journaled intent, pure: the same `launchBase` the engine
 * uses, with the lease tag from the tick time `at`, because EC2 compares every parameter of a request that reuses
 * a token (any difference answers IdempotentParameterMismatch instead of the instance).
 * test/reliability/recovery.test.ts checks it against a request the real engine sent.
 */
export function rebuildSpec(
  config: Config,
  intent: Pick<
    JournalIntent,
    'token' | 'queue' | 'resource' | 'market' | 'subnetId' | 'availabilityZone' | 'at' | 'stamp'
  >,
  userData: string,
): RebuiltSpec {
  const base = launchBase(config, intent, userData);
  if (!base) return { ok: false, reason: `resource '${intent.resource}' is no longer in the config` };
  const spec: LaunchSpec = {
    ...base,
    clientToken: intent.token,
    market: intent.market,
    ...(intent.subnetId !== undefined ? { subnetId: intent.subnetId } : {}),
    ...(intent.availabilityZone !== undefined ? { availabilityZone: intent.availabilityZone } : {}),
  };
  return { ok: true, spec };
}

/**
 * Where an attempt sits in its launch's fallback order (launcher.ts `launchPlan`: markets, then placements), or
 * null when the config no longer has it. A launch's attempts strictly climb this order, so a later attempt of the
 * same batch at the same or a lower position belongs to another launch of the batch (launchConcurrency > 1).
 */
export function planPosition(
  config: Config,
  i: Pick<JournalIntent, 'resource' | 'market' | 'subnetId' | 'availabilityZone'>,
): number | null {
  const res = entryOf(config.resources, i.resource);
  if (!res) return null;
  const { markets, placements } = launchPlan(res);
  const mi = markets.indexOf(i.market);
  const pi = placements.findIndex((p) => p.subnetId === i.subnetId && p.availabilityZone === i.availabilityZone);
  return mi < 0 || pi < 0 ? null : mi * placements.length + pi;
}

// ---------------------------------------------------------------- the decision, pure

export interface RecoveryFacts {
  now: number;
  intent: JournalIntent;
  /** What EC2 says about the token: the instance, null when nothing carries it, 'unknown' when EC2 could not be read. */
  found: InstanceObs | null | 'unknown';
  /** A later attempt of the same batch (queue, resource, tick, process) is further down the fallback order. */
  superseded: boolean;
  /** The configured region (the clients at hand talk to it). */
  region: string;
  resendWithinMs: number;
  /** Why the request cannot be re-sent now (no user-data builder, dry run, paused, caps …), or null. */
  resendBlocked: string | null;
}

export type RecoveryVerdict =
  | { action: 'adopt'; instance: InstanceObs }
  | { action: 'resend' }
  /** Stays unresolved; `seed`: counted as booting (no instance id) while it could still be unlisted. */
  | { action: 'wait'; seed: boolean; reason: string }
  | { action: 'abandon'; reason: string };

export function decideRecovery(f: RecoveryFacts): RecoveryVerdict {
  const { intent } = f;
  const ageMs = f.now - intent.at;
  // A clock that went backwards (NTP, a VM restore) makes an intent look younger, which only makes us more careful.
  const recent = ageMs < f.resendWithinMs;
  const age = `${Math.max(0, Math.round(ageMs / 60_000))} min`;
  if (intent.region !== undefined && intent.region !== f.region) {
    return recent
      ? { action: 'wait', seed: false, reason: `launched in ${intent.region}, the app now runs in ${f.region}` }
      : {
          action: 'abandon',
          reason: `launched in ${intent.region} while the app now runs in ${f.region}: "Stop everything" sweeps ${intent.region} too`,
        };
  }
  if (f.found === 'unknown') {
    return { action: 'wait', seed: recent, reason: 'EC2 could not be asked about its client token' };
  }
  if (f.found) return { action: 'adopt', instance: f.found };
  if (!recent) {
    return {
      action: 'abandon',
      reason: `no instance carries its client token ${age} after the attempt: the request never reached EC2 or failed`,
    };
  }
  if (f.superseded) {
    return {
      action: 'wait',
      seed: true,
      reason: 'a later attempt of the same launch batch exists, so this one may have failed and moved on',
    };
  }
  if (f.resendBlocked) return { action: 'wait', seed: true, reason: f.resendBlocked };
  return { action: 'resend' };
}

/** Codes after which EC2 certainly launched nothing for the request (it was refused before doing anything). */
export function isDefiniteRefusal(code: string): boolean {
  if (code === 'IdempotentParameterMismatch') return true;
  const kind = kindOf(codeFacts(code));
  return kind === 'capacity' || kind === 'spot-role' || kind === 'throttle' || kind === 'invalid' || kind === 'auth';
}
