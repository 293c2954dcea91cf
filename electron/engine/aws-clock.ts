/**
 * AWS's time, as seen from this machine. Design:
 *
 * - The times the engine compares with or writes to AWS are AWS's: an instance's `LaunchTime` (its spin-up age),
 *   the lease-until tag (read by the instance's watchdog on the instance's clock, which AWS keeps right) and the
 *   facts of the cost history (billing runs on AWS's clock). This machine's clock may be wrong (a wrong RTC, a VM
 *   restored from a snapshot) or step (NTP, the user fixing it). Judged by it, a clock a day ahead kills every new
 *   instance as "never registered", writes leases a day ahead (no dead-man switch) and bills a day of phantom
 *   spend; a clock an hour behind writes leases already expired, and the watchdogs power the instances off.
 * - So each tick's `now` is AWS's: this machine's clock plus an offset estimated from EC2's answers. Every EC2
 *   answer carries an HTTP `Date` header (whole seconds): one sample is that header (+0.5 s, the middle of its
 *   second) against the middle of the request by this machine's clock, kept with the request's round trip.
 * - Robust: the estimate is the median of the recent samples (one slow or odd answer does not move it); samples
 *   whose round trip took over `MAX_RTT_MS` are not used (their middle is too uncertain); and an offset under
 *   `NEGLIGIBLE_MS` is taken as none, since the header's one-second resolution and the request's latency make
 *   smaller figures noise: the local clock is then used as it is.
 * - Steps: each sample also keeps the wall clock minus a monotonic clock (`Clock.monotonic`, performance.now()).
 *   A wall step changes that difference, and so does a sleep of the machine (the monotonic clock stands still
 *   during suspend); either way samples from before no longer say anything about the clock now. Only samples
 *   taken since the last such jump are used, so the first EC2 answer after a step corrects the tick it is in.
 * - An offset over `WARN_MS` is said (one warning event, `ev.clockSkew`): the user should fix the clock.
 * - Not here: the team-mode lease table compares hosts' clocks by design (team/), and throttles and intervals run
 *   on the monotonic clock (kept-file.ts, timeline/ring.ts).
 */
import type { Clock } from './ports.js';

/** A round trip longer than this gives a sample too uncertain to use. */
export const MAX_RTT_MS = 5_000;
/** Offsets under this are within the `Date` header's resolution plus latency: taken as none. */
export const NEGLIGIBLE_MS = 2_000;
/** The wall-minus-monotonic drift that reads as a step (or a sleep) between two samples. */
export const STEP_MS = 2_000;
/** Offsets over this are said to the user. */
export const WARN_MS = 60_000;
/** Samples kept: a few ticks' worth of EC2 answers. */
export const MAX_SAMPLES = 15;

export interface ClockSample {
  /** This machine's wall clock at the middle of the request. */
  wall: number;
  /** The monotonic clock at the same moment. */
  mono: number;
  /** AWS's time by the answer's `Date` header (its second's middle). */
  aws: number;
  rttMs: number;
}

/**
 * AWS's time minus this machine's, in ms (0 when negligible), from the samples usable at the given moment, or null
 * when none is (no answer yet since the last step).
 */
export function estimateOffset(samples: readonly ClockSample[], wall: number, mono: number): number | null {
  const epoch = wall - mono;
  const offsets = samples
    .filter((s) => s.rttMs <= MAX_RTT_MS && Math.abs(s.wall - s.mono - epoch) <= STEP_MS)
    .map((s) => s.aws - s.wall)
    .sort((a, b) => a - b);
  if (!offsets.length) return null;
  const mid = offsets.length >> 1;
  const median = offsets.length % 2 ? offsets[mid]! : (offsets[mid - 1]! + offsets[mid]!) / 2;
  return Math.abs(median) < NEGLIGIBLE_MS ? 0 : Math.round(median);
}

/** The sample of one answer, or null when its `Date` header is missing or unreadable. */
export function sampleOf(
  sent: { wall: number; mono: number },
  received: { wall: number; mono: number },
  dateHeader: string | undefined,
): ClockSample | null {
  const date = dateHeader ? Date.parse(dateHeader) : NaN;
  if (!Number.isFinite(date)) return null;
  const rttMs = Math.max(0, received.mono - sent.mono);
  return { wall: received.wall - rttMs / 2, mono: received.mono - rttMs / 2, aws: date + 500, rttMs };
}

/** The monotonic reading of a clock (its wall reading for one without: steps are then seen only by the median). */
export const monotonicOf = (clock: Clock): number => clock.monotonic?.() ?? clock.now();

/** The samples of one EC2 client, newest last. */
export class AwsClock {
  private readonly samples: ClockSample[] = [];

  constructor(private readonly clock: Clock) {}

  /** Marks a request's start; the returned function takes the answer's `Date` header. */
  begin(): (dateHeader: string | undefined) => void {
    const sent = { wall: this.clock.now(), mono: monotonicOf(this.clock) };
    return (dateHeader) => {
      const s = sampleOf(sent, { wall: this.clock.now(), mono: monotonicOf(this.clock) }, dateHeader);
      if (!s) return;
      this.samples.push(s);
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    };
  }

  /** AWS's time minus this machine's clock now (ms), or null when no answer since the last step says. */
  offsetMs(): number | null {
    return estimateOffset(this.samples, this.clock.now(), monotonicOf(this.clock));
  }
}
