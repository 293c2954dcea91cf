// What the tracker bills over an instance's life as EC2 shows it, against AWS's billing rules: an instance stopped
// and started again is billed again; a Linux spot instance EC2 interrupts in its first hour is not charged; billing
// ends at the app's terminate call, not at the next poll.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CostHistory } from '../../electron/engine/cost/history.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import { TAG, type Clock, type InstanceObs } from '../../electron/engine/ports.js';
import { COST_T0 as T0 } from '../fixtures/index.js';

const MIN = 60_000;
let dir: string;
const open: CostHistory[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cost-life-'));
});
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function tracked(clock: Clock, compactAfterLines?: number) {
  const history = await CostHistory.open({
    file: path.join(dir, 'cost-history.jsonl'),
    clock,
    ...(compactAfterLines !== undefined ? { compactAfterLines } : {}),
  });
  open.push(history);
  const book = new PriceBook({ region: 'us-east-1', clock });
  return { history, tracker: new CostTracker(history, book), price: book.hourly('m5.large', 'on-demand').price };
}

/** The m5.large i-1 of queue cpu as EC2 lists it. */
const obs = (state: InstanceObs['state'], launchedAt: number, over: Partial<InstanceObs> = {}): InstanceObs => ({
  instanceId: 'i-1',
  state,
  instanceType: 'm5.large',
  market: 'on-demand',
  zone: 'us-east-1a',
  subnetId: null,
  launchedAt,
  tags: { [TAG.queue]: 'cpu', [TAG.resource]: 'cpu' },
  clientToken: null,
  stateReasonCode: null,
  ...over,
});

describe('billing periods', () => {
  it('an instance stopped and started again is billed for both running periods, and burns again', async () => {
    const clock = { t: T0, now: () => clock.t, sleep: async () => undefined };
    const { history, tracker, price } = await tracked(clock);
    const observe = async (o: InstanceObs, minutes: number) => {
      for (let m = 0; m < minutes; m++) {
        await tracker.observe([o], [], clock.t);
        clock.t += MIN;
      }
    };
    await observe(obs('running', T0), 60);
    await observe(obs('stopped', T0), 10);
    // Started again: EC2 moves its LaunchTime to the start.
    const restart = clock.t;
    await observe(obs('running', restart), 120);
    const now = clock.t;
    // 60 + 120 running minutes.
    expect(history.monthToDate(now)).toBeCloseTo(price * 3, 9);
    expect(history.burn(now).total).toBeCloseTo(price, 9);
    expect(history.get('i-1')).toMatchObject({ launchedAt: restart, endedAt: null });

    // Read back from the journal, and once compacted, the same.
    await history.close();
    expect((await tracked(clock)).history.monthToDate(now)).toBeCloseTo(price * 3, 9);
    const compacted = (await tracked(clock)).history;
    await compacted.compact();
    await compacted.close();
    expect((await tracked(clock)).history.monthToDate(now)).toBeCloseTo(price * 3, 9);
  });

  it('one stopped and started within a poll ends its first period at the new start, and starts a new minimum', async () => {
    const clock = { t: T0, now: () => clock.t, sleep: async () => undefined };
    const { history, tracker, price } = await tracked(clock);
    await tracker.observe([obs('running', T0)], [], T0);
    await tracker.observe([obs('running', T0 + 30 * MIN)], [], T0 + 30 * MIN + 10_000);
    // 30 min, then 10 s of the second period, billed as EC2's 60 s minimum.
    expect(history.monthToDate(T0 + 30 * MIN + 10_000)).toBeCloseTo((price * 31) / 60, 9);
  });
});

