// What the tracker bills over an instance's life as EC2 shows it, against AWS's billing rules: an instance stopped
// and started again is billed again.
import { mkdtempSync, rmSync } from 'node:fs';
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
