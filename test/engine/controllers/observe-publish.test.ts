import { afterEach, describe, expect, it } from 'vitest';
import { EventLog, logDecisions } from '../../../electron/engine/controllers/event-log.js';
import { TAG } from '../../../electron/engine/ports.js';
import { observe } from '../../../electron/engine/controllers/observe.js';
import { Publisher, tickStatus } from '../../../electron/engine/controllers/publish.js';
import { plan } from '../../../electron/engine/policy.js';
import { createMainStore } from '../../../electron/engine/store.js';
import { FakeClearml } from '../../fakes/clearml.js';
import { FakeEc2 } from '../../fakes/ec2.js';
import { standbyLeadership } from '../../fixtures/index.js';
import { instance, makeConfig, policyInput, queue, T0 } from '../fixtures.js';

describe('observe', () => {
  it('reads queues, workers and instances once each', async () => {
    const ec2 = new FakeEc2();
    const clearml = new FakeClearml().addQueue(queue('gpu', 1));
    ec2.add(instance('gpu', 'gpu_a'));
    const r = await observe({ ec2, clearml }, makeConfig(), T0);
    expect(r.ok && r.obs.clearmlOk && r.obs.instances.length === 1 && r.obs.queues.length === 1).toBe(true);
    expect(clearml.calls.map((c) => c.method).sort()).toEqual(['listQueues', 'listWorkers']);
  });

  it('EC2 unreadable: no observation; each side keeps its own failure as thrown', async () => {
    const socket = new Error('socket hang up');
    const unavailable = new Error('503');
    const ec2 = new FakeEc2().failNext('describeInstances', socket);
    const clearml = new FakeClearml().failNext('listWorkers', unavailable);
    expect(await observe({ ec2, clearml }, makeConfig(), T0)).toEqual({
      ok: false,
      ec2Failure: socket,
      clearmlFailure: unavailable,
    });
    clearml.failNext('listWorkers', unavailable);
    const r = await observe({ ec2, clearml }, makeConfig(), T0);
    expect(r.ok && r.obs.clearmlOk).toBe(false);
    expect(r.clearmlFailure).toBe(unavailable);
    const ok = await observe({ ec2, clearml }, makeConfig(), T0);
    expect(ok.ok && ok.obs.clearmlOk && ok.clearmlFailure === null).toBe(true);
  });
});

describe('tickStatus', () => {
  const base = {
    acting: true,
    authBlocked: null,
    clearmlOk: true,
    launchesPaused: false,
    busy: false,
    firstError: null,
  };
  it.each([
    [{}, 'watching', null, undefined],
    [{ busy: true }, 'scaling', null, undefined],
    [{ launchesPaused: true }, 'paused', null, undefined],
    [{ clearmlOk: false, firstError: 'x' }, 'error', 'x', undefined],
    // ClearML's problem is the reason: its place is the fix (EC2's, if any, is not what the reason says).
    [{ clearmlOk: false, firstError: 'x', connectionFix: ['credentials', 'settings'] }, 'error', 'x', ['credentials']],
    [{ clearmlOk: false, firstError: 'x', connectionFix: ['settings'] }, 'error', 'x', ['settings']],
    // Launches refused for want of permission: the AWS keys or their policy.
    [{ authBlocked: 'refused' }, 'error', 'refused', ['credentials']],
    [{ authBlocked: 'refused', connectionFix: ['settings'] }, 'error', 'refused', ['credentials']],
    // Not an error: nowhere to go, whatever the connections say.
    [{ connectionFix: ['settings'] }, 'watching', null, undefined],
    [
      { acting: false, authBlocked: 'refused' },
      'off',
      'Autoscaling is off: nothing is launched or terminated.',
      undefined,
    ],
  ] as const)('%o → %s', (patch, status, reason, fix) => {
    expect(tickStatus({ ...base, ...patch })).toEqual({
      status,
      statusReason: reason,
      ...(fix ? { statusFix: fix } : {}),
    });
  });
});

describe('tickStatus: a standby engine says since when in UTC, whatever zone its host is in', () => {
  // One text for the headless log (rows in UTC), the tray and team viewers in other zones: the host's zone is none
  // of theirs. Node reads TZ again when it is assigned, so each row runs in its own zone.
  const saved = process.env['TZ'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  });
  const since = Date.UTC(2026, 2, 29, 0, 30); // Berlin and London jump forward an hour later
  it.each(['UTC', 'America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Chatham', 'Australia/Lord_Howe'])(
    'TZ=%s',
    (tz) => {
      process.env['TZ'] = tz;
      const t = tickStatus({
        acting: false,
        standby: standbyLeadership({ since }),
        authBlocked: null,
        clearmlOk: true,
        launchesPaused: false,
        busy: false,
        firstError: null,
      });
      expect(t.statusReason).toBe(
        'Standby: gpu-host (eng-host) leads since 00:30 UTC; this engine takes over if it stops renewing for 90 s.',
      );
    },
  );
});

