// The leadership controller against an in-memory lease table (test/fakes/lease-store.ts) and a virtual clock: who
// acts, when a standby takes over, when a leader that cannot renew stops, and detection without a table.
import { describe, expect, it } from 'vitest';
import { LeadershipController } from '../../../electron/engine/controllers/leadership.js';
import type { NewEvent } from '../../../electron/engine/events.js';
import { TAG, type InstanceObs } from '../../../electron/engine/ports.js';
import { formatStamp } from '../../../electron/engine/team/detection.js';
import { memoryTeamState } from '../../../electron/engine/team/identity.js';
import { LeaseError } from '../../../electron/engine/team/lease-store.js';
import { VirtualClock } from '../../../electron/engine/testkit/virtual-clock.js';
import { FakeLeaseTable } from '../../fakes/lease-store.js';
import { baseConfig } from '../../fixtures/index.js';
import { startWorld } from '../../fixtures/world.js';
import { instance, T0 } from '../fixtures.js';

const tableConfig = baseConfig({ team: { leaseTable: 'autoscaler-leases' } });

function engine(id: string, table: FakeLeaseTable | null, clock: VirtualClock) {
  const events: NewEvent[] = [];
  const c = new LeadershipController(
    {
      team: memoryTeamState({ engineId: id, host: `${id}-host` }),
      ...(table ? { leaseStore: () => table.store() } : {}),
    },
    clock,
  );
  const step = (opts: { config?: typeof tableConfig; instances?: InstanceObs[]; wantsToAct?: boolean } = {}) =>
    c.step(
      { config: opts.config ?? tableConfig, instances: opts.instances ?? [], wantsToAct: opts.wantsToAct ?? true },
      (e) => events.push(e),
    );
  return { c, step, events, messages: () => events.map((e) => e.message) };
}

describe('leader lease', () => {
  it('two engines on one table: exactly one leads, the other stands by and says who leads since when', async () => {
    const clock = new VirtualClock(T0);
    const table = new FakeLeaseTable();
    const a = engine('eng-a', table, clock);
    const b = engine('eng-b', table, clock);
    expect((await a.step()).acts).toBe(true);
    const sb = await b.step();
    expect(sb.acts).toBe(false);
    expect(sb.view).toMatchObject({
      role: 'standby',
      leader: { engineId: 'eng-a', host: 'eng-a-host' },
      since: T0,
      takeoverAfterSec: 90,
    });
    expect(a.messages()).toEqual([expect.stringMatching(/^this engine now leads/)]);
    expect(b.messages()).toEqual([expect.stringMatching(/^standing by: eng-a-host \(eng-a\) leads/)]);
    // The leader renews each tick without reading first; the standby only reads.
    clock.advance(15_000);
    await a.step();
    await b.step();
    expect(table.calls).toEqual(['read', 'write:absent', 'read', 'write:held-by', 'read']);
  });

  it('the standby takes over once the lease has not changed for lease + grace, not a tick earlier', async () => {
    const clock = new VirtualClock(T0);
    const table = new FakeLeaseTable();
    const a = engine('eng-a', table, clock);
    const b = engine('eng-b', table, clock);
    await a.step();
    await b.step(); // first sight of a's version at T0
    const actsAt: number[] = [];
    for (let t = 15; t <= 120; t += 15) {
      clock.advance(15_000);
      if ((await b.step()).acts) actsAt.push(t);
    }
    expect(actsAt[0]).toBe(90);
    expect(table.item?.holderId).toBe('eng-b');
    expect(b.messages().at(-1)).toMatch(/^this engine now leads/);
    // The old leader comes back: its renewal is refused and it stands by.
    const back = await a.step();
    expect(back).toMatchObject({ acts: false, view: { role: 'standby', leader: { engineId: 'eng-b' } } });
    expect(a.messages().at(-1)).toMatch(/^leadership lost to eng-b-host \(eng-b\)/);
  });

  it('a leader that cannot renew keeps acting only while its last lease holds, then stops', async () => {
    const clock = new VirtualClock(T0);
    const table = new FakeLeaseTable();
    const a = engine('eng-a', table, clock);
    await a.step();
    const throttled = () => new LeaseError('throttle', 'DynamoDB is throttling dynamodb:PutItem');
    table.failNext(throttled(), throttled(), throttled(), throttled(), throttled());
    const acts: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(15_000);
      acts.push((await a.step()).acts);
    }
    // Renewed at T0; 15, 30, 45 s later it still holds; at 60 s it may have lost it.
    expect(acts).toEqual([true, true, true, false, false]);
    expect(a.messages()).toEqual([
      expect.stringMatching(/^this engine now leads/),
      expect.stringMatching(/^leader lease in 'leases' unavailable: DynamoDB is throttling/),
      expect.stringMatching(/^leadership lost: the lease could not be renewed for 60 s/),
    ]);
    // DynamoDB answers again and nobody took it: the same engine leads again.
    clock.advance(15_000);
    expect((await a.step()).acts).toBe(true);
  });

  it('a clean release hands over at the standby next tick', async () => {
    const clock = new VirtualClock(T0);
    const table = new FakeLeaseTable();
    const a = engine('eng-a', table, clock);
    const b = engine('eng-b', table, clock);
    await a.step();
    await b.step();
    await a.c.release();
    clock.advance(15_000);
    expect((await b.step()).acts).toBe(true);
  });

  it('an engine that only observes (autoscaling off) reads who leads and never writes', async () => {
    const clock = new VirtualClock(T0);
    const table = new FakeLeaseTable();
    const b = engine('eng-b', table, clock);
    const s = await b.step({ wantsToAct: false });
    expect(s.acts).toBe(false);
    expect(table.calls).toEqual(['read']);
    expect(table.item).toBeNull();
  });

  it('an unreadable table (missing, refused) leaves the role unknown and says why', async () => {
    const clock = new VirtualClock(T0);
    const table = new FakeLeaseTable().failNext(new LeaseError('access', 'AWS refused dynamodb:GetItem'));
    const b = engine('eng-b', table, clock);
    const s = await b.step();
    expect(s).toMatchObject({ acts: false, view: { role: 'unknown', problem: 'AWS refused dynamodb:GetItem' } });
  });
});

