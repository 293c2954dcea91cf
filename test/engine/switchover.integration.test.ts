// Taking over from a running ClearML autoscaler, end to end: the real engine and clients against the emulators,
// with instances launched the way ClearML's autoscaler launches them (its startup script shape, only the user's
// tags) whose agents register workers of the same prefix. No downtime, no leak, no duplicate.
import { addTasks, COST_T0 } from '../fixtures/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchClearmlAutoscalerInstances } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { TAG } from '../../electron/engine/ports.js';
import { createEc2Provider } from '../../electron/engine/ec2/provider.js';
import { MAX_UNREGISTER_PER_TICK } from '../../electron/engine/controllers/terminate.js';
import { RunTally, statusLine } from '../../electron/engine/cli/view.js';
import { createMainStore } from '../../electron/engine/store.js';
import { makeConfig } from './fixtures.js';
import { AWS, startWorld, type World } from './world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function seedClearmlInstances(w: World, n: number, batch?: string): Promise<string[]> {
  return launchClearmlAutoscalerInstances({
    endpoint: w.ec2.url,
    region: 'us-east-1',
    credentials: AWS,
    apiHost: w.clearml.url,
    batch,
    instances: Array.from({ length: n }, () => ({
      prefix: 'dyn',
      resource: 'gpu_a',
      instanceType: 'g4dn.xlarge',
      queue: 'gpu',
      tags: { Name: 'clearml-gpu-worker', team: 'ml' },
    })),
  });
}

/** A world with queues gpu and cpu, two instances ClearML's autoscaler launched for gpu, and an engine on 'dyn'. */
async function twoClearmlInstances(extra?: Parameters<World['newEngine']>[1]) {
  world = await startWorld();
  const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, surplusIdleMin: 5, maxSpinUpMin: 30 } });
  world.clearml.createQueue('gpu');
  world.clearml.createQueue('cpu');
  const ids = await seedClearmlInstances(world, 2);
  return { ids, engine: world.newEngine(config, extra) };
}

/** The instances the window offers for adoption, sorted. */
const adoptableIds = () => (world?.store.getState().adoptable ?? []).map((a) => a.instanceId).sort();