describe('EventLog', () => {
  it('numbers events, keeps the last 500 and logs a repeated key once per 10 minutes', () => {
    let now = T0;
    const seen: number[] = [];
    const log = new EventLog(
      () => now,
      (e) => seen.push(e.id),
    );
    for (let i = 0; i < 505; i++) log.emit({ level: 'info', kind: 'engine', message: `m${i}` });
    expect(log.recent(1000)).toHaveLength(500);
    expect(log.recent(1)[0]).toMatchObject({ id: 505, at: T0, message: 'm504' });
    log.emitOnce('k', { level: 'info', kind: 'decision', message: 'd' });
    now += 10 * 60_000 - 1;
    log.emitOnce('k', { level: 'info', kind: 'decision', message: 'd' });
    now += 1;
    log.emitOnce('k', { level: 'info', kind: 'decision', message: 'd' });
    expect(seen).toHaveLength(507);
  });
});

describe('logDecisions: instances left to finish for another ClearML server', () => {
  const old = 'https://old-clearml.example.com';
  const two = [0, 1].map(() => instance('gpu', 'gpu_a', { ageSec: 3600, tags: { [TAG.server]: old } }));
  it.each([
    [true, /nothing is terminated; leases are not renewed, so each stops once idle after its lease ends/],
    [false, /nothing is terminated and leases are off: terminate them in Instances once their work there is done$/],
  ])('says them once per server, with their ids, every 10 min while they run (leases %s)', (leases, fate) => {
    let now = T0;
    const log = new EventLog(() => now);
    const p = plan(policyInput({ instances: two }));
    logDecisions(log, p, leases);
    logDecisions(log, p, leases);
    now += 10 * 60_000;
    logDecisions(log, p, leases);
    const said = log.recent(10);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatchObject({ level: 'warn', kind: 'orphan', instanceIds: two.map((i) => i.instanceId) });
    expect(said[0]!.message).toMatch(
      new RegExp(`^2 instances launched for ClearML server ${old.replace(/\./g, '\\.')}, not this config's \\(`),
    );
    expect(said[0]!.message).toMatch(fate);
  });
});

describe('logDecisions: the code a notice is decided from', () => {
  it.each([
    ['3 pending at a cap of 2: one left at the instance cap', 3, 'instance-cap'],
    ['1 pending, launched: nothing held', 1, undefined],
  ])('%s', (_n, pending, code) => {
    const log = new EventLog(() => T0);
    logDecisions(log, plan(policyInput({ queues: [queue('gpu', pending)] })), true);
    const [decision] = log.recent(10).filter((e) => e.kind === 'decision');
    expect(decision?.queue).toBe('gpu');
    expect(decision?.code).toBe(code);
  });
});

describe('Publisher', () => {
  /** A publisher over queues gpu (with `pending` tasks) and cpu; `held`: why the plan's launches were not carried out. */
  function gpuPublisher() {
    const store = createMainStore();
    const pub = new Publisher(store, () => ({ price: 1, source: 'test' }));
    const config = makeConfig();
    const publish = (pending: number, now: number, held: 'off' | null = null) =>
      pub.publish({
        now,
        config,
        plan: plan(policyInput({ now, config, queues: [queue('gpu', pending), queue('cpu', 0)] })),
        status: held ? 'off' : 'watching',
        statusReason: null,
        launchesPaused: false,
        pausedQueues: new Set(),
        lastTickOkAt: now,
        events: [],
        costs: undefined,
        adoptable: [],
        held,
      });
    return { store, publish };
  }

  it("publishes a queue's last decision that launched, and keeps it over later quiet ticks", () => {
    const { store, publish } = gpuPublisher();
    publish(1, T0);
    publish(0, T0 + 15_000);
    const gpu = store.getState().queues.find((q) => q.name === 'gpu');
    expect(gpu?.lastDecision).toBe('launched 1 × g4dn.xlarge: 1 pending, 0 idle, 0 booting');
    expect(store.getState().costs.history).toHaveLength(2);
  });

  it('a launch the tick did not carry out reads "would launch", and is not kept as the last decision', () => {
    const { store, publish } = gpuPublisher();
    const gpu = () => store.getState().queues.find((q) => q.name === 'gpu')?.lastDecision;
    publish(1, T0, 'off');
    expect(gpu()).toBe('would launch 1 × g4dn.xlarge (autoscaling is off): 1 pending, 0 idle, 0 booting');
    // Turned on, with the task gone meanwhile: the queue says what it decides now, not what it would have done.
    publish(0, T0 + 15_000, null);
    expect(gpu()).toBe('no pending tasks');
  });
});
