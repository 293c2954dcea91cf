/**
 * When an instance without a ClearML worker has waited too long for one (pure). Its agent registers and reports
 * to the ClearML server, so while the server cannot be read no agent can show up either: after an outage longer
 * than the server's register timeout every worker has dropped out of the listing, busy ones included, until its
 * agent reports again. Judging them by their launch time then terminates hours of training as "never
 * registered". So the spin-up time counts only time ClearML could be read, and from the last sighting of the
 * instance's worker when it had one (a worker that went silent is not one that never came); and it never ends
 * sooner than `AFTER_OUTAGE_GRACE_MS` after ClearML answers again, the time agents need to report once more.
 */

/** A stretch of ticks that could not read ClearML: from the first failed read to the first good one (null: still). */
export interface Outage {
  from: number;
  to: number | null;
}

/**
 * After ClearML answers again, how long a missing worker is waited for whatever the spin-up time says: agents
 * report every 30 s and back off a little after failed reports; two minutes covers a few of their tries.
 */
export const AFTER_OUTAGE_GRACE_MS = 2 * 60_000;

export type SpinUpVerdict =
  /** Launched, no worker seen since, for longer than the spin-up time of readable ClearML. */
  | { code: 'spin-up'; spinUpMin: number }
  /** Its worker was seen, then went missing for longer than the spin-up time of readable ClearML. */
  | { code: 'worker-lost'; spinUpMin: number; silentSec: number };

export interface SpinUpInput {
  now: number;
  launchedAt: number;
  /** The last time its worker was listed (this engine's ticks, or its registration in the cost history), or null. */
  workerSeenAt: number | null;
  outages: readonly Outage[];
  spinUpMin: number;
}

/** Null while the instance may still be waited for; else why it goes. */
export function spinUpVerdict(i: SpinUpInput): SpinUpVerdict | null {
  const from = Math.max(i.launchedAt, i.workerSeenAt ?? -Infinity);
  const readableMs = i.now - from - unreadableMs(i.outages, from, i.now);
  if (readableMs <= i.spinUpMin * 60_000) return null;
  const lastEnd = Math.max(-Infinity, ...i.outages.map((o) => o.to ?? i.now));
  if (lastEnd > from && i.now - lastEnd < AFTER_OUTAGE_GRACE_MS) return null;
  return i.workerSeenAt === null
    ? { code: 'spin-up', spinUpMin: i.spinUpMin }
    : { code: 'worker-lost', spinUpMin: i.spinUpMin, silentSec: (i.now - i.workerSeenAt) / 1000 };
}

/** How much of [from, to] the outages cover (they do not overlap: the engine records them one after another). */
export function unreadableMs(outages: readonly Outage[], from: number, to: number): number {
  let sum = 0;
  for (const o of outages) sum += Math.max(0, Math.min(o.to ?? to, to) - Math.max(o.from, from));
  return sum;
}
