/**
 * One token bucket shared by every EC2 call of the app (a throttled autoscaler that retries every
 * throttled call turns into a retry storm). EC2 throttles per account and region, so the bucket adapts like
 * TCP congestion control: each throttle halves the sending rate and opens a full-jitter back-off window that
 * grows with consecutive throttles; the rate then climbs back linearly with time, slowly, so a throttled
 * account sees FEWER calls per minute the longer the throttling lasts, never more.
 *
 * Time comes from the injected clock (sleeping included), so tests run hours of throttling in milliseconds.
 */
import type { Clock } from '../ports.js';

export interface TokenBucketOptions {
  /** Steady rate the bucket refills at when nothing is throttled (calls per second). */
  ratePerSec: number;
  /** Calls that may go out back to back after a quiet period. */
  burst: number;
  clock: Clock;
  /** The rate never drops below this under throttling. Default: 1 call per 30 s. */
  minRatePerSec?: number;
  /** How fast the rate recovers after a throttle, in calls/s gained per second. Default 0.01 (≈ 8 min to 5/s). */
  recoveryPerSec?: number;
  /** First back-off window after a throttle (ms, before jitter); doubles per consecutive throttle. Default 1 s. */
  backoffBaseMs?: number;
  /** Longest back-off window (ms). Default 60 s. */
  backoffCapMs?: number;
  /** Injectable for deterministic jitter; [0, 1). */
  random?: () => number;
}

/**
 * "Full jitter" exponential back-off (AWS Architecture Blog): a uniform delay in [0, min(cap, base·2^(n-1))).
 * `consecutive` counts throttles in a row, starting at 1.
 */
export function fullJitterDelayMs(
  consecutive: number,
  opts: { baseMs: number; capMs: number; random: () => number },
): number {
  if (consecutive <= 0) return 0;
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(consecutive - 1, 30));
  return Math.floor(opts.random() * ceiling);
}

export class TokenBucket {
  private readonly maxRate: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private readonly minRate: number;
  private readonly recovery: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly random: () => number;

  private rate: number;
  private tokens: number;
  private updatedAt: number;
  private blockedUntil = 0;
  private consecutiveThrottles = 0;
  /** Serializes waiters so concurrent callers leave in order, one token each. */
  private queue: Promise<void> = Promise.resolve();

  constructor(opts: TokenBucketOptions) {
    if (!(opts.ratePerSec > 0)) throw new Error('TokenBucket: ratePerSec must be > 0');
    if (!(opts.burst >= 1)) throw new Error('TokenBucket: burst must be >= 1');
    this.maxRate = opts.ratePerSec;
    this.burst = opts.burst;
    this.clock = opts.clock;
    this.minRate = Math.min(opts.minRatePerSec ?? 1 / 30, opts.ratePerSec);
    this.recovery = opts.recoveryPerSec ?? 0.01;
    this.backoffBaseMs = opts.backoffBaseMs ?? 1000;
    this.backoffCapMs = opts.backoffCapMs ?? 60_000;
    this.random = opts.random ?? Math.random;
    this.rate = opts.ratePerSec;
    this.tokens = opts.burst;
    this.updatedAt = opts.clock.now();
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.acquire());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The last call was throttled: halve the rate, empty the bucket, back off with full jitter. */
  penalize(): void {
    const now = this.clock.now();
    this.refill(now);
    this.consecutiveThrottles += 1;
    this.rate = Math.max(this.minRate, this.rate / 2);
    this.tokens = 0;
    const delay = fullJitterDelayMs(this.consecutiveThrottles, {
      baseMs: this.backoffBaseMs,
      capMs: this.backoffCapMs,
      random: this.random,
    });
    this.blockedUntil = Math.max(this.blockedUntil, now + delay);
  }

  /** The last call went through: the back-off window starts small again (the rate still recovers slowly). */
  succeeded(): void {
    this.consecutiveThrottles = 0;
  }

  /** Current sending rate in calls per second (for the dashboard and tests). */
  currentRate(): number {
    this.refill(this.clock.now());
    return this.rate;
  }

  private refill(now: number): void {
    if (now < this.updatedAt) {
      // The wall clock went back (an NTP step, a resumed VM, a user fixing the time). Measuring from the old
      // reading would accrue nothing until the clock caught up, an hour for an hour's step, and every EC2 call
      // would wait that long. Time is measured from the new reading instead, and a back-off window set on the
      // old one moves back with the clock, so what was left of it is still waited for, and no more.
      this.blockedUntil -= this.updatedAt - now;
      this.updatedAt = now;
      return;
    }
    const dt = (now - this.updatedAt) / 1000;
    this.updatedAt = now;
    if (dt === 0) return;
    const before = this.rate;
    this.rate = Math.min(this.maxRate, this.rate + this.recovery * dt);
    // Tokens accrue at the average rate over the interval (the rate ramps linearly within it).
    this.tokens = Math.min(this.burst, this.tokens + ((before + this.rate) / 2) * dt);
  }

  private async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.refill(now);
      if (this.blockedUntil > now) {
        await this.clock.sleep(this.blockedUntil - now);
        continue;
      }
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000)));
    }
  }
}
