import { describe, expect, it } from 'vitest';
import { queueView } from '../fixtures/views.js';
import { niceMax, shares, spotFraction } from '../../renderer/src/model/costs.js';
import {
  csvField,
  eventCountText,
  eventsToCsv,
  filterEvents,
  EMPTY_EVENT_FILTER,
} from '../../renderer/src/model/events.js';
import { formatAgo, formatDuration, formatMoney } from '../../renderer/src/model/format.js';
import { plural } from '../../shared/words.js';
import {
  EMPTY_FILTER,
  clearmlTaskUrl,
  clearmlWebHost,
  matchesFilter,
  costTitle,
  phaseAside,
  sortInstances,
  terminateConsequence,
} from '../../renderer/src/model/instances.js';
import {
  adoptHeading,
  adoptIntro,
  overviewModel,
  pauseStateText,
  scaleToZeroLine,
  queueFigure,
  queuesUnknownWhy,
  scaleToZeroText,
  STALE_AFTER_SEC,
  withClearml,
} from '../../renderer/src/model/overview.js';
import { emptyCosts, foreignRunning, queuesKnown, type EngineEvent, type InstanceView } from '../../shared/domain.js';
import { instance, snapshot } from './fake-api.js';

describe('format', () => {
  it.each([
    [0, '0s'],
    [59.9, '59s'],
    [75, '1m 15s'],
    [3 * 3600 + 5 * 60 + 9, '3h 5m'],
    [2 * 86400 + 30, '2d 0h'],
    [null, '—'],
  ])('formatDuration(%s) = %s', (sec, text) => expect(formatDuration(sec)).toBe(text));

  it.each([
    [0, '$0.00'],
    [0.004, '< $0.01'],
    [1.5, '$1.50'],
    [1234.5, '$1,235'],
    [Number.NaN, '—'],
  ])('formatMoney(%s) = %s', (n, text) => expect(formatMoney(n)).toBe(text));

  it.each([
    [1, 'instance', undefined, '1 instance'],
    [0, 'instance', undefined, '0 instances'],
    [2000, 'event', undefined, '2000 events'],
    [2, 'entry', 'entries', '2 entries'],
  ] as [number, string, string | undefined, string][])('plural(%s, %s) = %s', (n, word, many, text) =>
    expect(plural(n, word, many)).toBe(text),
  );

  it('formatAgo', () => {
    expect(formatAgo(null, 1000)).toBe('never');
    expect(formatAgo(1000, 13_000)).toBe('12s ago');
    expect(formatAgo(20_000, 10_000)).toBe('0s ago');
  });
});

