// The pure timeline core: two tiers, bounded, downsampled per range, spend integrated, markers kept in order.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  TimelineRing,
  downsample,
  integrate,
  maxSamples,
  merge,
} from '../../electron/engine/timeline/ring.js';
import { applyTimeline, timelineAfter, type TimelineSample } from '../../shared/timeline.js';
import { TIMELINE_DAY as T0 } from '../fixtures/index.js';

const H = 3600_000;
const sample = (at: number, busy: number, pending = 0, burn = busy): TimelineSample => ({
  at,
  queues: { gpu: { busy, idle: 0, booting: 0, pending } },
  burnPerHour: burn,
});

describe('TimelineRing', () => {
  it('keeps every poll for the last hour and one sample a minute before that', () => {
    const ring = new TimelineRing();
    for (let t = 0; t <= 3 * H; t += 3000) ring.add(sample(T0 + t, 1));
    const { samples } = ring.state();
    const now = T0 + 3 * H;
    const fine = samples.filter((s) => s.at >= now - H);
    const coarse = samples.filter((s) => s.at < now - H);
    expect(fine.length).toBe(H / 3000 + 1);
    ring.compact(now);
    expect(ring.state().samples.filter((x) => x.at < now - H)).toHaveLength(120);
    expect(coarse.length).toBeGreaterThanOrEqual(119); // two hours of 60 s buckets
    expect(coarse.length).toBeLessThanOrEqual(121);
    for (let i = 1; i < coarse.length; i++) expect(coarse[i]!.at - coarse[i - 1]!.at).toBe(60_000);
  });

  it('is bounded: a day and more of 1 s polls never holds more than maxSamples()', () => {
    const ring = new TimelineRing();
    for (let t = 0; t <= 26 * H; t += 1000) ring.add(sample(T0 + t, t % 7));
    expect(ring.size.samples).toBeLessThanOrEqual(maxSamples());
    expect(maxSamples()).toBe(1830 + 1380 + 2);
    expect(ring.state().samples[0]!.at).toBeGreaterThanOrEqual(T0 + 2 * H);
  });

  it('a poll closer than fineStepMs to the last replaces it', () => {
    const ring = new TimelineRing();
    ring.add(sample(T0, 1));
    ring.add(sample(T0 + 500, 2));
    expect(ring.state().samples).toEqual([sample(T0 + 500, 2)]);
  });

  it('after a clock step back, the samples "from the future" go and the latest observation stays', () => {
    const ring = new TimelineRing();
    for (let k = 0; k < 5; k++) ring.add(sample(T0 + k * 15_000, k));
    ring.add(sample(T0 + 20_000, 9));
    expect(ring.state().samples).toEqual([sample(T0, 0), sample(T0 + 15_000, 1), sample(T0 + 20_000, 9)]);
    expect(ring.query(1, T0 + 20_000).points.at(-1)).toMatchObject({ at: T0 + 20_000 });
  });

  it('keeps markers sorted, drops those older than a day and at most maxMarkers', () => {
    const ring = new TimelineRing({ ...DEFAULT_LIMITS, maxMarkers: 3 });
    for (const at of [5, 1, 3, 4]) ring.mark({ at: T0 + at, kind: 'launch', message: `m${at}` });
    expect(ring.state().markers.map((m) => m.message)).toEqual(['m3', 'm4', 'm5']);
    ring.add(sample(T0 + 25 * H, 0));
    expect(ring.state().markers).toEqual([]);
  });
});

describe('merge', () => {
  it('keeps the moment with the most instances per queue, the most tasks waiting and the mean burn', () => {
    const m = merge(
      [
        { at: 1, queues: { gpu: { busy: 1, idle: 2, booting: 0, pending: 5 } }, burnPerHour: 1 },
        { at: 2, queues: { gpu: { busy: 3, idle: 1, booting: 1, pending: 0 } }, burnPerHour: 3 },
        { at: 3, queues: { cpu: { busy: 0, idle: 1, booting: 0, pending: 1 } }, burnPerHour: 2 },
      ],
      3,
    );
    expect(m).toEqual({
      at: 3,
      queues: { gpu: { busy: 3, idle: 1, booting: 1, pending: 5 }, cpu: { busy: 0, idle: 1, booting: 0, pending: 1 } },
      burnPerHour: 2,
    });
  });
});

