/**
 * The headless view: aligned event rows with instance ids, decision lines folded into the launch lines that say
 * the same, a status line that counts instances launched this tick, and an end-of-run summary.
 */
import { describe, expect, it } from 'vitest';
import {
  DecisionFilter,
  RunTally,
  TALLY_REMEMBERED_IDS,
  counts,
  dayLine,
  eventRow,
  statusLine,
} from '../../electron/engine/cli/view.js';
import { createView } from '../../electron/engine/cli/terminal.js';
import { emptySnapshot, type EngineEvent, type InstanceView, type Snapshot } from '../../shared/domain.js';
import { T0 } from './fixtures.js';

let seq = 0;
const ev = (e: Partial<EngineEvent>): EngineEvent => ({
  id: ++seq,
  at: T0,
  level: 'info',
  kind: 'engine',
  message: 'x',
  ...e,
});
const inst = (id: string, phase: InstanceView['phase'], task?: string): InstanceView => ({
  instanceId: id,
  queue: 'gpu',
  resource: 'gpu_a',
  instanceType: 'g4dn.xlarge',
  market: 'spot',
  zone: 'us-east-1a',
  state: 'running',
  phase,
  launchedAt: T0 - 60_000,
  uptimeSec: 60,
  idleSec: phase === 'idle' ? 30 : null,
  workerId: null,
  task: task ? { id: task } : null,
  hourlyPrice: 0.5,
  costSoFar: 0.01,
});
const snap = (over: Partial<Snapshot>): Snapshot => ({
  ...emptySnapshot(),
  status: 'watching',
  lastTickAt: T0,
  lastTickOkAt: T0,
  ...over,
});

describe('eventRow', () => {
  it('aligns time, level, kind and queue in fixed columns', () => {
    const rows = [
      eventRow(ev({ kind: 'launch', queue: 'gpu', message: 'launched 1 × g4dn.xlarge (i-1)' })),
      eventRow(ev({ kind: 'terminate', level: 'warn', queue: 'a-very-long-queue-name', message: 'terminated' })),
      eventRow(ev({ kind: 'error', level: 'error', message: 'EC2 could not be read' })),
    ];
    expect(rows[0]).toBe('12:00:00  INFO   launch         gpu           launched 1 × g4dn.xlarge (i-1)');
    const messageColumn = rows.map((r) =>
      r.indexOf(r.includes('launched') ? 'launched' : r.includes('terminated') ? 'terminated' : 'EC2'),
    );
    expect(new Set(messageColumn).size).toBe(1);
  });

  it('adds the instance ids a message does not already name', () => {
    expect(
      eventRow(ev({ kind: 'terminate', instanceIds: ['i-a', 'i-b'], message: 'terminated 2 instances: idle' })),
    ).toMatch(/terminated 2 instances: idle \[i-a, i-b\]$/);
    expect(eventRow(ev({ kind: 'launch', instanceIds: ['i-a'], message: 'launched (i-a)' }))).toMatch(
      /launched \(i-a\)$/,
    );
  });

  it('colours by level when given a painter', () => {
    const paint = {
      red: (s: string) => `<r>${s}</r>`,
      yellow: (s: string) => `<y>${s}</y>`,
      green: (s: string) => `<g>${s}</g>`,
      cyan: (s: string) => s,
      dim: (s: string) => s,
      bold: (s: string) => s,
    };
    expect(eventRow(ev({ level: 'error', kind: 'error', message: 'boom' }), paint)).toContain('<r>ERROR</r>');
    expect(eventRow(ev({ level: 'warn' }), paint)).toContain('<y>WARN </y>');
    expect(eventRow(ev({}), paint)).toContain('<g>INFO </g>');
  });
});