describe('overview model', () => {
  const now = 1_000_000_000;
  it('counts phases and running instances and sums queued tasks', () => {
    const m = overviewModel(
      snapshot({
        status: 'scaling',
        enabled: true,
        lastTickOkAt: now - 5000,
        instances: [
          instance({ phase: 'busy' }),
          instance({ phase: 'busy' }),
          instance({ phase: 'idle' }),
          instance({ phase: 'booting', state: 'pending' }),
        ],
        queues: [queueView({ name: 'a', pending: 4, oldestWaitSec: 5 })],
        costs: { ...emptyCosts(), burnPerHour: 2.1, spendToday: 3, projectedMonth: 90 },
      }),
      now,
    );
    expect(m).toMatchObject({ busy: 2, idle: 1, booting: 1, running: 3, pendingTasks: 4, burnPerHour: 2.1 });
    expect(m.secondsSinceOkTick).toBe(5);
    expect(m.stale).toBe(false);
    expect(m.tone).toBe('busy');
  });

  it.each([
    ['error', ['credentials'], ['credentials']],
    ['error', ['settings', 'credentials'], ['settings', 'credentials']],
    ['error', undefined, []],
    // A fix left over from an error is not offered once the status moved on.
    ['watching', ['credentials'], []],
    ['off', ['settings'], []],
  ] as const)('status %s with statusFix %j: buttons for %j', (status, statusFix, fix) => {
    const s = snapshot({
      status,
      enabled: true,
      lastTickOkAt: now,
      ...(statusFix ? { statusFix: [...statusFix] } : {}),
    });
    expect(overviewModel(s, now).fix).toEqual(fix);
  });

  it("counts ClearML's autoscaler's instances apart, so the tiles add up to what the queues and the chart count", () => {
    const foreign = (instanceId: string, busy: boolean) => ({
      instanceId,
      workerId: `dynamic_aws:gpu_t4:g4dn.xlarge:${instanceId}`,
      resource: 'gpu_t4',
      instanceType: 'g4dn.xlarge',
      queue: 'gpu',
      busy,
      name: null,
      blocker: null,
    });
    const m = overviewModel(
      snapshot({
        instances: [instance({ phase: 'idle' })],
        adoptable: [foreign('i-a', false), foreign('i-b', false), foreign('i-c', true)],
      }),
      now,
    );
    expect(m).toMatchObject({ running: 1, idle: 1, busy: 0, fromClearml: { running: 3, busy: 1, idle: 2 } });
    // A stranger's instance a worker name points at is not ClearML's: the captions leave it out.
    const strangerRow = { ...foreign('i-d', false), notAutoscalers: true };
    expect(overviewModel(snapshot({ adoptable: [foreign('i-a', true), strangerRow] }), now).fromClearml).toEqual({
      running: 1,
      busy: 1,
      idle: 0,
    });
    // One stopped (its worker not gone from ClearML yet) neither runs nor serves: the engine does not count it either.
    const stoppedRow = { ...foreign('i-e', false), live: false };
    expect(overviewModel(snapshot({ adoptable: [foreign('i-a', true), stoppedRow] }), now).fromClearml).toEqual({
      running: 1,
      busy: 1,
      idle: 0,
    });
    expect(overviewModel(snapshot({}), now).fromClearml).toEqual({ running: 0, busy: 0, idle: 0 });
    expect(withClearml('waiting for tasks', 2)).toBe("waiting for tasks; +2 from ClearML's autoscaler");
    expect(withClearml('waiting for tasks', 0)).toBe('waiting for tasks');
    expect(
      [
        [1, 0],
        [1, 1],
        [3, 0],
        [3, 1],
        [3, 2],
      ].map(([live, busy]) => scaleToZeroText(live!, busy!, '$1.00/h')),
    ).toEqual([
      'This terminates the 1 instance this app launched ($1.00/h). It runs no task.',
      'This terminates the 1 instance this app launched ($1.00/h). It runs a task, which stops now and is not ' +
        're-queued automatically.',
      'This terminates all 3 instances this app launched ($1.00/h). None of them runs a task.',
      'This terminates all 3 instances this app launched ($1.00/h). One of them runs a task, which stops now and is ' +
        'not re-queued automatically.',
      'This terminates all 3 instances this app launched ($1.00/h). 2 of them run a task; those tasks stop now and ' +
        'are not re-queued automatically.',
    ]);
    expect(adoptIntro([{}])).toBe(
      "1 instance launched by ClearML's autoscaler runs a worker with this app's prefix. It counts as capacity and is " +
        'left alone. Adopt it to let this app terminate it when idle, like the instances it launches.',
    );
    // Running and priced: what they bill, which the burn rate leaves out (the headless line's "$1.05/h, not adopted").
    const running = { live: true, hourlyPrice: 0.526 };
    expect(adoptIntro([running, running])).toBe(
      "2 instances launched by ClearML's autoscaler run workers with this app's prefix. They count as capacity and " +
        'are left alone: they bill $1.05/h until adopted or terminated. Adopt them to let this app terminate them ' +
        'when idle, like the instances it launches.',
    );
    expect(adoptIntro([running, { live: false, hourlyPrice: 0.526 }])).toContain(
      'left alone: the running one bills $0.53/h until adopted or terminated.',
    );
    // A stranger's instance (a database host whose id a worker name carries) is neither counted nor billed as
    // ClearML's: it is said apart. Table: [rows, the whole paragraph].
    const stranger = { live: true, hourlyPrice: 3.06, notAutoscalers: true };
    const table: [(typeof stranger | typeof running)[], string][] = [
      [
        [running, stranger],
        "1 instance launched by ClearML's autoscaler runs a worker with this app's prefix. It counts as capacity and " +
          'is left alone: it bills $0.53/h until adopted or terminated. Adopt it to let this app terminate it when ' +
          'idle, like the instances it launches. 1 more worker names an instance no autoscaler launched: left alone. ' +
          'It counts as capacity, but this app never adopts, tags or terminates that instance.',
      ],
      [
        [running, running, stranger, stranger],
        "2 instances launched by ClearML's autoscaler run workers with this app's prefix. They count as capacity and " +
          'are left alone: they bill $1.05/h until adopted or terminated. Adopt them to let this app terminate them ' +
          'when idle, like the instances it launches. 2 more workers name instances no autoscaler launched: left ' +
          'alone. They count as capacity, but this app never adopts, tags or terminates those instances.',
      ],
      [
        [stranger],
        "1 worker with this app's prefix names an instance no autoscaler launched: left alone. It counts as " +
          'capacity, but this app never adopts, tags or terminates that instance.',
      ],
      // An engine from before the field says nothing: its rows read as ClearML's, as they did.
      [[running], adoptIntro([{ live: true, hourlyPrice: 0.526, notAutoscalers: false }])],
    ];
    for (const [rows, text] of table) expect(adoptIntro(rows)).toBe(text);
    // The one filter the headless line and summary and the quit question share leaves the stranger out too.
    expect(foreignRunning([running, stranger, { ...running, live: false }])).toEqual([running]);
    expect([adoptHeading([running, stranger]), adoptHeading([stranger])]).toEqual([
      "Instances from ClearML's autoscaler",
      "Workers of this app's prefix on others' instances",
    ]);
  });

  it('an enabled engine without a recent good poll is stale and says what to check', () => {
    const m = overviewModel(
      snapshot({
        status: 'watching',
        enabled: true,
        lastTickAt: now,
        lastTickOkAt: now - (STALE_AFTER_SEC + 1) * 1000,
      }),
      now,
    );
    expect(m.stale).toBe(true);
    expect(m.tone).toBe('warn');
    expect(m.advice).toMatch(/check the network and the ClearML\/AWS credentials/);
  });

  it('an error uses main’s reason (which says what to do) and no generic advice', () => {
    const m = overviewModel(
      snapshot({ status: 'error', statusReason: 'AWS rejected the key: enter a new one under Credentials.' }),
      now,
    );
    expect(m.reason).toBe('AWS rejected the key: enter a new one under Credentials.');
    expect(m.advice).toBeNull();
    expect(m.tone).toBe('error');
  });

  it('off with instances still running warns that they keep billing', () => {
    const m = overviewModel(
      snapshot({ status: 'off', instances: [instance(), instance({ phase: 'terminating' })] }),
      now,
    );
    expect(m.advice).toBe(
      'Turn it on to launch instances when tasks wait in the queues. 1 instance still runs and bills while it is off.',
    );
  });

  it.each([
    [[1], 'A task waits', '1 task waits in the queues: turn it on to launch instances for it.'],
    [[2, 1], 'tasks wait', '3 tasks wait in the queues: turn it on to launch instances for them.'],
    [[0], 'nothing waits', 'Turn it on to launch instances when tasks wait in the queues.'],
  ])('off, pending %j: %s', (pending, _what, advice) => {
    const queues = pending.map((n, k) => queueView({ name: `q${k}`, pending: n }));
    expect(overviewModel(snapshot({ status: 'off', queues }), now).advice).toBe(advice);
  });
});