describe("switching over from ClearML's autoscaler", () => {
  it("a worker of the prefix naming a stranger's instance is capacity but never adoptable, and the instance is left alone", async () => {
    const { ids, engine } = await twoClearmlInstances();
    if (!world) throw new Error('the world did not start');
    // A database host in the same account (not an autoscaler's: its own startup script, its own tags), and an agent
    // somewhere registered under our prefix with its instance id (a copied CLEARML_WORKER_ID, a teammate's test).
    const ec2 = createEc2Provider({ region: 'us-east-1', endpoint: world.ec2.url, credentials: AWS });
    const { instanceId: db } = await ec2.runInstance({
      clientToken: 'prod-db',
      instanceType: 'g4dn.xlarge',
      imageId: 'ami-0c1ea4c1ea4c1ea40',
      market: 'on-demand',
      securityGroupIds: [],
      enableMonitoring: false,
      metadataHopLimit: 1,
      // No startup script (the agent simulator then leaves it running, as such a host runs).
      userData: '',
      tags: { Name: 'prod-db' },
    });
    ec2.close();
    world.clearml.registerWorker(`dyn:gpu_a:g4dn.xlarge:${db}`, ['gpu']);
    await world.run(engine, 120);

    const offered = world.store.getState().adoptable ?? [];
    expect(offered.map((a) => a.instanceId).sort()).toEqual([...ids, db].sort());
    // The window says why it is not offered; ClearML's own two are.
    expect(offered.find((a) => a.instanceId === db)?.blocker).toMatch(
      /^its startup script is empty: nothing starts a ClearML agent as worker 'dyn:gpu_a:g4dn\.xlarge:<instance id>'/,
    );
    for (const id of ids) expect(offered.find((a) => a.instanceId === id)?.blocker).toBeNull();
    // The log names it apart, once, and does not count it among ClearML's.
    const messages = world.store.getState().events.map((e) => e.message);
    expect(messages.filter((m) => m.startsWith(`worker dyn:gpu_a:g4dn.xlarge:${db} names instance ${db}`))).toEqual([
      expect.stringMatching(
        /which no autoscaler launched: its startup script is empty.*never adopts, tags or terminates that instance$/,
      ),
    ]);
    expect(messages.filter((m) => / of prefix 'dyn' runs? on /.test(m)).at(-1)).toMatch(
      /^2 workers of prefix 'dyn' run on instances ClearML's autoscaler launched/,
    );

    // "Adopt all" takes ClearML's two and refuses the stranger's, with the reason; asked by id, it is refused too.
    const r = await engine.adopt('all');
    expect([...r.adopted].sort()).toEqual([...ids].sort());
    expect(r.refused.map((x) => x.instanceId)).toEqual([db]);
    expect(r.refused[0]?.reason).toMatch(/not a ClearML autoscaler's instance \(left alone\)$/);
    expect((await engine.adopt([db])).adopted).toEqual([]);
    expect(world.ec2.instance(db)?.tags).toEqual({ Name: 'prod-db' });

    // Idle long past every idle limit: ClearML's adopted two are scaled down, the database keeps running.
    await world.run(engine, 15 * 60);
    expect(world.live().map((i) => i.instanceId)).toEqual([db]);
  });

  it('thousands of stale workers of the prefix cost a bounded number of calls per tick, and its capacity stays counted', async () => {
    const { ids, engine } = await twoClearmlInstances();
    if (!world) throw new Error('the world did not start');
    await world.run(engine, 120);
    // 2,500 workers of our prefix on instances EC2 does not know (a server that keeps dead workers listed).
    const stale = Array.from({ length: 2500 }, (_, i) => `dyn:gpu_a:g4dn.xlarge:i-${(0x10000000 + i).toString(16)}`);
    for (const id of stale) world.clearml.registerWorker(id, ['gpu']);
    const left = () => new Set(world!.clearml.workers().map((w) => w.id));
    for (let tick = 0; tick < 4; tick++) {
      const ec2Before = world.ec2.calls.byAction['DescribeInstances'] ?? 0;
      const unregisterBefore = world.clearml.calls['workers.unregister'] ?? 0;
      await world.run(engine, 15);
      // The listing of ours, then at most 1,000 ids looked up (5 calls of 200), not 13 calls for all 2,500.
      expect((world.ec2.calls.byAction['DescribeInstances'] ?? 0) - ec2Before).toBeLessThanOrEqual(6);
      expect((world.clearml.calls['workers.unregister'] ?? 0) - unregisterBefore).toBe(MAX_UNREGISTER_PER_TICK);
      // ClearML's instances are looked up every tick, and stay counted as capacity.
      expect(adoptableIds()).toEqual([...ids].sort());
    }
    expect(stale.filter((id) => !left().has(id))).toHaveLength(4 * MAX_UNREGISTER_PER_TICK);
    expect(world.ec2.instances()).toHaveLength(2);
  });

  it('keeps its workers, counts them as capacity, adopts them on request, then scales them like its own', async () => {
    const { ids, engine } = await twoClearmlInstances();
    if (!world) throw new Error('the world did not start');

    // Their agents boot and register while the engine watches: nothing is unregistered, terminated or launched.
    await world.run(engine, 120);
    const workerIds = ids.map((id) => `dyn:gpu_a:g4dn.xlarge:${id}`);
    expect(
      world.clearml
        .workers()
        .map((w) => w.id)
        .sort(),
    ).toEqual([...workerIds].sort());
    expect(
      world
        .live()
        .map((i) => i.instanceId)
        .sort(),
    ).toEqual([...ids].sort());
    expect(adoptableIds()).toEqual([...ids].sort());
    expect(world.store.getState().adoptable?.[0]).toMatchObject({ name: 'clearml-gpu-worker', blocker: null });
    // The log says so, in words that agree with the count (the workers may register one poll apart).
    const said = world.store
      .getState()
      .events.map((e) => e.message)
      .filter((m) => / of prefix 'dyn' runs? on /.test(m));
    expect(said.at(-1)).toMatch(
      /^2 workers of prefix 'dyn' run on instances ClearML's autoscaler launched: .*adopt them /,
    );
    for (const m of said) expect(m.startsWith('1 worker ')).toBe(/ runs on an instance .*adopt it /.test(m));

    // Two tasks arrive: the two idle foreign workers take them; no duplicate instance is launched.
    addTasks(world.clearml, 'gpu', 2, 120);
    await world.run(engine, 60);
    expect(world.ec2.instances()).toHaveLength(2);
    expect(world.clearml.tasks().filter((t) => t.status === 'in_progress')).toHaveLength(2);

    // Adoption (the user confirmed): our tags are added, the user's stay.
    const r = await engine.adopt('all');
    expect([...r.adopted].sort()).toEqual([...ids].sort());
    expect(r.refused).toEqual([]);
    for (const id of ids) {
      expect(world.ec2.instance(id)?.tags).toMatchObject({
        Name: 'clearml-gpu-worker',
        team: 'ml',
        [TAG.prefix]: 'dyn',
        [TAG.queue]: 'gpu',
        [TAG.resource]: 'gpu_a',
      });
    }
    await world.run(engine, 15);
    expect(world.store.getState().adoptable).toEqual([]);
    expect(
      world.store
        .getState()
        .instances.map((i) => i.instanceId)
        .sort(),
    ).toEqual([...ids].sort());

    // Tasks finish, the adopted instances go idle and are terminated like our own; nothing was ever launched.
    await world.run(engine, 120 + 6 * 60);
    expect(world.clearml.tasks().filter((t) => t.status === 'completed')).toHaveLength(2);
    expect(world.live()).toHaveLength(0);
    expect(world.ec2.instances()).toHaveLength(2);
  });

  it('adopting instances ClearML launched 3 days ago books only the time since adoption: a monthly cap stays ok', async () => {
    // Launched 3 days before the engine starts (inside the same UTC month), idle since under ClearML.
    const w = (world = await startWorld({ start: COST_T0 - 3 * 86_400_000 }));
    w.clearml.createQueue('gpu');
    w.clearml.createQueue('cpu');
    const ids = await seedClearmlInstances(w, 2);
    for (let h = 0; h < 72; h++) {
      w.clock.advance(3600_000);
      w.agents.step();
    }
    const config = makeConfig({
      scaling: { workersPrefix: 'dyn', maxIdleMin: 10, surplusIdleMin: 10, maxSpinUpMin: 30 },
      budgets: { global: { monthlyUsd: 50 }, mode: 'stop-launching' },
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 4 }], cpu: [{ resource: 'cpu', maxInstances: 5 }] },
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl');
    const first = await w.costs(file);
    const engine = w.newEngine(config, { costs: first.tracker, prices: first.prices });
    await w.run(engine, 30);
    expect((await engine.adopt('all')).adopted).toHaveLength(2);
    const adoptedAt = w.clock.now();
    // Past EC2's 60 s minimum, which would otherwise show as overhead.
    await w.run(engine, 90);

    // Each record starts at the adoption, registered from then on: no ClearML days, no boot overhead.
    for (const id of ids)
      expect(first.history.get(id)).toMatchObject({ launchedAt: adoptedAt, registeredAt: adoptedAt, endedAt: null });
    const costs = () => w.store.getState().costs;
    const sinceAdoption = (now: number) =>
      2 * first.prices('g4dn.xlarge', 'on-demand').price * ((now - adoptedAt) / 3600_000);
    expect(costs().monthToDate).toBeCloseTo(sinceAdoption(w.clock.now()), 6);
    expect(costs().budgets?.[0]).toMatchObject({ id: 'global.monthlyUsd', state: 'ok' });
    const month = first.history.rollup(Date.UTC(2026, 10, 1), w.clock.now());
    expect(month.boot).toBe(0);
    // The CSV (`--report costs --csv`) has no boot cost for them either.
    const bootRows = first.history
      .toCsv(Date.UTC(2026, 10, 1), w.clock.now())
      .split('\r\n')
      .filter((l) => l.includes(',boot,'));
    expect(bootRows).toHaveLength(2);
    for (const row of bootRows) expect(row.endsWith(',0,0.000000')).toBe(true);

    // Three tasks: the two adopted instances take two, the third gets a launch (the cap does not stop it).
    addTasks(w.clearml, 'gpu', 3, 600);
    await w.run(engine, 60);
    expect(w.live()).toHaveLength(3);

    // A restart (a new history over the same journal, a new engine) keeps it so.
    await first.history.close();
    const second = await w.costs(file);
    const restarted = w.newEngine(config, { costs: second.tracker, prices: second.prices });
    await w.run(restarted, 15);
    for (const id of ids)
      expect(second.history.get(id)).toMatchObject({ launchedAt: adoptedAt, registeredAt: adoptedAt });
    expect(costs().monthToDate).toBeLessThan(1);
    expect(costs().budgets?.[0]).toMatchObject({ state: 'ok' });
  });

  it('an adopted instance first seen by a new cost history (a restart, another data folder) starts at its adoption tag', async () => {
    const w = (world = await startWorld({ start: COST_T0 - 86_400_000 }));
    w.clearml.createQueue('gpu');
    w.clearml.createQueue('cpu');
    const [id] = await seedClearmlInstances(w, 1);
    for (let h = 0; h < 24; h++) {
      w.clock.advance(3600_000);
      w.agents.step();
    }
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 60, surplusIdleMin: 60 } });
    // Adopted by an engine without a cost history, then ten minutes later one with a new one starts.
    const before = w.newEngine(config);
    await w.run(before, 15);
    expect((await before.adopt('all')).adopted).toEqual([id]);
    const adoptedAt = w.clock.now();
    w.clock.advance(600_000);
    w.agents.step();
    const {
      history,
      tracker: costs,
      prices,
    } = await w.costs(path.join(mkdtempSync(path.join(tmpdir(), 'cost-')), 'h.jsonl'));
    await w.run(w.newEngine(config, { costs, prices }), 15);
    expect(history.get(id!)).toMatchObject({ launchedAt: adoptedAt, registeredAt: adoptedAt });
  });

  it('an instance adopted after 10 min idle keeps that idle time: terminated at the next tick with maxIdleMin 5', async () => {
    const w = (world = await startWorld());
    w.clearml.createQueue('gpu');
    w.clearml.createQueue('cpu');
    const [id] = await seedClearmlInstances(w, 1);
    // Its agent registers (60 s boot) before the engine starts.
    w.clock.advance(90_000);
    w.agents.step();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, surplusIdleMin: 5 } });
    const engine = w.newEngine(config);
    // Watched idle for 10 min (first seen idle at the first tick, 15 s in), left alone: not ours yet.
    await w.run(engine, 600);
    expect(w.live().map((i) => i.instanceId)).toEqual([id]);
    expect((await engine.adopt('all')).adopted).toEqual([id]);
    await w.run(engine, 15);
    expect(w.live()).toEqual([]);
    const said = w.store
      .getState()
      .events.filter((e) => e.kind === 'terminate' && e.instanceIds?.includes(id!))
      .map((e) => e.message);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/idle for 10 min\b/);
  });

  it('a worker whose instance is really gone is still unregistered (looked up, not assumed)', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn' } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    world.clearml.registerWorker('dyn:gpu_a:g4dn.xlarge:i-0000000000000dead', ['gpu']);
    const engine = world.newEngine(config);
    await world.run(engine, 15);
    expect(world.clearml.workers().map((w) => w.id)).not.toContain('dyn:gpu_a:g4dn.xlarge:i-0000000000000dead');
    expect(world.store.getState().adoptable).toEqual([]);
  });
});

