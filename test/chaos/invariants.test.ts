// The invariant checker on hand-made histories: each invariant fires on a history that breaks it and stays quiet on
// the closest history that does not, so a silent chaos run means the engine held, not that the checker is blind.
import { describe, expect, it } from 'vitest';
import { chaosConfig } from './chaos.js';
import {
  checkInvariants,
  INVARIANTS,
  type History,
  type InstanceRecord,
  type InvariantName,
  type Sample,
  type TaskEnd,
} from './invariants.js';

const T = Date.UTC(2026, 0, 1);
const POLL = 15_000;
const min = (m: number) => T + m * 60_000;
const none: Record<string, number> = {};
const gone: Sample['workers'] = {};

function inst(id: string, patch: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id,
    queue: 'cpu',
    resource: 'cpu',
    injected: false,
    explained: true,
    launchedAt: min(0),
    endedAt: null,
    endReason: null,
    registeredAt: min(1),
    ...patch,
  };
}

/** One sample per poll from `from` to `to` minutes; `at` fills in the rest. */
function samples(from: number, to: number, at: (m: number) => Partial<Sample>): Sample[] {
  const out: Sample[] = [];
  for (let t = min(from); t <= min(to); t += POLL) {
    const m = (t - T) / 60_000;
    out.push({
      at: t,
      incarnation: 1,
      ticked: true,
      ok: true,
      healthy: true,
      pending: { cpu: 0, gpu: 0 },
      busy: {},
      workers: {},
      ...at(m),
    });
  }
  return out;
}

function history(patch: Partial<History>): History {
  return {
    config: chaosConfig(), // cpu cap 3, global cap 6, maxIdle 4 min, spin-up 8 min
    end: min(60),
    pollMs: POLL,
    resendWindowMs: 5 * 60_000,
    listingDelayMs: 0,
    orphanGraceMs: 60_000,
    samples: [],
    instances: [],
    terminations: [],
    prewarms: [],
    tasks: [],
    ...patch,
  };
}

function fired(h: History): InvariantName[] {
  const v = checkInvariants(h);
  return INVARIANTS.filter((n) => v[n].length > 0);
}

const task = (patch: Partial<TaskEnd>): TaskEnd => ({
  id: 't',
  queue: 'cpu',
  status: 'completed',
  queued: false,
  onLiveWorker: false,
  dueAt: null,
  lastWorker: null,
  ...patch,
});