describe('DecisionFilter', () => {
  it('drops a decision its launch lines repeat, keeps one that launched nothing', () => {
    const f = new DecisionFilter();
    expect(f.event(ev({ kind: 'decision', queue: 'gpu', message: 'launched 3 × g4dn.xlarge' }))).toEqual([]);
    expect(f.event(ev({ kind: 'decision', queue: 'cpu', message: '2 pending, not launched: cap reached' }))).toEqual(
      [],
    );
    const launch = ev({ kind: 'launch', queue: 'gpu', message: 'launched 3 × g4dn.xlarge (i-1, i-2, i-3)' });
    expect(f.event(launch)).toEqual([launch]);
    expect(f.flush().map((e) => e.queue)).toEqual(['cpu']);
    expect(f.flush()).toEqual([]);
  });
});

describe('status line', () => {
  it('counts instances launched this tick (not listed by EC2 yet) as booting', () => {
    const s = snap({
      status: 'scaling',
      instances: [inst('i-1', 'busy', 't1')],
      queues: [
        {
          name: 'gpu',
          exists: true,
          pending: 4,
          oldestWaitSec: 30,
          busy: 1,
          idle: 0,
          booting: 0,
          resources: [],
          paused: false,
          lastDecision: null,
        },
      ],
      events: [
        ev({ kind: 'launch', at: T0 + 500, instanceIds: ['i-2', 'i-3'] }),
        ev({ kind: 'launch', at: T0 - 15_000, instanceIds: ['i-1'] }),
      ],
    });
    expect(counts(s)).toEqual({ pending: 4, instances: 3, busy: 1, idle: 0, booting: 2 });
    expect(statusLine(s)).toBe('scaling · 4 pending · 3 instances (1 busy, 0 idle, 2 booting) · $0.00/h');
  });

  it('says the pending count is unknown, not 0, when the last poll did not read ClearML', () => {
    const s = snap({ status: 'error', lastTickOkAt: T0 - 15_000, statusReason: 'ClearML could not be read' });
    expect(counts(s).pending).toBeNull();
    expect(statusLine(s)).toMatch(/^error · pending unknown · 0 instances/);
  });

  it('says why on error', () => {
    expect(statusLine(snap({ status: 'error', statusReason: 'EC2 could not be read' }))).toMatch(
      /^error · .* · EC2 could not be read$/,
    );
  });
});