describe('the Overview with no configuration saved', () => {
  const now = 1_000_000_000;
  it.each([
    [
      'nothing in Settings either',
      false,
      'Open Settings to fill it in (or import the YAML of ClearML’s autoscaler), then Save.',
    ],
    [
      'an unsaved draft in Settings',
      true,
      'The configuration in Settings is not saved yet: review it there, then Save.',
    ],
  ])('off, %s: says nothing is saved and offers Settings, not "Turn it on"', (_what, draftUnsaved, advice) => {
    const m = overviewModel(snapshot({ status: 'off' }), now, { configured: false, draftUnsaved });
    expect(m).toMatchObject({
      statusLabel: 'Not set up',
      reason: 'No configuration is saved yet, so autoscaling cannot be turned on.',
      advice,
      fix: ['settings'],
    });
  });

  it.each([
    ['a saved configuration', true],
    ['a configuration not loaded yet', null],
  ])('off with %s: the usual advice to turn it on', (_what, configured) => {
    const m = overviewModel(snapshot({ status: 'off' }), now, { configured, draftUnsaved: false });
    expect(m.advice).toBe('Turn it on to launch instances when tasks wait in the queues.');
    expect(m.fix).toEqual([]);
  });

  it('an error keeps its own reason and fix', () => {
    const s = snapshot({ status: 'error', statusReason: 'Nothing to run yet', statusFix: ['settings'] });
    expect(overviewModel(s, now, { configured: false, draftUnsaved: false }).reason).toBe('Nothing to run yet');
  });
});