describe("ClearML's autoscaler still running next to this app", () => {
  const stillRunning = () =>
    (world?.store.getState().events ?? []).filter((e) =>
      /^ClearML's autoscaler seems to be still running/.test(e.message),
    );

  it('an instance of ClearML launched after the first tick: one warning naming it, and the status says so', async () => {
    const { engine } = await twoClearmlInstances();
    if (!world) throw new Error('the world did not start');
    await world.run(engine, 120);
    // Launched before this engine's first tick: capacity, no sign of a running autoscaler.
    expect(stillRunning()).toEqual([]);
    const [late] = await seedClearmlInstances(world, 1, 'late');
    await world.run(engine, 300);
    const said = stillRunning();
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 'warn', instanceIds: [late] });
    expect(said[0]!.message).toMatch(
      new RegExp(`instance ${late} was launched by it at \\d\\d:\\d\\d UTC, after this app started`),
    );
    expect(said[0]!.message).toMatch(/stop its service task/);
    expect(world.store.getState().statusReason).toBe(said[0]!.message);
  });

  it("a duplicate of ours launched for the task ClearML's took goes after the surplus idle time, not the idle limit", async () => {
    world = await startWorld();
    const config = makeConfig({
      scaling: { workersPrefix: 'dyn', maxIdleMin: 30, surplusIdleMin: 5, maxSpinUpMin: 30 },
      queues: { gpu: [{ resource: 'gpu_a', maxInstances: 4 }], cpu: [{ resource: 'cpu', maxInstances: 5 }] },
    });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    const engine = world.newEngine(config);
    await world.run(engine, 60);
    // One task; ClearML's autoscaler, still running, launches for it too.
    addTasks(world.clearml, 'gpu', 1, 60);
    const [theirs] = await seedClearmlInstances(world, 1, 'dup');
    await world.run(engine, 5 * 60);
    const ours = world.live().filter((i) => i.instanceId !== theirs);
    expect(ours).toHaveLength(1);
    expect(stillRunning()).toHaveLength(1);
    // Both idle once the task is done: ours goes at the surplus limit, with the reason; ClearML's is not ours to end.
    await world.run(engine, 8 * 60);
    expect(world.live().map((i) => i.instanceId)).toEqual([theirs]);
    const ended = world.store
      .getState()
      .events.find((e) => e.message.startsWith("terminated 1 instance on 'gpu'"))?.message;
    expect(ended).toMatch(/and 1 idle instance of ClearML's autoscaler there takes its next tasks/);
    // The keep-warm line says what the surplus rule does: while ClearML's worker was busy ours was kept, but the
    // last word before the termination is that its idle one covers the next task, not "kept 1 up to the idle limit".
    const lines = world.store
      .getState()
      .events.map((e) => e.message)
      .filter((m) =>
        /^(kept \d+ idle on|not keeping idle workers on|letting idle workers on|terminated 1 instance on) 'gpu'/.test(
          m,
        ),
      );
    expect(lines.slice(-2)).toEqual([
      "not keeping idle workers on 'gpu' beside ClearML's: 1 idle instance of ClearML's autoscaler there takes " +
        "the next task the forecast would keep one for, so this app's are surplus and go after the surplus idle time",
      ended,
    ]);
  });

  it('an idle instance of ours terminated outside this app: one warning naming it; none when this app ends it', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, surplusIdleMin: 5 } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    const engine = world.newEngine(config);
    await world.run(engine, 30);
    addTasks(world.clearml, 'gpu', 2, 60);
    await world.run(engine, 240);
    const ours = world.live().map((i) => i.instanceId);
    expect(ours).toHaveLength(2);
    expect(world.clearml.tasks().filter((t) => t.status === 'completed')).toHaveLength(2);
    expect(stillRunning()).toEqual([]);

    // ClearML's autoscaler reads our idle worker as its own and terminates its instance.
    await world.clients(config).ec2.terminateInstances([ours[0]!]);
    await world.run(engine, 60);
    // This app's own idle termination of the other is no sign.
    await world.run(engine, 6 * 60);
    expect(world.live()).toHaveLength(0);
    const said = stillRunning();
    expect(said).toHaveLength(1);
    expect(said[0]!.instanceIds).toEqual([ours[0]]);
    expect(said[0]!.message).toContain(`an idle instance of ours, ${ours[0]}, was terminated outside this app`);
  });

  it('an engine that does not act (off, or standing by in a team) says nothing when the acting one ends idle ones', async () => {
    world = await startWorld();
    const w = world;
    const config = makeConfig({ scaling: { workersPrefix: 'dyn', maxIdleMin: 5, surplusIdleMin: 5 } });
    w.clearml.createQueue('gpu');
    w.clearml.createQueue('cpu');
    const acting = w.newEngine(config);
    const watching: string[] = [];
    const other = w.newEngine(config, { store: createMainStore(), onEvent: (e) => void watching.push(e.message) });
    addTasks(w.clearml, 'cpu', 2, 60);
    for (let t = 0; t < (5 + 8) * 4; t++) {
      w.clock.advance(15_000);
      w.agents.step();
      await acting.tick();
      await other.tick({ act: false });
      w.agents.step();
    }
    // The acting engine launched two, and ended both once idle: calls the other did not make.
    expect(w.ec2.instances()).toHaveLength(2);
    expect(w.live()).toHaveLength(0);
    expect(watching.filter((m) => m.startsWith("ClearML's autoscaler seems"))).toEqual([]);
  });

  it('no warning without either sign: ClearML instances from before the start, ours ended by this app', async () => {
    const { engine } = await twoClearmlInstances();
    if (!world) throw new Error('the world did not start');
    await world.run(engine, 120);
    // ClearML's instances serve 'gpu' only: tasks on 'cpu' need launches of ours, which go idle and this app ends.
    addTasks(world.clearml, 'cpu', 2, 60);
    await world.run(engine, 120 + 7 * 60);
    expect(world.ec2.instances().length).toBeGreaterThan(2);
    expect(world.live()).toHaveLength(2);
    expect(stillRunning()).toEqual([]);
    expect(world.store.getState().statusReason).toBeNull();
  });
});