describe('RunTally', () => {
  it('sums launches, terminations, tasks seen and spend during the run', () => {
    const t = new RunTally();
    t.snapshot(snap({ costs: { ...emptySnapshot().costs, monthToDate: 10 } }));
    t.event(ev({ kind: 'launch', instanceIds: ['i-1', 'i-2'] }));
    t.snapshot(
      snap({
        instances: [inst('i-1', 'busy', 'task-a'), inst('i-2', 'busy', 'task-b')],
        costs: { ...emptySnapshot().costs, monthToDate: 10.5, burnPerHour: 1 },
      }),
    );
    t.snapshot(
      snap({
        instances: [inst('i-1', 'busy', 'task-c'), inst('i-2', 'idle')],
        costs: { ...emptySnapshot().costs, monthToDate: 10.75, burnPerHour: 1 },
      }),
    );
    t.event(ev({ kind: 'terminate', instanceIds: ['i-2'] }));
    t.event(ev({ kind: 'error', level: 'error' }));
    const lines = t.summary({ demo: false, lease: true, startedAt: T0, now: T0 + 150_000 });
    expect(lines).toEqual([
      'Run summary (2.5 min):',
      '  launched     2 instances',
      '  terminated   1 instance',
      '  tasks served 3',
      '  spend        $0.75 during this run',
      '  errors       1',
      // i-2 was terminated after the last snapshot listed it.
      '1 instance keeps running ($0.50/h): the next start adopts it from its EC2 tags, and an idle one powers itself off once its lease runs out.',
    ]);
    expect(t.summary({ demo: true, lease: true, startedAt: T0, now: T0 }).at(-1)).toBe(
      'The demo world ends with this process: its emulated instances are gone.',
    );
    // One left running: the count and the verb agree.
    t.snapshot(snap({ instances: [inst('i-1', 'idle')], costs: { ...emptySnapshot().costs, burnPerHour: 0.5 } }));
    expect(t.summary({ demo: false, lease: false, startedAt: T0, now: T0 }).at(-1)).toBe(
      '1 instance keeps running ($0.50/h): the next start adopts it from its EC2 tags.',
    );
  });

  it.each([
    ['across the 1st of a month (UTC): the new month starts at 0', [10, 10.5, 0.25, 0.5], true, '$1.00'],
    ["without a history, across midnight UTC: today's estimate starts at 0", [3, 3.5, 0.1], false, '$0.60'],
  ] as const)('spend during the run %s', (_n, figures, month, spend) => {
    const t = new RunTally();
    for (const x of figures)
      t.snapshot(snap({ costs: { ...emptySnapshot().costs, ...(month ? { monthToDate: x } : { spendToday: x }) } }));
    expect(t.summary({ demo: false, lease: false, startedAt: T0, now: T0 })).toContain(
      `  spend        ${spend} during this run`,
    );
  });

  it("the cost history opening during the run does not count the month's spend before it as the run's", () => {
    const t = new RunTally();
    t.snapshot(snap({ costs: { ...emptySnapshot().costs, spendToday: 0.5 } }));
    t.snapshot(snap({ costs: { ...emptySnapshot().costs, spendToday: 0.75 } }));
    // Opened: this month's $40 so far, then $0.25 more.
    t.snapshot(snap({ costs: { ...emptySnapshot().costs, spendToday: 1, monthToDate: 40 } }));
    t.snapshot(snap({ costs: { ...emptySnapshot().costs, spendToday: 1.25, monthToDate: 40.25 } }));
    expect(t.summary({ demo: false, lease: false, startedAt: T0, now: T0 })).toContain(
      '  spend        $0.50 during this run',
    );
  });

  it("counts the last tick's launches and terminations, which no snapshot showed", () => {
    // A stop during the run's first launch: the snapshot is from before it, and nothing of that resource was priced.
    const first = new RunTally();
    first.snapshot(snap({}));
    first.event(ev({ kind: 'launch', resource: 'gpu_a', instanceIds: ['i-1', 'i-2', 'i-3'] }));
    expect(first.summary({ demo: false, lease: false, startedAt: T0, now: T0 }).at(-1)).toBe(
      '3 instances keep running: the next start adopts them from their EC2 tags.',
    );

    // Launched next to a listed instance of the same resource: priced as it is.
    const more = new RunTally();
    more.snapshot(snap({ instances: [inst('i-1', 'busy', 'a')] }));
    more.event(ev({ kind: 'launch', resource: 'gpu_a', instanceIds: ['i-2', 'i-3'] }));
    more.event(ev({ kind: 'launch', resource: 'cpu_b', instanceIds: ['i-4'] }));
    expect(more.summary({ demo: false, lease: false, startedAt: T0, now: T0 }).at(-1)).toBe(
      '4 instances keep running (at least $1.50/h): the next start adopts them from their EC2 tags.',
    );

    // The last tick terminated everything the last snapshot listed.
    const done = new RunTally();
    done.event(ev({ kind: 'launch', resource: 'gpu_a', instanceIds: ['i-1', 'i-2', 'i-3'] }));
    done.snapshot(snap({ instances: [inst('i-1', 'idle'), inst('i-2', 'idle'), inst('i-3', 'idle')] }));
    // i-3 ended on its own (a spot reclaim): no longer listed, and not counted again as a launch.
    done.snapshot(snap({ instances: [inst('i-1', 'idle'), inst('i-2', 'idle')] }));
    done.event(ev({ kind: 'terminate', instanceIds: ['i-1', 'i-2'] }));
    expect(done.summary({ demo: false, lease: false, startedAt: T0, now: T0 }).at(-1)).toBe(
      'No instances are running.',
    );
  });

  it('holds a bounded number of ids over weeks of a busy run, and counts every launch, termination and task', () => {
    // 4 weeks of 10-min ticks: 4 launches a tick, each listed from the next tick running 3 tasks, terminated after
    // an hour. Before, every instance and task id of the run was held to the end (about 96,000 here).
    const t = new RunTally();
    const live: { id: string; born: number }[] = [];
    let n = 0;
    const ticks = 28 * 144;
    for (let k = 0; k < ticks; k++) {
      const at = T0 + k * 600_000;
      const ending = live.filter((i) => k - i.born >= 6);
      if (ending.length) t.event(ev({ at, kind: 'terminate', instanceIds: ending.map((i) => i.id) }));
      live.splice(0, ending.length);
      const born = Array.from({ length: 4 }, () => ({ id: `i-${++n}`, born: k }));
      t.snapshot(
        snap({
          lastTickAt: at,
          instances: live.map((i) => inst(i.id, 'busy', `${i.id}-task-${Math.floor((k - i.born) / 2)}`)),
        }),
      );
      t.event(ev({ at, kind: 'launch', resource: 'gpu_a', instanceIds: born.map((i) => i.id) }));
      live.push(...born);
    }
    // One launch EC2 never listed (reclaimed before it was): forgotten an hour later, not left running at the end.
    const end = T0 + ticks * 600_000;
    t.event(ev({ at: end, kind: 'launch', resource: 'gpu_a', instanceIds: ['i-never-listed'] }));
    t.event(ev({ at: end, kind: 'terminate', instanceIds: live.map((i) => i.id) }));
    t.snapshot(snap({ lastTickAt: end + 3_600_001, instances: [] }));
    expect(t.heldIds).toBeLessThanOrEqual(2 * TALLY_REMEMBERED_IDS);
    const lines = t.summary({ demo: false, lease: false, startedAt: T0, now: end });
    expect(lines.slice(1, 4)).toEqual([
      `  launched     ${n + 1} instances`,
      `  terminated   ${n} instances`,
      // Each instance is listed at its 5 ticks after the launch's, running 3 tasks; the last 4 ticks' launches were
      // listed at 0, 1, 2 and 3 ticks of theirs, running 0, 1, 2 and 2 tasks (28 fewer).
      `  tasks served ${n * 3 - 28}`,
    ]);
    expect(lines.at(-1)).toBe('No instances are running.');
  });
});