describe('instances model', () => {
  const rows = [
    instance({
      instanceId: 'i-0000000000000000a',
      uptimeSec: 30,
      queue: 'gpu',
      costSoFar: 3,
      phase: 'busy',
      task: { id: 't1', name: 'train-bert' },
    }),
    instance({
      instanceId: 'i-0000000000000000b',
      uptimeSec: 90,
      queue: 'cpu',
      costSoFar: 1,
      market: 'on-demand',
      zone: 'us-east-1b',
    }),
    instance({
      instanceId: 'i-0000000000000000c',
      uptimeSec: 60,
      queue: 'gpu',
      costSoFar: 2,
      phase: 'booting',
      idleSec: null,
    }),
  ];
  const ids = (r: { instanceId: string }[]) => r.map((x) => x.instanceId.slice(-1)).join('');

  it.each([
    ['uptimeSec', 'asc', 'acb'],
    ['uptimeSec', 'desc', 'bca'],
    ['costSoFar', 'asc', 'bca'],
    ['queue', 'asc', 'bac'],
    ['phase', 'asc', 'abc'],
    ['idleSec', 'asc', 'cab'],
  ] as const)('sort by %s %s', (key, dir, order) => expect(ids(sortInstances(rows, key, dir))).toBe(order));

  it.each([
    [{ ...EMPTY_FILTER, queue: 'gpu' }, 'ac'],
    [{ ...EMPTY_FILTER, market: 'on-demand' as const }, 'b'],
    [{ ...EMPTY_FILTER, phase: 'booting' as const }, 'c'],
    [{ ...EMPTY_FILTER, text: 'BERT' }, 'a'],
    [{ ...EMPTY_FILTER, text: 'gpu 1a' }, 'ac'],
    [{ ...EMPTY_FILTER, text: 'east-1b' }, 'b'],
  ])('filter %j', (f, expected) => expect(ids(rows.filter((r) => matchesFilter(r, f)))).toBe(expected));

  it('the terminate confirmation names the task that would stop', () => {
    expect(terminateConsequence(rows[0]!)).toMatch(
      /is running task “train-bert” \(t1\)\. Terminating it stops that task now/,
    );
    expect(terminateConsequence(rows[1]!)).toMatch(/is idle: no task runs on it/);
    expect(terminateConsequence(rows[2]!)).toMatch(/still booting/);
  });

  it.each([
    [{ clearml: { apiHost: 'https://api.clear.ml' } }, 'https://app.clear.ml'],
    [{ clearml: { apiHost: 'http://clearml.local:8008' } }, 'http://clearml.local:8080'],
    [
      { clearml: { apiHost: 'https://api.example.com', webHost: 'https://web.example.com/' } },
      'https://web.example.com',
    ],
    [{ clearml: { apiHost: 'not a url' } }, null],
    // As ClearML's SDK derives it (the conformance suite checks these against the SDK itself): the port is kept
    // with api. → app., a path too; a host that fits no pattern has no known web app (not the API server itself).
    [{ clearml: { apiHost: 'https://api.corp.example:8443/clearml/' } }, 'https://app.corp.example:8443/clearml'],
    [{ clearml: { apiHost: 'https://demoapi.demo.clear.ml' } }, 'https://demoapp.demo.clear.ml'],
    [{ clearml: { apiHost: 'https://clearml-api.corp.example' } }, null],
    [null, null],
  ])('clearmlWebHost(%j) = %s', (config, host) => expect(clearmlWebHost(config)).toBe(host));

  it('task links point at the task page', () => {
    expect(clearmlTaskUrl('https://app.clear.ml', 'abc123')).toBe(
      'https://app.clear.ml/projects/*/experiments/abc123/output/execution',
    );
  });
});

