import { describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config.js';
import { DEFAULT_BOOT_SEC } from '../../electron/engine/policy/keep-warm.js';
import { KeptWarmSchema, WarmMemory, type KeptWarm } from '../../electron/engine/policy/warm-memory.js';
import type { InstanceObs, QueueObs, WorkerObs } from '../../electron/engine/ports.js';
import { instance, makeConfig, T0, workerFor } from './fixtures.js';

// What the keep-warm memory learns between ticks (arrivals, boots, task durations) and what it hands the rule
// each tick, read from the rule's input.
const S = 1000;
const MIN = 60 * S;

interface Tick {
  now: number;
  queues?: QueueObs[];
  instances?: InstanceObs[];
  workers?: WorkerObs[];
  unlisted?: [string, number][];
  config?: Config;
  /** False: a tick that only observes (autoscaling off, a standby engine). */
  acting?: boolean;
}

const PRICE: Record<string, number> = { 'm5.large': 0.1, 'g4dn.xlarge': 0.5, 'g5.xlarge': 1.0 };

function tick(m: WarmMemory, t: Tick) {
  const queues = t.queues ?? [];
  const instances = t.instances ?? [];
  const workers = t.workers ?? [];
  m.observe(queues, instances, workers, t.now);
  return m.decide({
    config: t.config ?? makeConfig(),
    now: t.now,
    queues,
    instances,
    workers,
    unlistedByQueue: new Map(t.unlisted ?? []),
    price: (type) => PRICE[type] ?? 0,
    ...(t.acting === undefined ? {} : { acting: t.acting }),
  });
}

/** The 'cpu' queue with these pending task ids, each enqueued at the given time. */
const cpu = (...entries: [string, number][]): QueueObs => ({
  id: 'q-cpu',
  name: 'cpu',
  entries: entries.map(([taskId, addedAt]) => ({ taskId, addedAt })),
});
const cpuInstance = (opts: Partial<InstanceObs> & { ageSec?: number } = {}) =>
  instance('cpu', 'cpu', { instanceType: 'm5.large', ...opts });
/** A worker of `inst` that registered `bootSec` after its launch. */
const registered = (inst: InstanceObs, bootSec: number, task: string | null = null): WorkerObs => ({
  ...workerFor(inst, task),
  registeredAt: inst.launchedAt + bootSec * S,
});

describe('keep-warm memory: arrivals', () => {
  it('counts a task once however many ticks see it pending, at its enqueue time', () => {
    const m = new WarmMemory();
    tick(m, { now: T0, queues: [cpu(['a', T0 - 10 * S])] });
    tick(m, { now: T0 + 15 * S, queues: [cpu(['a', T0 - 10 * S])] });
    const out = tick(m, { now: T0 + 10 * MIN, queues: [cpu(['a', T0 - 10 * S], ['b', T0 + 9 * MIN])] });
    const f = out.get('cpu')!.input.forecast!;
    expect(f.batches).toBe(2);
    expect(f.meanBatchSize).toBe(1);
    expect(f.lastAt).toBe(T0 + 9 * MIN);
  });

  it('reads an enqueue time from before it started watching as its start, and one from the future as now', () => {
    // Enqueued 10 min before the first tick, then one every 10 min: clamped to the first tick, the gaps are all
    // 10 min (a period); taken as given, the first gap would be 20 min (no period).
    const m = new WarmMemory();
    tick(m, { now: T0, queues: [cpu(['a', T0 - 10 * MIN])] });
    for (const k of [1, 2]) tick(m, { now: T0 + k * 10 * MIN + 5 * S, queues: [cpu([`t${k}`, T0 + k * 10 * MIN])] });
    const out = tick(m, { now: T0 + 30 * MIN + 5 * S, queues: [cpu(['t3', T0 + 30 * MIN])] });
    expect(out.get('cpu')!.input.forecast!.periodic?.periodSec).toBeCloseTo(600, 6);
    // A server clock ahead of ours: the task arrived by now, not in 5 min.
    const later = tick(m, { now: T0 + 40 * MIN, queues: [cpu(['t4', T0 + 45 * MIN])] });
    expect(later.get('cpu')!.input.forecast!.lastAt).toBe(T0 + 40 * MIN);
  });

  it("counts a task first seen running on one of the queue's workers as arrived now, and only for its queues", () => {
    const m = new WarmMemory();
    const i = cpuInstance();
    const gpu = instance('gpu', 'gpu_a');
    tick(m, { now: T0, queues: [cpu(['a', T0 - 5 * S])] });
    const out = tick(m, {
      now: T0 + 2 * MIN,
      queues: [cpu(), { id: 'q-gpu', name: 'gpu', entries: [] }],
      instances: [i, gpu],
      workers: [registered(i, 60, 'b'), registered(gpu, 60, 'g')],
    });
    expect(out.get('cpu')!.input.forecast).toMatchObject({ batches: 2, lastAt: T0 + 2 * MIN });
    // The gpu queue saw one task: too few to forecast.
    expect(out.get('gpu')!.input.forecast).toBeNull();
    // 'a' running on the cpu worker later was already counted when it was pending.
    const again = tick(m, { now: T0 + 3 * MIN, queues: [cpu()], instances: [i], workers: [registered(i, 60, 'a')] });
    expect(again.get('cpu')!.input.forecast!.batches).toBe(2);
  });

  it('forgets arrivals older than a day', () => {
    const m = new WarmMemory();
    for (const k of [0, 1, 2]) tick(m, { now: T0 + k * MIN, queues: [cpu([`t${k}`, T0 + k * MIN])] });
    const day = T0 + 2 * MIN + 24 * 60 * MIN;
    // A day after the last of them, nothing left to forecast from.
    expect(tick(m, { now: day + MIN, queues: [cpu()] }).get('cpu')!.input.forecast).toBeNull();
    // Two more: only they count.
    tick(m, { now: day + 2 * MIN, queues: [cpu(['a', day + 2 * MIN])] });
    const out = tick(m, { now: day + 3 * MIN, queues: [cpu(['b', day + 3 * MIN])] });
    expect(out.get('cpu')!.input.forecast!.batches).toBe(2);
  });

  it('keeps at most 512 arrivals, the latest', () => {
    // 600 tasks a minute apart (each its own batch), the last one first seen running on a worker.
    const m = new WarmMemory();
    for (let k = 0; k < 599; k++) tick(m, { now: T0 + k * MIN, queues: [cpu([`t${k}`, T0 + k * MIN])] });
    const i = cpuInstance();
    const out = tick(m, { now: T0 + 599 * MIN, queues: [cpu()], instances: [i], workers: [registered(i, 60, 'x')] });
    expect(out.get('cpu')!.input.forecast).toMatchObject({ batches: 512, lastAt: T0 + 599 * MIN });
  });
});

describe('keep-warm memory: boot times', () => {
  it.each([
    // [name, boots seen (s), mean, high]
    ['none seen: the typical default, and a quarter over it to time a pre-warm', [], DEFAULT_BOOT_SEC, 150],
    ['one fast boot says little about the next: the high mark stays a quarter over the default', [60], 60, 150],
    ['four, one slow: the slowest', [60, 70, 80, 200], 102.5, 200],
    ['five or more: the slowest seen', [60, 70, 80, 90, 100], 80, 100],
  ] as [string, number[], number, number][])('%s', (_n, boots, mean, high) => {
    const m = new WarmMemory();
    const insts = boots.map(() => cpuInstance({ ageSec: 3000 }));
    tick(m, { now: T0, instances: insts, workers: insts.map((i, k) => registered(i, boots[k]!)) });
    expect(m.bootSec()).toBeCloseTo(mean, 9);
    expect(m.bootHighSec()).toBeCloseTo(high, 9);
  });

  it('learns each boot once, only from our listed instances, and ignores impossible ones', () => {
    const m = new WarmMemory();
    const a = cpuInstance({ ageSec: 3000 });
    const unlisted = cpuInstance({ ageSec: 3000 });
    const early = cpuInstance({ ageSec: 3000 });
    const slow = cpuInstance({ ageSec: 5000 });
    const noReg = { ...registered(cpuInstance({ ageSec: 3000 }), 50), registeredAt: null };
    // A worker that is not an instance's (a laptop's agent on the same queue).
    const laptop = { ...registered(a, 90), id: 'laptop-gpu0' };
    const seen = [registered(a, 90), registered(early, 0), registered(slow, 3600), noReg, laptop];
    tick(m, { now: T0, instances: [a, early, slow], workers: [...seen, registered(unlisted, 30)] });
    expect(m.bootSec()).toBe(90);
    // The same worker on later ticks is the same boot.
    tick(m, { now: T0 + 15 * S, instances: [a], workers: [registered(a, 90)] });
    const b = cpuInstance({ ageSec: 3000 });
    tick(m, { now: T0 + 30 * S, instances: [a, b], workers: [registered(a, 90), registered(b, 60)] });
    expect(m.bootSec()).toBe(75);
  });

  it('keeps the latest 20', () => {
    const m = new WarmMemory();
    const boots = [...Array<number>(5).fill(300), ...Array<number>(20).fill(60)];
    boots.forEach((sec, k) => {
      const i = cpuInstance({ ageSec: 3000 });
      tick(m, { now: T0 + k * S, instances: [i], workers: [registered(i, sec)] });
    });
    expect(m.bootSec()).toBe(60);
    expect(m.bootHighSec()).toBe(60);
  });
});

describe('keep-warm memory: task durations', () => {
  /** `n` tasks in turn on one cpu worker, each seen running on `ticks` 15-s ticks, then gone. */
  function runTasks(m: WarmMemory, n: number, ticks: number, from = 0): number {
    const i = cpuInstance({ instanceId: 'i-0000d00d', ageSec: 3000 });
    let now = T0;
    for (let k = from; k < from + n; k++)
      for (let s = 0; s < ticks; s++) {
        tick(m, { now, queues: [cpu()], instances: [i], workers: [registered(i, 60, `t${k}`)] });
        now += 15 * S;
      }
    tick(m, { now, queues: [cpu()], instances: [i], workers: [registered(i, 60)] });
    return now;
  }

  it('reads a duration from the first tick that saw the task to halfway past the last one', () => {
    // Seen on 3 ticks (0, 15, 30 s), gone at 45 s: 37.5 s. The next task on the same worker ends the one before.
    const m = new WarmMemory();
    const now = runTasks(m, 10, 3);
    const input = tick(m, { now: now + 15 * S, queues: [cpu()] }).get('cpu')!.input;
    expect(input.meanDurationSec).toBeCloseTo(37.5, 9);
    // Ten tasks of 37.5 s in a burst window of two 60-s boots: each holds its worker for 0.3125 of it.
    expect(input.holdShare).toBeCloseTo(37.5 / 120, 9);
  });

  it('ends a task whose worker is gone (its instance stopped) at the tick that no longer sees it', () => {
    const m = new WarmMemory();
    let now = runTasks(m, 9, 3);
    const i = cpuInstance();
    tick(m, { now, queues: [cpu()], instances: [i], workers: [registered(i, 60, 'last')] });
    now += 15 * S;
    tick(m, { now, queues: [cpu()] });
    // Nine of 37.5 s and one of 7.5 s.
    expect(tick(m, { now, queues: [cpu()] }).get('cpu')!.input.meanDurationSec).toBeCloseTo(34.5, 9);
  });

  it('learns nothing from a task seen across a clock step back', () => {
    // Nine of 37.5 s; then one seen from T+15 min that is gone at a tick an hour earlier by the stepped clock.
    const m = new WarmMemory();
    const now = runTasks(m, 9, 3);
    const i = cpuInstance();
    tick(m, { now, queues: [cpu()], instances: [i], workers: [registered(i, 60, 'spans')] });
    tick(m, { now: now - 60 * MIN, queues: [cpu()], instances: [i], workers: [registered(i, 60)] });
    // Still nine: too few for a mean, and none negative kept (the kept file's schema would refuse it).
    expect(tick(m, { now: now - 59 * MIN, queues: [cpu()] }).get('cpu')!.input.meanDurationSec).toBeNull();
    expect(m.kept({ apiHost: 'h', region: 'r', workersPrefix: 'p' }, now).queues['cpu']!.durations).toHaveLength(9);
  });

  it('with fewer than ten seen, says nothing of durations', () => {
    const m = new WarmMemory();
    const now = runTasks(m, 9, 3);
    const input = tick(m, { now, queues: [cpu()] }).get('cpu')!.input;
    expect(input.meanDurationSec).toBeNull();
    expect(input.holdShare).toBe(1);
  });

  it('keeps the latest 200', () => {
    // 10 tasks of 67.5 s, then 200 of 37.5 s: the long ones are gone.
    const m = new WarmMemory();
    runTasks(m, 10, 5);
    const now = runTasks(m, 200, 3, 10);
    expect(tick(m, { now, queues: [cpu()] }).get('cpu')!.input.meanDurationSec).toBeCloseTo(37.5, 9);
  });

  it('counts how long each busy worker has run its task, for the workers likely to free up', () => {
    // Ten tasks of 37.5 s seen; with a 60-s boot, a task 15 s in is likely done within a boot, one a whole minute
    // in has outlived every task seen (too few longer ones to tell).
    const m = new WarmMemory();
    let now = runTasks(m, 10, 3);
    const soon = cpuInstance({ ageSec: 3000 });
    const long = cpuInstance({ ageSec: 3000 });
    const busy = [registered(soon, 60, 'x'), registered(long, 60, 'y')];
    tick(m, { now, queues: [cpu()], instances: [soon, long], workers: [busy[1]!] });
    now += 60 * S;
    tick(m, { now: now - 15 * S, queues: [cpu()], instances: [soon, long], workers: busy });
    const out = tick(m, { now, queues: [cpu()], instances: [soon, long], workers: busy }).get('cpu')!;
    expect(out.freeSoon).toEqual({ count: 1, horizonSec: 60 });
    expect(out.input).toMatchObject({ busy: 2, freeingSoon: 1 });
  });
});

describe('keep-warm memory: what the rule is given each tick', () => {
  it('counts idle, booting and busy instances per queue, and the pending tasks', () => {
    const m = new WarmMemory();
    const idle = [cpuInstance(), cpuInstance({ instanceType: 'g5.xlarge' })];
    const booting = cpuInstance({ state: 'pending', ageSec: 10 });
    const busy = cpuInstance();
    const gone = cpuInstance({ state: 'terminated' });
    // Another engine's worker on one of our instances is not ours: the instance counts as booting.
    const foreign = cpuInstance();
    const foreignWorker = { ...workerFor(foreign), id: `other:cpu:m5.large:${foreign.instanceId}` };
    const out = tick(m, {
      now: T0,
      queues: [cpu(['p1', T0 - 5 * S])],
      instances: [...idle, booting, busy, gone, foreign],
      workers: [...idle.map((i) => registered(i, 60)), registered(busy, 60, 'b'), foreignWorker, workerFor(gone)],
      unlisted: [['cpu', 2]],
    }).get('cpu')!.input;
    expect(out).toMatchObject({
      // Two idle, one taken by the pending task.
      candidates: 1,
      // 2 idle + 2 booting (one pending, the foreign one) + 2 launches not listed yet + 1 pending.
      readyOrPending: 7,
      busy: 1,
      // The dearest idle worker, which goes first.
      pricePerHour: 1.0,
      preference: 'balanced',
      pollSec: makeConfig().scaling.pollingIntervalSec,
      maxIdleSec: 15 * 60,
      now: T0,
    });
  });

  it('bounds the useful idle workers by the peak demand of the last 30 min, less the busy ones', () => {
    const m = new WarmMemory();
    const insts = [cpuInstance(), cpuInstance(), cpuInstance()];
    const busyAll = insts.map((i, k) => registered(i, 60, `b${k}`));
    // Three busy and two pending: a demand of 5.
    tick(m, { now: T0, queues: [cpu(['p1', T0], ['p2', T0])], instances: insts, workers: busyAll });
    // 20 min later one busy, two idle, nothing pending: 5 − 1 = 4 more could be of use.
    const later = [registered(insts[0]!, 60, 'b0'), registered(insts[1]!, 60), registered(insts[2]!, 60)];
    const at20 = tick(m, { now: T0 + 20 * MIN, queues: [cpu()], instances: insts, workers: later });
    expect(at20.get('cpu')!.input.maxUseful).toBe(4);
    // 31 min after the peak it has left the window: the peak is the 20-min tick's 1.
    const at31 = tick(m, { now: T0 + 31 * MIN, queues: [cpu()], instances: insts, workers: later });
    expect(at31.get('cpu')!.input.maxUseful).toBe(0);
  });

  it('skips queues that are not configured, and gives latency no busy workers to wait for', () => {
    const m = new WarmMemory();
    const stray = { id: 'q-x', name: 'unknown', entries: [{ taskId: 'u', addedAt: T0 }] };
    const latency = makeConfig({ scaling: { ...makeConfig().scaling, preference: 'latency' } });
    let now = T0;
    const i = cpuInstance({ ageSec: 3000 });
    for (let k = 0; k < 10; k++) {
      tick(m, { now, queues: [cpu()], instances: [i], workers: [registered(i, 60, `t${k}`)], config: latency });
      now += 15 * S;
    }
    const out = tick(m, {
      now,
      queues: [cpu(), stray],
      instances: [i],
      workers: [registered(i, 60, 'last')],
      config: latency,
    });
    expect([...out.keys()]).toEqual(['cpu']);
    expect(out.get('cpu')!.freeSoon).toEqual({ count: 0, horizonSec: 0 });
    expect(out.get('cpu')!.input.preference).toBe('latency');
  });

  it('remembers the slot it pre-warmed for, so the rule starts it once', () => {
    // Tasks every 10 min; 9 min after the last, nothing ready: the next slot is pre-warmed once.
    const m = new WarmMemory();
    for (let k = 0; k < 5; k++) tick(m, { now: T0 + k * 10 * MIN, queues: [cpu([`t${k}`, T0 + k * 10 * MIN])] });
    const first = tick(m, { now: T0 + 49 * MIN, queues: [cpu()] }).get('cpu')!;
    expect(first.verdict.prewarm).toBe(1);
    expect(first.input.prewarmedSlotAt).toBeNull();
    const second = tick(m, { now: T0 + 49 * MIN + 15 * S, queues: [cpu()] }).get('cpu')!;
    expect(second.input.prewarmedSlotAt).toBe(first.verdict.prewarmSlotAt);
    expect(second.verdict.prewarm).toBe(0);
    // Still remembered after a tick that pre-warmed nothing.
    const third = tick(m, { now: T0 + 49 * MIN + 30 * S, queues: [cpu()] }).get('cpu')!;
    expect(third.input.prewarmedSlotAt).toBe(first.verdict.prewarmSlotAt);
  });

  it('leaves a slot unmarked on ticks that only observe, so an engine turned on before the slot pre-warms it', () => {
    const m = new WarmMemory();
    for (let k = 0; k < 5; k++)
      tick(m, { now: T0 + k * 10 * MIN, queues: [cpu([`t${k}`, T0 + k * 10 * MIN])], acting: false });
    const watched = tick(m, { now: T0 + 49 * MIN, queues: [cpu()], acting: false }).get('cpu')!;
    // The rule would pre-warm (the memory learned the period while watching), but nothing was launched.
    expect(watched.verdict.prewarm).toBe(1);
    const on = tick(m, { now: T0 + 49 * MIN + 15 * S, queues: [cpu()] }).get('cpu')!;
    expect(on.input.prewarmedSlotAt).toBeNull();
    expect(on.verdict.prewarm).toBe(1);
    expect(on.verdict.prewarmSlotAt).toBe(watched.verdict.prewarmSlotAt);
  });
});

describe('keep-warm memory: kept across a restart', () => {
  const WORLD = { apiHost: 'https://api.clear.ml', region: 'us-east-1', workersPrefix: 'dyn' };
  /** A memory that saw a periodic 'cpu' queue (a task every 10 min, a minute long: twelve of them) and two boots. */
  function learnt(): { m: WarmMemory; lastAt: number } {
    const m = new WarmMemory();
    const i = cpuInstance();
    const j = cpuInstance({ instanceId: 'i-0000000000000bbbb' });
    for (let k = 0; k < 12; k++) {
      const at = T0 + k * 10 * MIN;
      tick(m, {
        now: at,
        queues: [cpu([`t${k}`, at])],
        instances: [i, j],
        workers: [registered(i, 60), registered(j, 90)],
      });
      tick(m, {
        now: at + 15 * S,
        queues: [cpu()],
        instances: [i, j],
        workers: [registered(i, 60, `t${k}`), registered(j, 90)],
      });
      tick(m, {
        now: at + 75 * S,
        queues: [cpu()],
        instances: [i, j],
        workers: [registered(i, 60), registered(j, 90)],
      });
    }
    return { m, lastAt: T0 + 110 * MIN };
  }
  const forecastAt = (m: WarmMemory, now: number, queues = [cpu()]) => tick(m, { now, queues }).get('cpu')!.input;

  it.each([
    ['a restart within 2 min: everything, as if it had watched throughout', 2 * MIN, 'all'],
    ['a longer gap: boot and task times only, arrivals are learnt again', 2 * MIN + S, 'times'],
  ] as const)('%s', (_, gapMs, taken) => {
    const { m, lastAt } = learnt();
    const savedAt = lastAt + 2 * MIN;
    const kept = m.kept(WORLD, savedAt);
    // Through JSON and the schema, as the file is read back.
    const back = KeptWarmSchema.parse(JSON.parse(JSON.stringify(kept)));
    const now = savedAt + gapMs;
    const next = new WarmMemory();
    expect(next.resume(back, WORLD, now)).toMatchObject({ taken, boots: 2, durations: 12, queues: 1 });
    // What the rule is given at the next tick, against the memory that never stopped.
    const [resumed, throughout] = [forecastAt(next, now), forecastAt(m, now)];
    expect(resumed.bootSec).toBe(75);
    expect(resumed.meanDurationSec).not.toBeNull();
    for (const k of ['bootSec', 'bootHighSec', 'meanDurationSec', 'holdShare'] as const)
      expect(resumed[k]).toBe(throughout[k]);
    if (taken === 'all') expect(resumed.forecast).toEqual(throughout.forecast);
    else expect([resumed.forecast, throughout.forecast?.periodic?.periodSec]).toEqual([null, 600]);
  });

  it('counts a task still pending after the restart once', () => {
    const { m, lastAt } = learnt();
    const now = lastAt + 10 * MIN;
    const before = tick(m, { now, queues: [cpu(['t12', now])] }).get('cpu')!;
    const next = new WarmMemory();
    next.resume(KeptWarmSchema.parse(JSON.parse(JSON.stringify(m.kept(WORLD, now)))), WORLD, now + MIN);
    const after = tick(next, { now: now + MIN, queues: [cpu(['t12', now])] }).get('cpu')!;
    expect(after.input.forecast).toMatchObject({ batches: before.input.forecast!.batches, meanBatchSize: 1 });
  });

  it('does not pre-warm again for a slot it pre-warmed before the restart', () => {
    const { m, lastAt } = learnt();
    // A minute before the next slot, nothing up: one is started ahead of it.
    const due = lastAt + 9 * MIN;
    const first = tick(m, { now: due, queues: [cpu()] }).get('cpu')!.verdict;
    expect(first.prewarm).toBe(1);
    const next = new WarmMemory();
    next.resume(KeptWarmSchema.parse(JSON.parse(JSON.stringify(m.kept(WORLD, due)))), WORLD, due + 15 * S);
    const again = tick(next, { now: due + 15 * S, queues: [cpu()], unlisted: [['cpu', 1]] }).get('cpu')!;
    expect(again.input.prewarmedSlotAt).toBe(first.prewarmSlotAt);
    expect(tick(next, { now: due + 30 * S, queues: [cpu()] }).get('cpu')!.verdict.prewarm).toBe(0);
  });

  it.each([
    ['another ClearML server', { ...WORLD, apiHost: 'https://clearml.example.com' }],
    ['another region', { ...WORLD, region: 'eu-west-1' }],
    ['another workers prefix', { ...WORLD, workersPrefix: 'other' }],
  ])('takes nothing from %s', (_, world) => {
    const { m, lastAt } = learnt();
    const next = new WarmMemory();
    expect(next.resume(m.kept(WORLD, lastAt), world, lastAt + S).taken).toBe('none');
    expect(forecastAt(next, lastAt + S).bootSec).toBe(DEFAULT_BOOT_SEC);
  });

  it('reads a clock gone back as a long gap', () => {
    const { m, lastAt } = learnt();
    expect(new WarmMemory().resume(m.kept(WORLD, lastAt), WORLD, lastAt - MIN).taken).toBe('times');
  });

  it.each([
    [
      'more arrivals than it ever keeps',
      (k: KeptWarm) => ({ ...k, queues: { cpu: { ...k.queues['cpu']!, arrivals: Array(513).fill(T0) } } }),
    ],
    ['a time that is not a number', (k: KeptWarm) => ({ ...k, savedAt: 'soon' })],
    ['another version', (k: KeptWarm) => ({ ...k, version: 2 })],
  ])('refuses a kept file with %s', (_, spoil) => {
    const { m, lastAt } = learnt();
    expect(KeptWarmSchema.safeParse(spoil(m.kept(WORLD, lastAt))).success).toBe(false);
  });

  it('drops an impossible boot or task duration alone and keeps the rest', () => {
    const { m, lastAt } = learnt();
    const k = m.kept(WORLD, lastAt);
    const cpuKept = k.queues['cpu']!;
    const spoilt = {
      ...k,
      boots: [-5, ...k.boots, 7200],
      queues: { cpu: { ...cpuKept, durations: [...cpuKept.durations, -3592.95, 0] } },
    };
    const back = KeptWarmSchema.parse(JSON.parse(JSON.stringify(spoilt)));
    expect(back.boots).toEqual(k.boots);
    expect(back.queues['cpu']!.durations).toEqual(cpuKept.durations);
  });
});