describe('detection without a lease table', () => {
  const stamped = (engineId: string, at: number) =>
    instance('gpu', 'gpu_a', { tags: { [TAG.engine]: formatStamp({ engineId, host: 'gpu-host', at }) } });

  it('holds while another engine stamps our instances, until the user decides; the decision is remembered', async () => {
    const clock = new VirtualClock(T0);
    const b = engine('eng-b', null, clock);
    const instances = [stamped('eng-a', T0 - 60_000)];
    const first = await b.step({ config: baseConfig(), instances });
    expect(first).toMatchObject({
      acts: false,
      view: { role: 'conflict', mode: 'detection', leader: { engineId: 'eng-a', host: 'gpu-host' } },
    });
    expect(b.events[0]?.level).toBe('error');
    expect(b.events[0]?.message).toMatch(/another engine acts/);

    await b.c.decide('act', baseConfig());
    expect((await b.step({ config: baseConfig(), instances })).view).toMatchObject({ role: 'solo', decision: 'act' });
    // A third engine appears: the decision covered eng-a only.
    const more = [...instances, stamped('eng-c', T0)];
    expect((await b.step({ config: baseConfig(), instances: more })).view.role).toBe('conflict');

    await b.c.decide('standby', baseConfig());
    expect(await b.step({ config: baseConfig(), instances: more })).toMatchObject({
      acts: false,
      view: { role: 'standby', decision: 'standby' },
    });
  });

  it('acts alone when no other engine stamped within the instance lease, and stamps its own id', async () => {
    const clock = new VirtualClock(T0);
    const b = engine('eng-b', null, clock);
    const old = [stamped('eng-a', T0 - 21 * 60_000)];
    expect((await b.step({ config: baseConfig(), instances: old })).view.role).toBe('solo');
    expect(b.c.stamp(T0)).toBe(`eng-b ${T0 / 1000} eng-b-host`);
  });

  it('refuses a decision when a lease table decides', async () => {
    const clock = new VirtualClock(T0);
    const b = engine('eng-b', new FakeLeaseTable(), clock);
    await expect(b.c.decide('act', tableConfig)).rejects.toThrow(/lease table 'autoscaler-leases' decides/);
  });
});

describe('stillActs', () => {
  it('a tick that ran past the lease it renewed at its start does not act', async () => {
    const clock = new VirtualClock(T0);
    const a = engine('eng-a', new FakeLeaseTable(), clock);
    expect((await a.step()).acts).toBe(true);
    clock.advance(59_000);
    expect(a.c.stillActs(tableConfig)).toBe(true);
    clock.advance(1_000);
    expect(a.c.stillActs(tableConfig)).toBe(false);
  });
});

describe('dry run in team mode', () => {
  it('a dry-run engine never takes the lease, and still logs what it would do', async () => {
    const world = await startWorld();
    try {
      const table = new FakeLeaseTable();
      const config = baseConfig({ team: { leaseTable: 'leases' }, scaling: { workersPrefix: 'dyn', dryRun: true } });
      world.clearml.createQueue('gpu');
      world.clearml.addTask({ name: 't', queue: 'gpu', durationSec: 60 });
      const engine = world.newEngine(config, {
        team: { team: memoryTeamState({ engineId: 'eng-dry', host: 'h' }), leaseStore: () => table.store() },
      });
      await world.run(engine, 15);
      expect(table.item).toBeNull();
      expect(table.calls.every((c) => c === 'read')).toBe(true);
      expect(world.store.getState().events.some((e) => /^dry run: would launch/.test(e.message))).toBe(true);
      expect(world.live()).toHaveLength(0);
    } finally {
      await world.close();
    }
  });
});