describe("what a stopped run leaves running of ClearML's autoscaler's", () => {
  /** A run as headless tallies it: every event, and the snapshot after each step. */
  async function tallied() {
    const tally = new RunTally();
    const { ids, engine } = await twoClearmlInstances({ onEvent: (e) => tally.event(e) });
    if (!world) throw new Error('the world did not start');
    const w = world;
    const run = async (seconds: number) => {
      for (let t = 0; t < seconds; t += 15) {
        await w.run(engine, 15);
        tally.snapshot(w.store.getState());
      }
    };
    const summary = () => tally.summary({ demo: false, lease: true, startedAt: w.clock.now(), now: w.clock.now() });
    return { ids, engine, w, run, summary };
  }

  it('not adopted: the status line and the summary name them, with their $/h, and that nothing terminates them', async () => {
    const { ids, w, run, summary } = await tallied();
    await run(120);
    expect(w.live()).toHaveLength(2);
    // Two idle g4dn.xlarge on-demand at the world's flat $0.50/h: not this app's, so not in its own counts.
    expect(statusLine(w.store.getState())).toBe(
      "watching · 0 pending · 0 instances (0 busy, 0 idle, 0 booting) · +2 from ClearML's autoscaler (idle, $1.00/h, not adopted) · $0.00/h",
    );
    const lines = summary();
    expect(lines).toContain("No instances of this app's are running.");
    expect(lines.at(-1)).toBe(
      `+2 from ClearML's autoscaler keep running (${[...ids].sort().join(', ')}; idle, $1.00/h), not adopted: nothing terminates them; run with --adopt to let this app scale them down, or terminate them.`,
    );
  });

  it('one adopted: the summary names it apart, as not powering itself off', async () => {
    const { ids, engine, w, run, summary } = await tallied();
    await run(120);
    expect((await engine.adopt([ids[0]!])).adopted).toEqual([ids[0]]);
    // And one of this app's own, which has the lease watchdog.
    addTasks(w.clearml, 'cpu', 1, 3600);
    await run(120);
    const lines = summary();
    expect(lines).toContain(
      '2 instances keep running ($1.00/h): the next start adopts them from their EC2 tags, and an idle one of ' +
        "this app's own powers itself off once its lease runs out.",
    );
    expect(lines).toContain(
      `1 of them (${ids[0]}) was adopted from ClearML's autoscaler and does not power itself off (it runs ClearML's ` +
        "startup script, with no lease watchdog): terminate it, or restart ClearML's autoscaler to scale it down.",
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\+1 from ClearML's autoscaler keeps running \\(${ids[1]}; idle, \\$0\\.50/h\\)`),
    );
  });
});