describe('the day and zone of the rows', () => {
  const at = (iso: string) => Date.parse(iso);
  it.each([
    ['the first row', null, '2026-12-07T15:46:42Z', '── Monday 2026-12-07, times in UTC ──'],
    ['the same UTC day', '2026-12-07T00:00:00Z', '2026-12-07T23:59:59Z', null],
    ['past UTC midnight', '2026-12-07T23:59:59Z', '2026-12-08T00:00:00Z', '── Tuesday 2026-12-08, times in UTC ──'],
  ])('%s', (_what, previous, now, want) => {
    expect(dayLine(previous === null ? null : at(previous), at(now))).toBe(want);
  });

  it('a view writes the day line before the first row and at each day change, never back to an earlier day', () => {
    const lines: string[] = [];
    const view = createView({ write: (c) => (lines.push(c.trimEnd()), true), isTTY: false }, {});
    for (const t of ['2026-12-07T23:59:58Z', '2026-12-07T23:59:59Z', '2026-12-08T00:00:01Z', '2026-12-07T23:59:59Z'])
      view.event(ev({ at: at(t), message: t }));
    expect(lines).toEqual([
      '── Monday 2026-12-07, times in UTC ──',
      expect.stringMatching(/^23:59:58 .*2026-12-07T23:59:58Z$/),
      expect.stringMatching(/^23:59:59 /),
      '── Tuesday 2026-12-08, times in UTC ──',
      expect.stringMatching(/^00:00:01 /),
      expect.stringMatching(/^23:59:59 /),
    ]);
  });
});
