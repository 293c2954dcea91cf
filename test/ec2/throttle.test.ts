// The shared token bucket: unit behaviour on a manual clock, then the whole chain (bucket → SDK → emulator)
// under sustained RequestLimitExceeded: the calls per simulated minute must go down, and come back slowly.
import { describe, expect, it } from 'vitest';
import { createEc2Provider } from '../../electron/engine/ec2/provider.js';
import { fullJitterDelayMs, TokenBucket } from '../../electron/engine/ec2/throttle.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { Ec2Error } from '../../electron/engine/ports.js';
import { FAKE_CREDENTIALS, ManualClock, seededRandom } from './helpers.js';

describe('fullJitterDelayMs', () => {
  const opts = (r: number) => ({ baseMs: 1000, capMs: 60_000, random: () => r });
  it.each([
    [1, 0.5, 500],
    [2, 0.5, 1000],
    [3, 0.999, 3996],
    [10, 0.5, 30_000], // capped at 60 s before jitter
    [40, 0.5, 30_000],
    [0, 0.5, 0],
    [5, 0, 0],
  ])('throttle #%i with random %f → %i ms', (n, r, ms) => expect(fullJitterDelayMs(n, opts(r))).toBe(ms));
});

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces at the rate', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const bucket = new TokenBucket({ ratePerSec: 2, burst: 3, clock });
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(clock.now()).toBe(t0);
    await bucket.take();
    expect(clock.now() - t0).toBe(500);
    await bucket.take();
    expect(clock.now() - t0).toBe(1000);
  });

  it('serves concurrent takers one token each, in order', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const bucket = new TokenBucket({ ratePerSec: 1, burst: 1, clock });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(clock.now() - t0).toBe(3000);
  });

  it('halves the rate on each throttle down to a floor, backs off with jitter, and recovers slowly', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({
      ratePerSec: 8,
      burst: 8,
      clock,
      minRatePerSec: 0.5,
      recoveryPerSec: 0.1,
      random: () => 0.5,
    });
    const rates: number[] = [];
    for (let i = 0; i < 6; i++) {
      bucket.penalize();
      rates.push(bucket.currentRate());
    }
    expect(rates).toEqual([4, 2, 1, 0.5, 0.5, 0.5]);
    // After 6 consecutive throttles the next call waits for the back-off window: 0.5 × min(60 s, 32 s) = 16 s.
    const t0 = clock.now();
    await bucket.take();
    expect(clock.now() - t0).toBeGreaterThanOrEqual(16_000);
    // 10 s later the rate has grown by 1 call/s, not jumped back to 8.
    clock.advance(10_000);
    expect(bucket.currentRate()).toBeCloseTo(0.5 + 0.1 * ((clock.now() - t0) / 1000), 5);
    clock.advance(600_000);
    expect(bucket.currentRate()).toBe(8);
  });

  it('keeps pacing at the rate when the wall clock goes back, instead of waiting until it catches up', async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ ratePerSec: 2, burst: 2, clock, random: () => 0.5 });
    bucket.penalize(); // a back-off window and a halved rate, both set on the old reading
    await bucket.take();
    await bucket.take();
    clock.advance(-3_600_000); // the clock is set back an hour
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) await bucket.take();
    // At the halved rate (1/s) five calls take about five seconds, not the hour the clock has to make up.
    expect(clock.now() - t0).toBeLessThan(10_000);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(4_000);
  });

  it('rejects nonsense settings', () => {
    const clock = new ManualClock();
    expect(() => new TokenBucket({ ratePerSec: 0, burst: 1, clock })).toThrow();
    expect(() => new TokenBucket({ ratePerSec: 1, burst: 0, clock })).toThrow();
  });
});

function perMinute(emu: Ec2Emulator, from: number, minutes: number): number[] {
  const counts = new Array<number>(minutes).fill(0);
  for (const e of emu.log) {
    const m = Math.floor((e.at - from) / 60_000);
    if (m >= 0 && m < minutes) counts[m]! += 1;
  }
  return counts;
}

describe('sustained throttling through the SDK', () => {
  it('sends fewer calls per minute the longer RequestLimitExceeded lasts, then recovers gradually', async () => {
    const clock = new ManualClock();
    const emu = await startEc2Emulator({ clock });
    const limiter = new TokenBucket({ ratePerSec: 5, burst: 10, clock, random: () => 0.5 });
    const ec2 = createEc2Provider({
      region: 'us-east-1',
      credentials: FAKE_CREDENTIALS,
      endpoint: emu.url,
      clock,
      limiter,
      maxAttempts: 3,
    });
    try {
      emu.faults.push({ code: 'RequestLimitExceeded' });
      const start = clock.now();
      let attempts = 0;
      // A caller that retries as fast as it is allowed to: only the bucket stands between it and EC2.
      while (clock.now() < start + 10 * 60_000) {
        attempts += 1;
        const err = await ec2.describeInstances('dyn').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Ec2Error);
        expect((err as Ec2Error).kind).toBe('throttle');
      }
      const throttled = perMinute(emu, start, 10);
      // The SDK never retried a throttled call on its own (maxAttempts 3 notwithstanding).
      expect(emu.calls.total).toBe(attempts);
      expect(ec2.calls).toBe(attempts);
      expect(throttled[0]).toBeGreaterThan(throttled[9]! * 2);
      for (let m = 2; m < 10; m++) expect(throttled[m]).toBeLessThanOrEqual(throttled[0]!);
      expect(throttled.slice(5).reduce((a, b) => a + b)).toBeLessThan(throttled.slice(0, 5).reduce((a, b) => a + b));
      expect(Math.max(...throttled.slice(3))).toBeLessThanOrEqual(4);

      // Throttling ends: the rate climbs back minute by minute instead of jumping to 5/s at once.
      emu.faults.length = 0;
      const healed = clock.now();
      while (clock.now() < healed + 3 * 60_000) await ec2.describeInstances('dyn');
      const recovering = perMinute(emu, healed, 3);
      for (let m = 1; m < 3; m++) expect(recovering[m]).toBeGreaterThan(recovering[m - 1]!);
      expect(recovering[0]).toBeLessThan((5 * 60) / 2);
    } finally {
      ec2.close();
      await emu.close();
    }
  });

  it("a provider's own limiter takes its back-off jitter from the provider's `random`", async () => {
    // Five minutes of a caller retrying through a throttle on a provider made without a limiter: its calls per
    // minute follow from the jitter source alone (the clock is manual), so the same source gives the same run.
    const run = async (random: () => number) => {
      const clock = new ManualClock();
      const emu = await startEc2Emulator({ clock });
      const ec2 = createEc2Provider({
        region: 'us-east-1',
        credentials: FAKE_CREDENTIALS,
        endpoint: emu.url,
        clock,
        random,
      });
      try {
        emu.faults.push({ code: 'RequestLimitExceeded', count: 1_000_000 });
        const start = clock.now();
        while (clock.now() < start + 5 * 60_000) await ec2.describeInstances('dyn').catch(() => undefined);
        return perMinute(emu, start, 5);
      } finally {
        ec2.close();
        await emu.close();
      }
    };
    expect(await run(seededRandom(3))).toEqual(await run(seededRandom(3)));
    const noWait = await run(() => 0);
    const fullWait = await run(() => 0.999);
    expect(noWait.reduce((a, b) => a + b)).toBeGreaterThan(fullWait.reduce((a, b) => a + b));
  });
});