describe('the end of an instance', () => {
  const spot = { market: 'spot' as const, instanceType: 'g4dn.xlarge' };

  it.each([
    // [minutes running, state reason when it ends, billed]
    [20, 'Server.SpotInstanceTermination', false], // EC2 took it back in its first hour: no charge
    [120, 'Server.SpotInstanceTermination', true], // after the first hour: the seconds used
    [20, null, true], // ended by the user (or the app): the seconds used
  ])('a spot instance ending after %i min with reason %s is billed: %s', async (minutes, reason, billed) => {
    const clock = { t: T0, now: () => clock.t, sleep: async () => undefined };
    const { history, tracker } = await tracked(clock);
    for (let m = 0; m < minutes; m++) await tracker.observe([obs('running', T0, spot)], [], T0 + m * MIN);
    const end = T0 + minutes * MIN;
    await tracker.observe([obs('shutting-down', T0, { ...spot, stateReasonCode: reason })], [], end);
    const rec = history.get('i-1')!;
    expect(rec.endedAt).toBe(end);
    const spent = history.monthToDate(end + MIN);
    if (billed) expect(spent).toBeCloseTo((rec.hourlyPrice * minutes) / 60, 9);
    else expect(spent).toBe(0);
    // The month's tasks and overhead add up to the same.
    expect(history.rollup(T0, end + MIN).boot).toBeCloseTo(spent, 9);
  });

  it('an adopted spot instance EC2 interrupts within an hour of its adoption, days after its launch, is billed', async () => {
    const clock = { t: T0, now: () => clock.t, sleep: async () => undefined };
    // Compacted as soon as it ends, then reopened: what decides it is kept in the compacted line too.
    const { history, tracker } = await tracked(clock, 0);
    const adopted = { ...spot, tags: { [TAG.queue]: 'gpu', [TAG.resource]: 'gpu_a', [TAG.adoptedAt]: String(T0) } };
    const launched = T0 - 3 * 24 * 60 * MIN;
    for (let m = 0; m < 20; m++) await tracker.observe([obs('running', launched, adopted)], [], T0 + m * MIN);
    const end = T0 + 20 * MIN;
    const reason = 'Server.SpotInstanceTermination';
    await tracker.observe([obs('shutting-down', launched, { ...adopted, stateReasonCode: reason })], [], end);
    const rec = history.get('i-1')!;
    expect(rec).toMatchObject({ launchedAt: T0, endedAt: end });
    // Billed from the adoption: 20 min, though EC2 took it back 20 min after this app started paying for it.
    expect(history.monthToDate(end + MIN)).toBeCloseTo((rec.hourlyPrice * 20) / 60, 9);
    await history.close();
    const reopened = await tracked(clock);
    expect(reopened.history.monthToDate(end + MIN)).toBeCloseTo((rec.hourlyPrice * 20) / 60, 9);
  });

  it("ends at the app's terminate call, not at the poll that sees it shutting down", async () => {
    const clock = { t: T0, now: () => clock.t, sleep: async () => undefined };
    const { history, tracker, price } = await tracked(clock);
    await tracker.observe([obs('running', T0)], [], T0 + 600_000);
    // The tick terminates it after its observation; the next one, 15 s later, lists it shutting down.
    const terminatedAt = new Map([['i-1', T0 + 600_000]]);
    await tracker.observe([obs('shutting-down', T0)], [], T0 + 615_000, { terminatedAt });
    expect(history.get('i-1')?.endedAt).toBe(T0 + 600_000);
    expect(history.monthToDate(T0 + 615_000)).toBeCloseTo((price * 600) / 3600, 9);
  });
});

describe('records made before adopted instances were counted from their adoption', () => {
  /** What an older version wrote for i-1, adopted at T0 after 3 days under ClearML: from EC2's launch. */
  const launched = T0 - 3 * 24 * 60 * MIN;
  const oldJournal = (instanceId: string, ended: boolean) =>
    [
      {
        t: 'launched',
        at: launched,
        instanceId,
        queue: 'cpu',
        resource: 'cpu',
        instanceType: 'm5.large',
        market: 'on-demand',
        zone: 'us-east-1a',
        hourlyPrice: 0.096,
        priceSource: { kind: 'bundled', fetchedAt: null },
      },
      { t: 'registered', at: T0 + 15_000, instanceId, workerId: `dyn:cpu:m5.large:${instanceId}` },
      { t: 'task-started', at: T0 + 30 * MIN, instanceId, taskId: `t-${instanceId}` },
      ...(ended ? [{ t: 'terminated', at: T0 + 30 * MIN, instanceId }] : []),
    ]
      .map((f) => JSON.stringify(f) + '\n')
      .join('');
  const adopted = obs('running', launched, {
    tags: { [TAG.queue]: 'cpu', [TAG.resource]: 'cpu', [TAG.adoptedAt]: String(T0) },
  });

  it('an open one of a listed adopted instance is corrected to start at the adoption, once, and stays so', async () => {
    const clock = { t: T0 + 60 * MIN, now: () => clock.t, sleep: async () => undefined };
    // i-2, ended before the upgrade, is left as it is: its adoption can no longer be read.
    writeFileSync(path.join(dir, 'cost-history.jsonl'), oldJournal('i-2', true) + oldJournal('i-1', false));
    const ended = (h: CostHistory) =>
      expect(h.get('i-2')).toMatchObject({ launchedAt: launched, endedAt: T0 + 30 * MIN });
    const { history, tracker } = await tracked(clock);
    // Before the engine sees it: 3 days and an hour booked.
    expect(tracker.billed('i-1', clock.t)?.costSoFar).toBeGreaterThan(7);
    await tracker.observe([adopted], [], clock.t);
    const hour = 0.096;
    expect(history.get('i-1')).toMatchObject({
      launchedAt: T0,
      ec2LaunchedAt: launched,
      registeredAt: T0,
      // No worker listed in this observation: its task ended then.
      tasks: [{ taskId: 't-i-1', startedAt: T0 + 30 * MIN, endedAt: clock.t }],
    });
    expect(tracker.billed('i-1', clock.t)?.costSoFar).toBeCloseTo(hour, 9);
    ended(history);
    const lines = () => readFileSync(path.join(dir, 'cost-history.jsonl'), 'utf8').trim().split('\n').length;
    const written = lines();
    await tracker.observe([adopted], [], clock.t + MIN);
    expect(lines()).toBe(written);
    await history.close();
    const reopened = await tracked(clock);
    expect(reopened.history.get('i-1')).toMatchObject({ launchedAt: T0, ec2LaunchedAt: launched });
    expect(reopened.tracker.billed('i-1', clock.t)?.costSoFar).toBeCloseTo(hour, 9);
    ended(reopened.history);
  });
});
