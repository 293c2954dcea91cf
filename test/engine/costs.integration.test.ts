// Costs wired into the loop: the history is fed from real observations, caps are enforced before every launch,
// and the month's spend survives a restart (a new history over the same journal).
import { addTasks } from '../fixtures/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endOf } from '../../electron/engine/cost/tracker.js';
import { plan } from '../../electron/engine/policy.js';
import { renderActionReason, renderDecision } from '../../electron/engine/reasons.js';
import { instance, makeConfig, policyInput, queue, T0, workerFor } from './fixtures.js';
import { startWorld, type World } from './world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** A fresh world with one CPU task of `durationSec`, and an engine whose costs go to a new journal. */
async function oneCpuTask(durationSec: number) {
  const w = (world = await startWorld());
  const config = makeConfig();
  w.clearml.createQueue('cpu');
  w.clearml.createQueue('gpu');
  w.clearml.addTask({ name: 'prep', queue: 'cpu', durationSec });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl');
  const first = await w.costs(file);
  return { w, config, file, first, engine: w.newEngine(config, { costs: first.tracker, prices: first.prices }) };
}

describe('costs in the loop', () => {
  it('a global hourly cap blocks the launch that would cross it, and the decision says which cap and by how much', async () => {
    world = await startWorld();
    const config = makeConfig({ budgets: { global: { hourlyUsd: 0.25 }, mode: 'stop-launching' } });
    world.clearml.createQueue('cpu');
    world.clearml.createQueue('gpu');
    addTasks(world.clearml, 'cpu', 3, 600);
    const { tracker, prices } = await world.costs(path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl'));
    const engine = world.newEngine(config, { costs: tracker, prices });
    const r = await engine.tick();
    // m5.large is about $0.096/h in the bundled table: two fit under $0.25/h, the third would not.
    expect(r.launched).toHaveLength(2);
    const d = r.plan?.decisions.find((x) => x.queue === 'cpu');
    const text = d ? renderDecision(d) : '';
    expect(text).toMatch(/1 not launched: global hourly burn cap \$0\.25\/h would be exceeded by \$0\.0380\/h/);
    expect(world.store.getState().costs.budgets?.[0]).toMatchObject({ kind: 'hourly', limit: 0.25 });
  });

  it('launches EC2 does not list yet count in the hourly cap: with a 60 s listing delay no tick launches again', async () => {
    world = await startWorld({ listingDelaySec: 60 });
    const config = makeConfig({ budgets: { global: { hourlyUsd: 0.25 }, mode: 'stop-launching' } });
    world.clearml.createQueue('cpu');
    world.clearml.createQueue('gpu');
    addTasks(world.clearml, 'cpu', 5, 1800);
    const { tracker, prices } = await world.costs(path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl'));
    const engine = world.newEngine(config, { costs: tracker, prices });
    let most = 0;
    // Several polls inside the listing delay, then past it: two m5.large (~$0.192/h) fit, a third never.
    for (let t = 0; t < 8; t++) {
      await engine.tick();
      most = Math.max(most, world.live().length);
      world.clock.advance(15_000);
      world.agents.step();
    }
    expect(most).toBe(2);
  });

  it('after a restart the month spend so far is still known', async () => {
    const { w, file, first, engine } = await oneCpuTask(1800);
    await w.run(engine, 3600, 30);
    const spent = first.history.monthToDate(w.clock.now());
    expect(spent).toBeGreaterThan(0.05);
    const byTask = w.store.getState().costs.byTask ?? [];
    expect(byTask.map((t) => t.queue)).toEqual(['cpu']);
    await first.history.close();

    const second = await w.costs(file);
    expect(second.history.monthToDate(w.clock.now())).toBeCloseTo(spent, 6);
  });

  it.each([
    // [downtime min, terminated on the new engine's first tick]
    [2, false], // its last task ended ~11 min before: within maxIdleMin, it waits the short limit
    [12, true], // ~21 min before: past maxIdleMin (15), whatever happened while nobody watched
  ])(
    'after a restart of %i min, an inherited idle worker goes at once only past maxIdleMin since its last known task',
    async (downMin, gone) => {
      const { w: world, config, file, first, engine: before } = await oneCpuTask(300);
      // Launch, the world's 60 s boot, the 5-min task, then idle (kept: too few tasks seen to forecast): its task
      // ended about 9 min before the downtime begins, so about 11 or 21 min before the new engine's first tick.
      await world.run(before, 900, 15);
      expect(world.live()).toHaveLength(1);
      const id = world.live()[0]!.instanceId;
      const lastTask = first.history.get(id)!.tasks[0]!;
      expect(lastTask.endedAt).not.toBeNull();
      await first.history.close();

      world.clock.advance(downMin * 60_000);
      world.agents.step();
      const second = await world.costs(file);
      const after = world.newEngine(config, { costs: second.tracker, prices: second.prices });
      const r = await after.tick();
      expect(r.terminated).toEqual(gone ? [id] : []);
      if (gone) {
        const t = r.plan?.actions.find((a) => a.kind === 'terminate');
        expect(t && renderActionReason(t)).toMatch(
          /idle since before the engine started, with no task or registration known for \d+(\.\d)? min \(limit 15 min\)/,
        );
      }
      const sinceTask = (world.clock.now() - lastTask.endedAt!) / 60_000;
      expect(sinceTask >= 15).toBe(gone);
    },
  );

  it('after a sleep past the lease, an idle instance its watchdog stopped is billed to lease + grace, not to the wake', async () => {
    const { w, first, engine } = await oneCpuTask(300);
    // Launch, the 60 s boot, the 5-min task, then idle (within maxIdleMin 15).
    await w.run(engine, 600, 15);
    const [inst] = w.live();
    const lastSeen = w.clock.now();
    // The machine sleeps 2 h. The watchdog powers the idle instance off once lease (20 min) + grace (10) are over.
    w.clock.advance(30 * 60_000);
    w.ec2.powerOff(inst!.instanceId, 'lease expired');
    w.clock.advance(90 * 60_000);
    w.agents.step();
    await engine.tick();
    const rec = first.history.get(inst!.instanceId)!;
    expect(rec.endedAt).toBe(lastSeen + 30 * 60_000);
  });

  it('after an 8 h sleep, a 1 h task that ended meanwhile is billed 1 h, the 7 h after it as idle (instance in full)', async () => {
    const { w, first, engine } = await oneCpuTask(3600);
    // Launch, the 60 s boot, then 2 min into the 1-h task: the machine sleeps 8 h (no watchdog here, as with leases
    // off: it stays up).
    await w.run(engine, 180, 15);
    const [inst] = w.live();
    const task = w.clearml.tasks()[0]!;
    w.clock.advance(8 * 3600_000);
    w.agents.step();
    await engine.tick();
    const rec = first.history.get(inst!.instanceId)!;
    const ended = w.clearml.tasks()[0]!;
    expect(ended.status).toBe('completed');
    // Ended when ClearML says it did, not at the wake; the instance, still up, is billed all along.
    expect(rec.tasks).toEqual([expect.objectContaining({ taskId: task.id, endedAt: ended.statusChanged })]);
    expect(rec.endedAt).toBeNull();
    const costs = w.store.getState().costs;
    const hourly = rec.hourlyPrice;
    const taskHours = (ended.statusChanged - rec.tasks[0]!.startedAt) / 3600_000;
    expect(taskHours).toBeGreaterThan(0.95);
    expect(taskHours).toBeLessThan(1.05);
    expect(costs.byTask?.[0]?.cost).toBeCloseTo(taskHours * hourly, 6);
    expect(costs.overheadByQueue?.cpu?.idle).toBeGreaterThan(6.9 * hourly);
  });

  it("a busy instance gone after a sleep: billed to the wake, its task only to ClearML's end", async () => {
    const { w, first, engine } = await oneCpuTask(1800);
    await w.run(engine, 180, 15);
    const [inst] = w.live();
    // Its 30-min task ends during a 3 h sleep; the instance goes at some unknown time after (its watchdog).
    w.clock.advance(3600_000);
    w.agents.step();
    w.ec2.powerOff(inst!.instanceId, 'lease expired');
    w.clock.advance(2 * 3600_000);
    w.agents.step();
    await engine.tick();
    const rec = first.history.get(inst!.instanceId)!;
    expect(rec.endedAt).toBe(w.clock.now());
    expect(rec.tasks[0]!.endedAt).toBe(w.clearml.tasks()[0]!.statusChanged);
    expect(rec.tasks[0]!.endedAt! - rec.tasks[0]!.startedAt).toBeLessThan(31 * 60_000);
  });

  it.each<[string, number | undefined, boolean, number | undefined, number, number]>([
    // [case, last seen, idle then, lease + grace, now, ended at]
    ['never listed by this process: now', undefined, true, 1800_000, 10_000_000, 10_000_000],
    ['busy when last seen: now (its task may have run all along)', 1_000_000, false, 1800_000, 10_000_000, 10_000_000],
    ['leases off: now', 1_000_000, true, undefined, 10_000_000, 10_000_000],
    ['a tick a poll later: now', 1_000_000, true, 1800_000, 1_015_000, 1_015_000],
    ['after a long gap: last seen + lease + grace', 1_000_000, true, 1800_000, 10_000_000, 2_800_000],
  ])('endOf, %s', (_, lastSeen, idle, within, now, expected) => {
    expect(endOf(lastSeen, idle, now, within)).toBe(expected);
  });

  it('terminate-idle mode removes idle workers in a queue whose cap is reached', () => {
    const i = instance('gpu', 'gpu_a');
    const p = plan(
      policyInput({
        queues: [queue('gpu', 0), queue('cpu', 0)],
        instances: [i],
        workers: [workerFor(i)],
        idleSince: new Map([[i.instanceId, T0 - 60_000]]),
        budgetIdle: { global: false, queues: new Set(['gpu']), reason: 'budget cap reached' },
      }),
    );
    expect(p.actions).toContainEqual(
      expect.objectContaining({ kind: 'terminate', instanceId: i.instanceId, why: 'budget' }),
    );
  });
});