describe('the line under "Scale to zero"', () => {
  const row = (phase: InstanceView['phase'], state: InstanceView['state'] = 'running') =>
    ({ phase, state }) as InstanceView;
  it.each([
    [
      'what runs',
      [row('busy'), row('idle')],
      true,
      'Terminates the 2 instances shown here and pauses new launches. Autoscaling stays on.',
    ],
    [
      'stopped ones too, said apart from the Running tile',
      [row('busy'), row('stopped', 'stopped'), row('stopped', 'stopped'), row('terminating', 'shutting-down')],
      false,
      'Terminates the 3 instances shown here (2 of them stopped outside the app) and pauses new launches. Autoscaling stays off.',
    ],
  ] as const)('%s', (_what, instances, enabled, text) => {
    expect(scaleToZeroLine({ instances: [...instances], enabled })).toBe(text);
  });
});

describe('beside the phase', () => {
  it.each([
    ['a running instance', { state: 'running', phase: 'busy' }, null],
    ['a booting one, still pending', { state: 'pending', phase: 'booting' }, 'pending'],
    ['a stopped one (not "stopped stopped")', { state: 'stopped', phase: 'stopped' }, null],
    ['an adopted one: it has no lease watchdog', { state: 'running', phase: 'idle', adopted: true }, 'adopted'],
    ['adopted and stopping', { state: 'stopping', phase: 'stopped', adopted: true }, 'stopping · adopted'],
  ] as const)('%s: %j', (_what, row, aside) => {
    expect(phaseAside(row)).toBe(aside);
  });
});

describe("a row's Cost title says what the figure is", () => {
  it.each([
    [
      'launched by the app',
      { hourlyPrice: 0.526, phase: 'busy', market: 'on-demand' },
      /^At \$0\.53\/h since its launch, per second with a 60 s minimum/,
    ],
    [
      'adopted: counted from the adoption',
      { hourlyPrice: 0.526, phase: 'idle', adoptedAt: 1, market: 'on-demand' },
      /^At \$0\.53\/h since its adoption \(before, it was ClearML's autoscaler's spend\)/,
    ],
    [
      'spot: at the spot price as it moves, the one now named as such',
      { hourlyPrice: 0.21, phase: 'busy', market: 'spot' },
      /^At its zone's spot price as it moves \(now \$0\.21\/h\) since its launch, per second/,
    ],
    [
      'stopped: its disks still bill',
      { hourlyPrice: 0.096, phase: 'stopped', market: 'on-demand' },
      /Stopped: no compute since it stopped, but its disks bill until it is terminated\.$/,
    ],
  ] as const)('%s', (_what, row, text) => {
    expect(costTitle(row)).toMatch(text);
  });
});

describe('costs model', () => {
  it.each([
    [0, 1],
    [0.3, 0.5],
    [1.2, 2],
    [2.4, 2.5],
    [7, 10],
    [12, 20],
  ])('niceMax(%s) = %s', (v, m) => expect(niceMax(v)).toBe(m));

  it('shares are sorted and scaled to the largest', () => {
    expect(shares({ a: 1, b: 4, c: 2 })).toEqual([
      { label: 'b', perHour: 4, fraction: 1 },
      { label: 'c', perHour: 2, fraction: 0.5 },
      { label: 'a', perHour: 1, fraction: 0.25 },
    ]);
    expect(spotFraction({ ...emptyCosts(), spotPerHour: 1, onDemandPerHour: 3 })).toBe(0.25);
    expect(spotFraction(emptyCosts())).toBeNull();
  });
});