describe('invariants', () => {
  it('a quiet history violates nothing', () => {
    expect(fired(history({ samples: samples(0, 10, () => ({})) }))).toEqual([]);
  });

  describe('launchBeyondCap', () => {
    const four = ['a', 'b', 'c', 'd'].map((id, i) => inst(id, { launchedAt: min(i) }));
    const demand = samples(0, 10, () => ({ pending: { cpu: 9, gpu: 0 } }));
    it('fires on a 4th live cpu instance (cap 3)', () => {
      expect(fired(history({ instances: four, samples: demand }))).toContain('launchBeyondCap');
    });
    it('not when one ended before the 4th launch', () => {
      const ok = four.map((i) => (i.id === 'a' ? { ...i, endedAt: min(2.5) } : i));
      expect(fired(history({ instances: ok, samples: demand }))).not.toContain('launchBeyondCap');
    });
    it('fires on the global cap (6), orphans counted', () => {
      const list = [
        ...['o1', 'o2', 'o3', 'o4'].map((id) => inst(id, { injected: true, explained: false, resource: 'retired' })),
        inst('c1', { launchedAt: min(1) }),
        inst('g1', { queue: 'gpu', resource: 'gpu_b', launchedAt: min(2) }),
        inst('g2', { queue: 'gpu', resource: 'gpu_b', launchedAt: min(3) }),
      ];
      const s = samples(0, 10, () => ({ pending: { cpu: 9, gpu: 9 } }));
      expect(checkInvariants(history({ instances: list, samples: s })).launchBeyondCap.map((v) => v.detail)).toEqual([
        'g2: 7 live in total, cap 6',
      ]);
    });
  });

  describe('doubleLaunch', () => {
    it('fires when a second instance is launched for one pending task', () => {
      const h = history({
        instances: [inst('a', { launchedAt: min(0) }), inst('b', { launchedAt: min(0.5) })],
        samples: samples(0, 2, () => ({ pending: { cpu: 1, gpu: 0 } })),
      });
      expect(fired(h)).toEqual(['doubleLaunch']);
    });
    it('not when the demand was two', () => {
      const h = history({
        instances: [inst('a', { launchedAt: min(0) }), inst('b', { launchedAt: min(0.5) })],
        samples: samples(0, 2, () => ({ pending: { cpu: 2, gpu: 0 } })),
      });
      expect(fired(h)).toEqual([]);
    });
    it('busy instances are demand too; an idle orphan and a never-registered one are not useful', () => {
      const h = (busyDemand: boolean) =>
        history({
          // The first three exist before the history starts (injected: their own launches are not checked here).
          instances: [
            inst('busy1', { launchedAt: min(-30), registeredAt: min(-29), injected: true }),
            inst('orphan', { launchedAt: min(-30), explained: false, resource: 'retired', injected: true }),
            inst('dud', { launchedAt: min(-30), registeredAt: null, injected: true }),
            inst('new', { launchedAt: min(0.5) }),
          ],
          samples: samples(0, 0.5, () => ({
            pending: { cpu: 1, gpu: 0 },
            busy: busyDemand ? { cpu: 1 } : none,
            workers: { busy1: busyDemand ? 'busy' : 'idle', orphan: 'idle', dud: 'none' },
          })),
        });
      expect(fired(h(true))).not.toContain('doubleLaunch');
      // busy1 idle instead: it covers the pending task, so launching 'new' was one too many.
      expect(fired(h(false))).toContain('doubleLaunch');
    });
    it("an orphan's worker that takes one of the tasks the engine launched for does not make those launches double", () => {
      // An orphan (a retired resource, its worker also on 'cpu') and the engine's launches 'a' at 0 and 'b' at 1 min
      // (and a third, 'c', at 1.5 min), against this demand.
      const h = (demand: (m: number) => Partial<Sample>, third = false) =>
        history({
          instances: [
            inst('orphan', {
              launchedAt: min(-30),
              registeredAt: min(-29),
              explained: false,
              resource: 'retired',
              injected: true,
            }),
            inst('a', { launchedAt: min(0) }),
            inst('b', { launchedAt: min(1) }),
            ...(third ? [inst('c', { launchedAt: min(1.5) })] : []),
          ],
          samples: samples(0, 2, demand),
        });
      // Two pending; the orphan's worker takes one of them as 'b' is launched.
      const takesOne = (m: number): Partial<Sample> =>
        m < 1
          ? { pending: { cpu: 2, gpu: 0 }, workers: { orphan: 'idle' } }
          : { pending: { cpu: 1, gpu: 0 }, busy: { cpu: 1 }, workers: { orphan: 'busy' } };
      expect(fired(h(takesOne))).toEqual([]);
      // A third launch for the two tasks is one too many, orphan or not.
      expect(fired(h(takesOne, true))).toEqual(['doubleLaunch']);
      // The orphan's task is not the engine's demand: with it busy all along and one task pending, two launches
      // are one too many.
      const busyAllAlong = (): Partial<Sample> => ({
        pending: { cpu: 1, gpu: 0 },
        busy: { cpu: 1 },
        workers: { orphan: 'busy' },
      });
      expect(fired(h(busyAllAlong))).toEqual(['doubleLaunch']);
    });
    it('a pre-warm may run ahead of the demand by the tasks the engine said it expected, and no further', () => {
      const h = (expected: number, announcedAt: number) =>
        history({
          instances: [inst('a', { launchedAt: min(1) }), inst('b', { launchedAt: min(1) })],
          samples: samples(0, 2, () => ({})),
          prewarms: [{ at: min(announcedAt), queue: 'cpu', count: expected }],
        });
      expect(fired(h(2, 1))).toEqual([]);
      // Said once RunInstances answered, up to 2 polls after the launch; not later.
      expect(fired(h(2, 1.5))).toEqual([]);
      expect(fired(h(2, 2))).toEqual(['doubleLaunch']);
      expect(fired(h(1, 1))).toEqual(['doubleLaunch']);
      // Announced for the other queue, or long before the window: no allowance.
      expect(fired({ ...h(2, 1), prewarms: [{ at: min(1), queue: 'gpu', count: 2 }] })).toEqual(['doubleLaunch']);
      expect(fired(h(2, -30))).toEqual(['doubleLaunch']);
    });
    it('a re-sent launch may serve the demand of the tick that planned it, within the re-send window', () => {
      const demand = (m: number) => ({ pending: { cpu: m < 2 ? 1 : 0, gpu: 0 } });
      const resent = (at: number) =>
        history({ instances: [inst('r', { launchedAt: min(at) })], samples: samples(0, 12, demand) });
      expect(fired(resent(6))).toEqual([]);
      expect(fired(resent(8))).toEqual(['doubleLaunch']);
    });
  });

  it('busyTerminated fires on a termination of a busy instance only', () => {
    const h = (busy: boolean) =>
      history({ terminations: [{ at: min(3), instanceId: 'a', busy, taskId: busy ? 't1' : null }] });
    expect(fired(h(true))).toEqual(['busyTerminated']);
    expect(fired(h(false))).toEqual([]);
  });

  describe('tasks at the end of the run', () => {
    const cases: [string, Partial<TaskEnd>, InvariantName | null][] = [
      ['completed', {}, null],
      ['still queued → stuck', { status: 'queued', queued: true }, 'taskStuck'],
      ['running on a live worker, not due yet', { status: 'in_progress', onLiveWorker: true, dueAt: min(70) }, null],
      [
        'running on a live worker past its end → stuck',
        { status: 'in_progress', onLiveWorker: true, dueAt: min(20) },
        'taskStuck',
      ],
      ['in_progress on a dead worker → lost', { status: 'in_progress', onLiveWorker: false }, 'taskLost'],
      ['stopped and not queued → lost', { status: 'stopped' }, 'taskLost'],
    ];
    for (const [name, patch, want] of cases) {
      it(name, () => expect(fired(history({ tasks: [task(patch)] }))).toEqual(want ? [want] : []));
    }
    it('still queued while its queue ran at its cap to the end (cpu: 3) → waiting, not stuck', () => {
      const queued = [task({ status: 'queued', queued: true })];
      // The last spin-up time (8 min) + 2 polls before the end (60 min), at the cap or with room at some point.
      const atCap = samples(50, 60, () => ({ busy: { cpu: 3 } }));
      const roomAt = (m0: number) => samples(50, 60, (m) => ({ busy: { cpu: m >= m0 && m < m0 + 1 ? 2 : 3 } }));
      expect(fired(history({ tasks: queued, samples: atCap }))).toEqual([]);
      expect(fired(history({ tasks: queued, samples: roomAt(55) }))).toEqual(['taskStuck']);
      // Room long before the window does not count.
      expect(fired(history({ tasks: queued, samples: roomAt(50) }))).toEqual([]);
      // The global cap (6) reached by both queues together counts as full too.
      const globalFull = samples(50, 60, () => ({ busy: { cpu: 2, gpu: 4 } }));
      expect(fired(history({ tasks: queued, samples: globalFull }))).toEqual([]);
    });
  });

  describe('orphanTooOld', () => {
    const orphan = (endedAt: number | null) =>
      inst('o', {
        explained: false,
        injected: true,
        resource: 'retired',
        registeredAt: null,
        endedAt,
        launchedAt: min(0),
      });
    const seen = (endedAt: number | null, healthy = true) =>
      samples(0.25, 6, (m) => ({
        healthy: healthy || m > 5,
        workers: endedAt === null || min(m) < endedAt ? { o: 'none' } : gone,
      }));
    it('fires when it outlives its first sighting + grace by two healthy ticks', () => {
      expect(fired(history({ instances: [orphan(null)], samples: seen(null) }))).toEqual(['orphanTooOld']);
    });
    it('not when terminated by the first tick past the grace', () => {
      expect(fired(history({ instances: [orphan(min(1.25))], samples: seen(min(1.25)) }))).toEqual([]);
    });
    it('the grace runs from the end of the tick that first saw it (its back-offs move the clock)', () => {
      // The tick after the 0.25 min sample ran 20 s; terminated at the first tick past 0.58 + 1 min.
      const slowFirst = (tickEnd: boolean) =>
        seen(min(1.75)).map((x) => (x.at === min(0.25) && tickEnd ? { ...x, tickEndAt: x.at + 20_000 } : x));
      expect(fired(history({ instances: [orphan(min(1.75))], samples: slowFirst(true) }))).toEqual([]);
      expect(fired(history({ instances: [orphan(min(1.75))], samples: slowFirst(false) }))).toEqual(['orphanTooOld']);
    });
    it('unhealthy ticks (nothing could be done) do not count', () => {
      expect(fired(history({ instances: [orphan(min(5.5))], samples: seen(min(5.5), false) }))).toEqual([]);
    });
    it('a never-registered instance past the spin-up time (8 min) is one too', () => {
      // injected: only its lifetime is under test, not its launch.
      const dud = (endedAt: number | null) => inst('d', { registeredAt: null, endedAt, injected: true });
      const s = (endedAt: number | null) =>
        samples(0, 12, (m) => ({
          workers: endedAt === null || min(m) < endedAt ? { d: 'none' } : gone,
        }));
      expect(fired(history({ instances: [dud(null)], samples: s(null) }))).toEqual(['orphanTooOld']);
      expect(fired(history({ instances: [dud(min(8.25))], samples: s(min(8.25)) }))).toEqual([]);
    });
  });

  describe('idleTooLong', () => {
    const idle = (endedAt: number | null, patch: (m: number) => Partial<Sample> = () => ({})) =>
      history({
        instances: [inst('i', { endedAt, injected: true })], // only its idle life is under test, not its launch
        samples: samples(0, 12, (m) => ({
          workers: endedAt === null || min(m) < endedAt ? { i: 'idle' } : {},
          ...patch(m),
        })),
      });
    it('fires when idle on an empty queue two healthy ticks past maxIdle (4 min)', () => {
      expect(fired(idle(null))).toEqual(['idleTooLong']);
    });
    it('not when terminated at the first tick past maxIdle', () => {
      expect(fired(idle(min(4)))).toEqual([]);
    });
    it('pending work on its queue keeps it, legitimately', () => {
      expect(fired(idle(null, () => ({ pending: { cpu: 1, gpu: 0 } })))).toEqual([]);
    });
    it('the timer starts once EC2 lists the instance (here 60 s after its launch at 0)', () => {
      const delayed = (endedAt: number) => ({ ...idle(min(endedAt)), listingDelayMs: 60_000 });
      expect(fired(delayed(4.5))).toEqual([]);
      expect(fired(delayed(5.5))).toEqual(['idleTooLong']);
      expect(fired({ ...delayed(4.5), listingDelayMs: 0 })).toEqual(['idleTooLong']);
    });
    it('a restarted engine starts its idle timer again', () => {
      expect(fired(idle(min(7), (m) => ({ incarnation: m < 3 ? 1 : 2 })))).toEqual([]);
      expect(fired(idle(null, (m) => ({ incarnation: m < 3 ? 1 : 2 })))).toEqual(['idleTooLong']);
    });
  });
});