describe("ClearML's instances under another workers prefix", () => {
  const ignored = () =>
    (world?.store.getState().events ?? []).filter((e) =>
      /named as ClearML's autoscaler names its workers/.test(e.message),
    );

  it('workers of another prefix on a configured queue: said once, with the prefix setting to change', async () => {
    world = await startWorld();
    const config = makeConfig({ scaling: { workersPrefix: 'dyn' } });
    world.clearml.createQueue('gpu');
    world.clearml.createQueue('cpu');
    const ids = await launchClearmlAutoscalerInstances({
      endpoint: world.ec2.url,
      region: 'us-east-1',
      credentials: AWS,
      apiHost: world.clearml.url,
      instances: [0, 1].map(() => ({
        prefix: 'dynamic_worker',
        resource: 'gpu_a',
        instanceType: 'g4dn.xlarge',
        queue: 'gpu',
      })),
    });
    const engine = world.newEngine(config);
    await world.run(engine, 120);
    // Nothing waits: not looked for yet.
    expect(ignored()).toEqual([]);
    // Four tasks: their agents take two, and two wait for launches of this app's.
    addTasks(world.clearml, 'gpu', 4, 3600);
    await world.run(engine, 15);
    const said = ignored();
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toBe(
      "2 workers (0 idle) named as ClearML's autoscaler names its workers listen on 'gpu' with prefix 'dynamic_worker', " +
        "not this app's 'dyn': ignored (not counted as capacity, not offered for adoption), so tasks there get " +
        "launches of this app's; if ClearML's autoscaler launched them, set scaling.workersPrefix to 'dynamic_worker'",
    );
    expect([...said[0]!.instanceIds!].sort()).toEqual([...ids].sort());
    // Once: more waiting tasks later do not say it again.
    addTasks(world.clearml, 'gpu', 2, 3600);
    await world.run(engine, 30 * 60);
    expect(ignored()).toHaveLength(1);
  });

  it('nothing said of workers of our own prefix, or of another prefix on a queue not configured', async () => {
    const { engine } = await twoClearmlInstances();
    if (!world) throw new Error('the world did not start');
    world.clearml.createQueue('other');
    world.clearml.registerWorker('dynamic_worker:gpu_a:g4dn.xlarge:i-0123456789abcdef0', ['other']);
    // Tasks wait (ClearML's two instances take two; two get launches): the workers are looked at.
    addTasks(world.clearml, 'gpu', 4, 3600);
    await world.run(engine, 180);
    expect(world.ec2.instances().length).toBeGreaterThan(2);
    expect(ignored()).toEqual([]);
  });
});