describe('downsample', () => {
  const samples = Array.from({ length: 1200 }, (_, i) => sample(T0 + i * 3000, i < 600 ? 2 : 0, 0, i < 600 ? 2 : 0));
  const now = T0 + 1199 * 3000;

  it.each([
    [1, 720, 5000],
    [6, 720, 30_000],
    [24, 720, 120_000],
  ] as const)('%s h: at most %s points, step %s ms, the axis spans the whole range', (hours, max, step) => {
    const t = downsample(samples, [], hours, now);
    expect(t.points.length).toBeLessThanOrEqual(max);
    expect(t.stepMs).toBe(step);
    expect(t.to - t.from).toBe(hours * H);
    expect(t.queues).toEqual(['gpu']);
    expect(t.since).toBe(T0);
  });

  it('integrates spend: 2 $/h for 30 min is $1, and the cumulative spend rises then stays', () => {
    const t = downsample(samples, [], 1, now);
    expect(t.spend).toBeCloseTo(1, 6);
    // The first point is the window's first (partial) bucket merged into the next: spend up to its last sample.
    expect(t.points[0]!.spend).toBeLessThanOrEqual((2 * 2 * t.stepMs) / H);
    expect(t.points[t.points.length - 1]!.spend).toBeCloseTo(1, 6);
    const spends = t.points.map((p) => p.spend);
    expect([...spends].sort((a, b) => a - b)).toEqual(spends);
  });

  it('a rate holds at most 10 minutes across a gap (the app was not watching)', () => {
    expect(integrate([sample(T0, 0, 0, 6), sample(T0 + 2 * H, 0, 0, 0)], T0 + 2 * H)).toBeCloseTo(1, 9);
  });

  it('only markers inside the window', () => {
    const t = downsample(
      samples,
      [
        { at: now - 2 * H, kind: 'launch', message: 'old' },
        { at: now - 60_000, kind: 'terminate', message: 'new' },
      ],
      1,
      now,
    );
    expect(t.markers.map((m) => m.message)).toEqual(['new']);
  });
});

describe('a refresh of an open chart gets only what is new', () => {
  // 100 queues (the bench's scale) over a day of 2 s polls, counts moving; the chart holds the 24 h range.
  const ring = new TimelineRing();
  const at = (n: number): TimelineSample => {
    const queues: TimelineSample['queues'] = {};
    for (let q = 0; q < 100; q++) {
      const v = Math.floor((n + q * 7) / 150);
      queues[`queue-${q}`] = { busy: v % 5, idle: (v >> 1) % 3, booting: v % 2, pending: (v * 3) % 17 };
    }
    return { at: T0 + n * 2000, queues, burnPerHour: 1 + (n % 7) };
  };
  let n = 0;
  for (; n <= (24 * H) / 2000; n++) ring.add(at(n));
  for (let i = 0; i < 50; i++) ring.mark({ at: T0 + n * 2000 - i * 60_000, kind: 'launch', message: `launch ${i}` });

  it.each([24, 1] as const)(
    '%s h: the delta is under 5% of the range and joins into exactly the full answer',
    (hours) => {
      let held = ring.query(hours, T0 + (n - 1) * 2000);
      const full0 = JSON.stringify(held).length;
      // 6 s apart, so the 12 refreshes span a compaction (fine samples merged into a minute).
      for (let k = 0; k < 12; k++, n += 3) {
        ring.add(at(n));
        if (k % 4 === 3) ring.mark({ at: T0 + n * 2000, kind: 'terminate', message: `terminate ${n}` });
        const now = T0 + n * 2000;
        const got = ring.query(hours, now, undefined, held.points[held.points.length - 1]!.at);
        expect(got.delta).toBeDefined();
        expect(JSON.stringify(got).length).toBeLessThan(full0 / 20);
        expect(full0).toBeGreaterThan(hours === 24 ? 3_000_000 : 1_000_000);
        const joined = applyTimeline(held, got);
        const full = ring.query(hours, now);
        expect(joined).toEqual(full);
        held = joined!;
      }
    },
  );

  it('a delta that does not fit what is held (another range, or points the engine no longer has) is refused', () => {
    const now = T0 + n * 2000;
    const held = ring.query(24, now);
    const last = held.points[held.points.length - 1]!.at;
    expect(applyTimeline(null, ring.query(24, now, undefined, last))).toBeNull();
    expect(applyTimeline(held, ring.query(1, now, undefined, last))).toBeNull();
    const moved = { ...held, points: held.points.map((p) => ({ ...p, at: p.at - 1 })) };
    expect(applyTimeline(moved, ring.query(24, now, undefined, last))).toBeNull();
    expect(timelineAfter(held, 24)).toBe(last);
    expect(timelineAfter(held, 1)).toBeUndefined();
  });
});