describe('events model', () => {
  const events: EngineEvent[] = [
    {
      id: 1,
      at: 1000,
      level: 'info',
      kind: 'launch',
      message: 'launched 2 × g4dn.xlarge',
      queue: 'gpu',
      instanceIds: ['i-0aaa', 'i-0bbb'],
    },
    {
      id: 2,
      at: 2000,
      level: 'error',
      kind: 'launch-failed',
      message: 'InsufficientInstanceCapacity, "spot"',
      queue: 'gpu',
    },
    { id: 3, at: 3000, level: 'info', kind: 'decision', message: 'cpu: nothing to do', queue: 'cpu' },
  ];

  it('the count says so once older events are no longer shown (a full log is not the whole history)', () => {
    expect(eventCountText(3, events)).toBe('3 of 3 events');
    expect(eventCountText(1, events)).toBe('1 of 3 events');
    const latest = Array.from({ length: 200 }, (_, i) => ({ ...events[2]!, id: 301 + i, at: 301 + i }));
    expect(eventCountText(200, latest)).toBe('200 of the latest 200 events (older ones are not shown)');
    expect(eventCountText(7, latest)).toBe('7 of the latest 200 events (older ones are not shown)');
    expect(eventCountText(0, [])).toBe('0 of 0 events');
  });

  it('filters by kind, level, queue and text, newest first', () => {
    expect(filterEvents(events, EMPTY_EVENT_FILTER).map((e) => e.id)).toEqual([3, 2, 1]);
    expect(filterEvents(events, { ...EMPTY_EVENT_FILTER, queue: 'gpu' }).map((e) => e.id)).toEqual([2, 1]);
    expect(filterEvents(events, { ...EMPTY_EVENT_FILTER, level: 'error' }).map((e) => e.id)).toEqual([2]);
    expect(filterEvents(events, { ...EMPTY_EVENT_FILTER, kind: 'launch' }).map((e) => e.id)).toEqual([1]);
    expect(filterEvents(events, { ...EMPTY_EVENT_FILTER, text: 'i-0bbb' }).map((e) => e.id)).toEqual([1]);
  });

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
  ])('csvField(%j)', (v, out) => expect(csvField(v)).toBe(out));

  it('CSV has a header and one quoted-as-needed row per event', () => {
    const csv = eventsToCsv(events.slice(0, 2));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,time,level,kind,queue,resource,count,instanceIds,message');
    expect(lines[1]).toBe(`1,${new Date(1000).toISOString()},info,launch,gpu,,,i-0aaa i-0bbb,launched 2 × g4dn.xlarge`);
    expect(lines[2]).toBe(
      `2,${new Date(2000).toISOString()},error,launch-failed,gpu,,,,"InsufficientInstanceCapacity, ""spot"""`,
    );
    expect(lines).toHaveLength(4);
  });
});

describe('the "Pause new launches" line', () => {
  it.each([
    [true, false, /^Off: instances are launched when tasks wait\.$/],
    [true, true, /^On: nothing new is launched; queued tasks wait\. .*idle ones still stop/],
    [false, false, /^Off\. Autoscaling is off, so nothing is launched now; this only matters once it is on\.$/],
    [false, true, /^On: once autoscaling is on, nothing new is launched.*Autoscaling is off now/],
  ])('autoscaling on: %s, paused: %s', (enabled, launchesPaused, text) => {
    const line = pauseStateText({ enabled, launchesPaused });
    expect(line).toMatch(text);
    // With autoscaling off, the line never says that instances are launched (or that idle ones stop).
    if (!enabled) expect(line).not.toMatch(/instances are launched when|idle ones still stop/);
  });
});

describe('queue figures while ClearML cannot be read', () => {
  const now = 1_000_000_000;
  it.each([
    ['never polled', null, null, false, 'ClearML not read yet'],
    ['polled, ClearML never read', now, null, false, 'ClearML not read yet'],
    ['the last poll read ClearML', now, now, true, null],
    ['the last poll failed after one that read it', now, now - 15_000, false, 'unknown: the last poll failed'],
  ] as const)('%s', (_what, lastTickAt, lastTickOkAt, known, why) => {
    const s = snapshot({ lastTickAt, lastTickOkAt, queues: [queueView({ name: 'gpu', pending: 0 })] });
    expect(queuesKnown(s)).toBe(known);
    expect(queuesUnknownWhy(s)).toBe(why);
    expect(queueFigure(0, known)).toBe(known ? 0 : '—');
    const m = overviewModel(s, now);
    expect(m.pendingTasks).toBe(known ? 0 : null);
    expect(m.queuesUnknown).toBe(why);
  });
});
