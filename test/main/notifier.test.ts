import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { MockNotification, Notification, resetElectronMock } from '../mocks/electron.js';
import { defaultSettings, type NotificationMutes } from '../../shared/settings.js';
import { publish } from '../../electron/engine/store.js';
import { redact } from '../../electron/engine/service/redact.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { classifyEvent, Notifier, type Notice } from '../../shared/notify/notifier.js';
import { standbyLeadership, T0 } from '../fixtures/index.js';
import type { EngineEvent, Snapshot } from '../../shared/domain.js';
import { startOsNotifications, type NotificationApi } from '../../electron/main/notify/os-notifications.js';
import { FakeController, snapshot } from '../service/fixtures.js';
import { AuthGate } from '../../electron/engine/controllers/auth.js';
import { classifyEc2Error } from '../../electron/engine/ec2/errors.js';
import { ClearmlError } from '../../electron/engine/ports.js';
import { sentence } from '../../shared/words.js';
import { errorFromRedirect } from '../../electron/engine/clearml/errors.js';
import { credentialsCode, ev } from '../../electron/engine/events.js';

const MIN = 60_000;
const noMutes: NotificationMutes = defaultSettings().notificationMutes;

/** Builds snapshots whose event log grows like the engine's. */
function engineLog() {
  const events: EngineEvent[] = [];
  let id = 100;
  return {
    add(e: Omit<EngineEvent, 'id' | 'at' | 'level'> & { level?: EngineEvent['level'] }) {
      events.push({ id: ++id, at: 0, level: 'info', ...e });
    },
    snap: () => snapshot({ events: [...events] }),
  };
}

describe('Notifier', () => {
  let now: number;
  let n: Notifier;
  let log: ReturnType<typeof engineLog>;
  beforeEach(() => {
    now = 1_000_000;
    n = new Notifier({ now: () => now, redact: (t) => redact(t) });
    log = engineLog();
  });

  it('history present at startup is not news', () => {
    log.add({ kind: 'launch', message: 'launched', queue: 'gpu', count: 2 });
    expect(n.next(log.snap(), noMutes)).toEqual([]);
    expect(n.next(log.snap(), noMutes)).toEqual([]);
  });

  it("coalesces one snapshot's events per (kind, queue)", () => {
    n.next(log.snap(), noMutes);
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', instanceIds: ['i-1'] });
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', instanceIds: ['i-2', 'i-3'] });
    log.add({ kind: 'launch', message: 'x', queue: 'cpu', count: 1 });
    log.add({ kind: 'decision', message: 'scale up gpu by 3' });
    const out = n.next(log.snap(), noMutes);
    // Per queue, then one notice for the queues launched on at once (below: a big account's tick).
    expect(out.map((o) => o.body)).toEqual(['4 instances launched on gpu and cpu']);
    expect(out[0]).toMatchObject({ kind: 'launched', title: 'Instances launched', navigate: { view: 'instances' } });
  });

  const queueName = (k: number) => `q${String(k).padStart(3, '0')}`;
  const ids = (k: number, per: number) => Array.from({ length: per }, (_, j) => `i-${k * per + j}`);
  it.each([
    {
      what: '200 launches over 100 queues',
      add: (k: number) => log.add({ kind: 'launch', message: 'x', queue: queueName(k), instanceIds: ids(k, 2) }),
      title: 'Instances launched',
      body: '200 instances launched on q000, q001, q002 and 97 more queues',
    },
    {
      what: '200 idle terminations over 100 queues',
      add: (k: number) => log.add({ kind: 'terminate', message: 'idle', queue: queueName(k), instanceIds: ids(k, 2) }),
      title: 'Instances terminated',
      body: '200 instances terminated on q000, q001, q002 and 97 more queues',
    },
    {
      what: '200 spot interruptions over 100 queues',
      add: (k: number) =>
        log.add({ ...ev.spotInterrupted({ queue: queueName(k), instanceIds: ids(k, 2), freeIds: [] }), level: 'warn' }),
      title: 'Spot instances taken back by AWS',
      body:
        '200 spot instances interrupted on q000, q001, q002 and 97 more queues: not the app; new ones are launched ' +
        'when tasks wait',
    },
    {
      what: '200 instances stopped outside the app over 100 queues',
      add: (k: number) => {
        for (const id of ids(k, 2))
          log.add({ ...ev.stoppedOutside({ instanceId: id, queue: queueName(k), graceSec: 600 }), level: 'warn' });
      },
      title: 'Instances stopped outside the app',
      body:
        '200 instances stopped on q000, q001, q002 and 97 more queues (i-0, i-1, i-2 and 197 more). Stopped outside ' +
        'the app: their disks still bill; left alone while the engine does not act, then terminated after a grace ' +
        'unless started again. To keep one, remove its clearml-autoscaler:prefix tag.',
    },
  ])("a big account's tick: $what is one notice, not one per queue or instance", ({ add, title, body }) => {
    n.next(log.snap(), noMutes);
    for (let k = 0; k < 100; k++) add(k);
    const out = n.next(log.snap(), noMutes);
    expect(out.map((o) => [o.title, o.body, o.queue, o.navigate])).toEqual([
      [title, body, null, { view: 'instances' }],
    ]);
    // Each queue keeps its quiet time: more on one queue meanwhile is held, then told alone.
    now += 10_000;
    add(7);
    expect(n.next(log.snap(), noMutes)).toEqual([]);
  });

  it("a big account's tick: other kinds still have their own notice beside the merged ones", () => {
    n.next(log.snap(), noMutes);
    for (let k = 0; k < 3; k++) {
      log.add({ kind: 'launch', message: 'x', queue: queueName(k), count: 1 });
      log.add({ kind: 'terminate', message: 'idle', queue: queueName(k), count: 1 });
    }
    expect(n.next(log.snap(), noMutes).map((o) => o.body)).toEqual([
      '3 instances launched on q000, q001 and q002',
      '3 instances terminated on q000, q001 and q002',
    ]);
  });

  it('tells a cap that held part of a launch, though the launch is of the same tick', () => {
    n.next(log.snap(), noMutes);
    const cap = 'launched 1 × g5.xlarge: 2 pending, 0 idle, 0 booting; 1 not launched: gpu_b is at its cap of 1';
    log.add({ kind: 'decision', message: cap, queue: 'gpu', code: 'instance-cap' });
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', count: 1 });
    expect(n.next(log.snap(), noMutes).map((o) => o.kind)).toEqual(['capReached', 'launched']);
  });

  it('never repeats an event it has seen', () => {
    n.next(log.snap(), noMutes);
    log.add({ kind: 'terminate', message: 'idle', queue: 'gpu', count: 1 });
    expect(n.next(log.snap(), noMutes)).toHaveLength(1);
    now += 10 * MIN;
    expect(n.next(log.snap(), noMutes)).toEqual([]);
  });

  it('cooldown per (kind, queue): quiet, then one summary of what happened meanwhile', () => {
    n.next(log.snap(), noMutes);
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', count: 1 });
    expect(n.next(log.snap(), noMutes).map((o) => o.body)).toEqual(['1 instance launched on gpu']);
    now += 10_000;
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', count: 2 });
    log.add({ kind: 'launch', message: 'x', queue: 'cpu', count: 1 }); // another key: not in cooldown
    expect(n.next(log.snap(), noMutes).map((o) => o.body)).toEqual(['1 instance launched on cpu']);
    now += 20_000;
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', count: 1 });
    expect(n.next(log.snap(), noMutes)).toEqual([]);
    now += 30_000; // 60 s after the first gpu notice: the accumulated 3 come out, even with no new event
    expect(n.next(log.snap(), noMutes).map((o) => o.body)).toEqual(['3 instances launched on gpu']);
  });

  it('failures: the last message, how many more, and where to look', () => {
    n.next(log.snap(), noMutes);
    log.add({
      kind: 'launch-failed',
      level: 'error',
      queue: 'gpu',
      message: 'InsufficientInstanceCapacity in us-east-1a',
    });
    log.add({
      kind: 'launch-failed',
      level: 'error',
      queue: 'gpu',
      message: 'InsufficientInstanceCapacity in us-east-1b',
    });
    const [o] = n.next(log.snap(), noMutes);
    expect(o).toEqual({
      kind: 'launchFailed',
      queue: 'gpu',
      title: 'Launch failed on gpu',
      body: 'InsufficientInstanceCapacity in us-east-1b (and 1 more problem).',
      navigate: { view: 'events' },
    });
  });

  it('credential rejections open the Credentials tab and their text is redacted', () => {
    n.next(log.snap(), noMutes);
    log.add({
      kind: 'error',
      level: 'error',
      code: 'credentials-refused',
      message: 'AWS AuthFailure: credentials AKIAIOSFODNN7EXAMPLE were rejected.',
    });
    const [o] = n.next(log.snap(), noMutes);
    expect(o?.kind).toBe('credentialsRejected');
    expect(o?.navigate).toEqual({ view: 'credentials' });
    expect(o?.body).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(o?.body).toContain('Open the Credentials tab');
  });

  it('refused credentials that work again are told at once, and a refusal still waiting its turn is dropped', () => {
    n.next(log.snap(), noMutes);
    const refusal =
      'AWS refused the request (UnauthorizedOperation): … Launches are stopped: one is tried again in 1 min';
    log.add({ kind: 'launch-failed', level: 'error', queue: 'cpu', cause: 'auth', message: refusal });
    expect(n.next(log.snap(), noMutes).map((o) => o.title)).toEqual(['Credentials rejected']);
    now += 60_000;
    const again = refusal.replace('1 min', '2 min');
    log.add({ kind: 'launch-failed', level: 'error', queue: 'cpu', cause: 'auth', message: again });
    // Within the 30-min quiet time of the rejection: held back.
    expect(n.next(log.snap(), noMutes)).toEqual([]);
    now += 120_000;
    const gate = new AuthGate();
    gate.note(classifyEc2Error({ name: 'UnauthorizedOperation', message: 'x' }), 0, 'RunInstances');
    const back = ev.authRecovered(gate.current!, 'launch', 180_000);
    log.add(back);
    expect(n.next(log.snap(), noMutes)).toEqual([
      {
        kind: 'credentialsRejected',
        queue: null,
        title: 'Credentials accepted again',
        body: 'AWS accepts the credentials again (UnauthorizedOperation no longer): a launch went through after 3 min refused; launches resume.',
        navigate: { view: 'overview' },
      },
    ]);
    now += 3600_000;
    expect(n.next(log.snap(), noMutes)).toEqual([]);
    expect(n.next(log.snap(), { ...noMutes, credentialsRejected: true })).toEqual([]);
  });

  // The errors the clients throw, as the connections controller reports them (`ev.connectionDown`).
  const noAwsKeys = classifyEc2Error({ name: 'CredentialsProviderError', message: 'Could not load credentials' });
  const clearmlNone = new ClearmlError('auth', 'ClearML received no credentials for auth.login (HTTP 401/20): add…', {
    status: 401,
    subcode: 20,
  });
  const clearmlUnset = new ClearmlError('auth', 'No ClearML credentials are set: add an access key and secret key');
  const clearmlRejected = new ClearmlError(
    'auth',
    'ClearML rejected the access key "AKTEST…" on auth.login (HTTP 401/22): check the key pair in the Credentials tab',
    { status: 401, subcode: 22 },
  );
  const awsRejected = classifyEc2Error({ name: 'AuthFailure', message: 'x' });
  it.each([
    ['AWS none', [noAwsKeys], 'Credentials missing', 'enter'],
    ['ClearML none received', [clearmlNone], 'Credentials missing', 'enter'],
    ['ClearML none set', [clearmlUnset], 'Credentials missing', 'enter'],
    ['AWS none, ClearML rejected', [noAwsKeys, clearmlRejected], 'Credentials missing or rejected', 'update'],
    ['AWS rejected', [awsRejected], 'Credentials rejected', 'update'],
  ])('credentials %s: titled "%s", and every problem counted', (_, errors, title, verb) => {
    n.next(log.snap(), noMutes);
    for (const e of errors) log.add(ev.connectionDown(e.message, e));
    const messages = errors.map((e) => e.message);
    const [o] = n.next(log.snap(), noMutes);
    expect(o?.title).toBe(title);
    expect(o?.body).toContain(`Open the Credentials tab to ${verb} them.`);
    if (messages.length > 1) expect(o?.body).toContain('(and 1 more problem)');
  });

  const redirect = errorFromRedirect(301, 'https://clearml.example.com/api/queues.get_all', '/queues.get_all', {
    endpoint: 'queues.get_all',
    apiHost: 'http://clearml.example.com/api',
    accessKeyHint: null,
  });
  const noTerminate = classifyEc2Error({ name: 'OperationNotPermitted', message: 'termination protection is on' });
  const gate = new AuthGate();
  gate.note(awsRejected, 0, 'RunInstances');
  it.each([
    ['ClearML refused the keys', ev.connectionDown(clearmlRejected.message, clearmlRejected), 'credentialsRejected'],
    ['no AWS keys', ev.connectionDown(noAwsKeys.message, noAwsKeys), 'credentialsRejected'],
    // Its advice names the credentials ("a redirect would drop the credentials"); the fix is the API host.
    ['a ClearML redirect', ev.connectionDown(redirect.message, redirect), null],
    ['EC2 refused a termination for the keys', ev.terminateFailed(['i-1'], awsRejected), 'credentialsRejected'],
    // It bills on: told under the switch of failures, not of routine terminations.
    ['EC2 refused a termination otherwise', ev.terminateFailed(['i-1'], noTerminate), 'launchFailed'],
    ['EC2 refused a tag for the keys', ev.serverTagFailed('https://c', 2, awsRejected), 'credentialsRejected'],
    [
      'a tick failed on refused keys',
      { level: 'error', kind: 'error', message: 'x', ...credentialsCode(awsRejected) },
      'credentialsRejected',
    ],
    ['the keys work again', ev.authRecovered(gate.current!, 'launch', 60_000), 'credentialsRejected'],
    ['stopped outside the app', ev.stoppedOutside({ instanceId: 'i-1', queue: 'gpu', graceSec: 600 }), 'terminated'],
    [
      'a decision held at an instance cap',
      ev.decision('gpu', '2 not launched: gpu_t4 is at its cap of 3', true),
      'capReached',
    ],
    ['a decision held otherwise', ev.decision('gpu', '2 not launched: gpu_t4 is at its cap of 3'), null],
  ] as const)('%s: told from the code the event was emitted with, as %s', (_, e, kind) => {
    expect(classifyEvent({ id: 1, at: 0, ...e })).toBe(kind);
  });

  it('a termination refused otherwise than for the keys: its short form, again while it goes on, muted with launches', () => {
    const told = (mutes: NotificationMutes) => {
      const refused = new Notifier({ now: () => now, redact: (t) => t });
      const events = engineLog();
      refused.next(events.snap(), mutes);
      const out: Notice[] = [];
      // Retried at every poll; the engine logs it once every 10 min.
      for (let min = 0; min <= 40; min += 10) {
        now = 1_000_000 + min * MIN;
        events.add(ev.terminateFailed(['i-1', 'i-2'], noTerminate));
        out.push(...refused.next(events.snap(), mutes));
      }
      return out;
    };
    const [first, second, ...rest] = told(noMutes);
    expect(first).toMatchObject({
      kind: 'launchFailed',
      title: 'Termination refused',
      navigate: { view: 'instances' },
    });
    expect(first?.body).toMatch(/^EC2 refused to terminate i-1 and 1 more \(still billing\): /);
    expect(first!.body.length).toBeLessThanOrEqual(200);
    expect(second).toMatchObject({ title: 'Termination still refused' });
    expect(second?.body).toMatch(/Failing for 10 min\.$/);
    expect(rest).toHaveLength(1);
    expect(told({ ...noMutes, terminated: true })).toHaveLength(3);
    expect(told({ ...noMutes, launchFailed: true })).toEqual([]);
  });

  // A refusal at 0 whose next try is `retryMin` later, and when the notice is shown (after a quiet time, say).
  it.each([
    ['shown at once', 1, 0, 'Next try in 1 min.'],
    ['shown 4 min later', 10, 4, 'Next try in 6 min.'],
    ['shown 30 s before the try', 10, 9.5, 'Next try in 1 min.'],
    ['shown after the try was due', 2, 5, 'Next try with the next launch.'],
  ])('a refusal %s: the next try counted from then', (_, retryMin, shownMin, said) => {
    const cooldownMs = { credentialsRejected: shownMin * MIN };
    const late = new Notifier({ now: () => now, redact: (t) => t, cooldownMs });
    late.next(log.snap(), noMutes);
    // A notice shown just before: this refusal waits out the quiet time.
    log.add({
      kind: 'launch-failed',
      level: 'error',
      queue: 'cpu',
      cause: 'auth',
      summary: 'Refused A.',
      message: 'a',
    });
    late.next(log.snap(), noMutes);
    const summary = 'The AWS identity is not allowed to call ec2:RunInstances (UnauthorizedOperation): fix the policy.';
    log.add({
      kind: 'launch-failed',
      level: 'error',
      queue: 'cpu',
      cause: 'auth',
      summary,
      message: 'b',
      retryInMs: retryMin * MIN,
    });
    const at = late.next(log.snap(), noMutes);
    now += shownMin * MIN;
    const [o] = shownMin ? late.next(log.snap(), noMutes) : at;
    expect(o?.body).toBe(`${summary} ${said}`);
  });

  it('two refusals in one notice: the count of the other inside the sentence, before its full stop', () => {
    n.next(log.snap(), noMutes);
    const refusal = { kind: 'error', level: 'error', code: 'credentials-refused' } as const;
    log.add({ ...refusal, message: 'x', summary: 'EC2 refused to terminate i-1 (still billing): fix the policy.' });
    n.next(log.snap(), noMutes);
    log.add({ ...refusal, message: 'y', summary: 'EC2 refused to terminate i-2 (still billing): fix the policy.' });
    log.add({ ...refusal, message: 'z', summary: 'EC2 refused to terminate i-3 (still billing): fix the policy.' });
    now += 30 * MIN;
    expect(n.next(log.snap(), noMutes).map((o) => o.body)).toEqual([
      'EC2 refused to terminate i-3 (still billing): fix the policy (and 1 more problem).',
    ]);
  });

  it('the same refusal at every retry is one problem, not "and N more problems"', () => {
    const late = new Notifier({ now: () => now, redact: (t) => t });
    late.next(log.snap(), noMutes);
    const refusal = { kind: 'launch-failed', level: 'error', queue: 'cpu', cause: 'auth', message: 'm' } as const;
    log.add({ ...refusal, summary: 'Refused.', retryInMs: MIN });
    expect(late.next(log.snap(), noMutes).map((o) => o.body)).toEqual(['Refused. Next try in 1 min.']);
    for (const [min, retryMin] of [
      [1, 2],
      [3, 5],
      [8, 10],
      [18, 10],
      [28, 10],
    ]) {
      now = 1_000_000 + min! * MIN;
      log.add({ ...refusal, summary: 'Refused.', retryInMs: retryMin! * MIN });
      expect(late.next(log.snap(), noMutes)).toEqual([]);
    }
    now = 1_000_000 + 30 * MIN;
    expect(late.next(log.snap(), noMutes).map((o) => o.body)).toEqual(['Refused. Next try in 8 min.']);
  });

  const attached = (role: 'viewer' | 'operator' | 'admin') => ({
    url: 'https://team.example.com',
    actor: { name: 'ana', role },
    state: 'connected' as const,
    since: 0,
    retryAt: null,
    lastError: null,
  });
  it.each([
    ['its own engine', undefined, ' Open the Credentials tab to update them.'],
    ['a team engine, as an admin', attached('admin'), ' Open the Credentials tab to update them.'],
    ['a team engine, as an operator', attached('operator'), ' An admin of the team engine can update them.'],
    ['a team engine, as a viewer', attached('viewer'), ' An admin of the team engine can update them.'],
  ])('keys refused, in an app showing %s: sent where they can be changed', (_, remote, advice) => {
    const snap = () => ({ ...log.snap(), ...(remote ? { remote } : {}) });
    n.next(snap(), noMutes);
    log.add(ev.connectionDown(awsRejected.message, awsRejected));
    const [o] = n.next(snap(), noMutes);
    expect(o?.title).toBe('Credentials rejected');
    expect(o?.body).toBe(`${sentence(awsRejected.message)}${advice}`);
  });

  it('cap reached', () => {
    n.next(log.snap(), noMutes);
    log.add({ kind: 'budget', level: 'warn', message: 'max total instances (20) reached: 4 tasks wait' });
    expect(n.next(log.snap(), noMutes)[0]).toMatchObject({ kind: 'capReached', navigate: { view: 'costs' } });
  });

  it.each([
    [[{ level: 'warn', message: 'global hourly burn cap $0.20/h: 96 % used' }], 'Budget cap nearly reached'],
    [[{ level: 'error', message: 'global hourly burn cap $0.20/h reached' }], 'Instance or budget cap reached'],
    [
      [
        { level: 'warn', message: 'global hourly burn cap $0.20/h: 96 % used' },
        { level: 'error', message: 'global monthly cap $500 reached' },
      ],
      'Instance or budget cap reached',
    ],
  ] as const)('a budget crossing is titled as its state: %j', (crossings, title) => {
    n.next(log.snap(), noMutes);
    for (const c of crossings) log.add({ kind: 'budget', ...c });
    expect(n.next(log.snap(), noMutes)[0]).toMatchObject({ kind: 'capReached', title });
  });

  it('the global cap holding 60 queues at once: one notice naming them, not 60', () => {
    n.next(log.snap(), noMutes);
    const held = '2 pending, 0 idle, 0 booting: need 2; 2 not launched: the global cap of 20 instances is reached';
    for (let i = 0; i < 60; i++) log.add({ kind: 'decision', queue: `q${i}`, message: held, code: 'instance-cap' });
    log.add({
      kind: 'decision',
      queue: 'gpu',
      message: '5 pending; 4 not launched: gpu_t4 is at its cap of 3',
      code: 'instance-cap',
    });
    expect(n.next(log.snap(), noMutes)).toEqual([
      {
        kind: 'capReached',
        queue: null,
        title: 'Instance or budget cap reached',
        body: `q0, q1, q2 and 58 more queues: ${held} (and 1 more problem)`,
        navigate: { view: 'queues' },
      },
    ]);
    // One queue alone is told as before, opening that queue.
    log.add({ kind: 'decision', queue: 'solo', message: held, code: 'instance-cap' });
    expect(n.next(log.snap(), noMutes)).toEqual([
      expect.objectContaining({
        queue: 'solo',
        title: 'Instance or budget cap reached on solo',
        body: held,
        navigate: { view: 'queues', id: 'solo' },
      }),
    ]);
  });

  it('an instance cap in a decision is reached, not near', () => {
    n.next(log.snap(), noMutes);
    log.add({
      kind: 'decision',
      queue: 'gpu',
      message: '5 pending; 4 not launched: gpu_t4 is at its cap of 3',
      code: 'instance-cap',
    });
    expect(n.next(log.snap(), noMutes)[0]).toMatchObject({ title: 'Instance or budget cap reached on gpu' });
  });

  it('spot instances AWS took back: one quiet notice per queue under the terminations switch, apart from terminations', () => {
    n.next(log.snap(), noMutes);
    const taken = (queue: string, ids: string[]) =>
      log.add({ ...ev.spotInterrupted({ queue, instanceIds: ids, freeIds: [] }), level: 'warn' });
    taken('gpu', ['i-1', 'i-2']);
    taken('gpu', ['i-3']);
    log.add({ kind: 'terminate', message: 'idle', queue: 'gpu', count: 1 });
    const out = n.next(log.snap(), noMutes);
    expect(out.map((o) => [o.kind, o.title, o.body])).toEqual([
      [
        'terminated',
        'Spot instances taken back by AWS',
        '3 spot instances interrupted on gpu: not the app; a new one is launched when tasks wait',
      ],
      ['terminated', 'Instances terminated', '1 instance terminated on gpu'],
    ]);
    // More within the quiet time: held, then one summary, never a burst.
    now += 10_000;
    taken('gpu', ['i-4']);
    expect(n.next(log.snap(), noMutes)).toEqual([]);
    // Muted with terminations.
    const muted = new Notifier({ now: () => now, redact: (t) => redact(t) });
    muted.next(log.snap(), noMutes);
    taken('cpu', ['i-5']);
    expect(muted.next(log.snap(), { ...noMutes, terminated: true })).toEqual([]);
  });

  it('muted categories are dropped, not deferred', () => {
    n.next(log.snap(), noMutes);
    const mutes = { ...noMutes, launched: true };
    log.add({ kind: 'launch', message: 'x', queue: 'gpu', count: 1 });
    log.add({ kind: 'terminate', message: 'x', queue: 'gpu', count: 1 });
    expect(n.next(log.snap(), mutes).map((o) => o.kind)).toEqual(['terminated']);
    now += 10 * MIN;
    expect(n.next(log.snap(), noMutes)).toEqual([]);
  });

  it('an engine restart (ids start over) is noticed', () => {
    log.add({ kind: 'engine', message: 'on' });
    n.next(log.snap(), noMutes);
    const fresh = snapshot({
      events: [{ id: 1, at: 0, level: 'info', kind: 'launch', message: 'x', queue: 'gpu', count: 1 }],
    });
    expect(n.next(fresh, noMutes).map((o) => o.body)).toEqual(['1 instance launched on gpu']);
  });

  const classify: [EngineEvent['kind'], string, string | null][] = [
    ['launch', 'ok', 'launched'],
    ['terminate', 'idle', 'terminated'],
    ['launch-failed', 'InsufficientInstanceCapacity', 'launchFailed'],
    // The words are not read: an event is a credentials problem by its cause or code (the cases below).
    ['launch-failed', 'AuthFailure: AWS was not able to validate the provided access credentials', 'launchFailed'],
    ['budget', 'cap', 'capReached'],
    ['error', 'ClearML rejected the credentials (401/22)', null],
    ['engine', 'AWS accepts the credentials again (AuthFailure no longer)', null],
    ['engine', "instance i-1 on 'gpu' was stopped outside the app: its disks are still billed", null],
    ['error', 'tick failed: ECONNRESET', null],
    ['decision', 'scale up', null],
    // A cap is told from the decision's code (the instance-cap row below), not from its words.
    ['decision', 'gpu: 5 pending, launching 1; 4 not launched: gpu_t4 is at its cap of 3', null],
    ['decision', 'gpu: 5 pending; 5 not launched: the global cap of 20 instances is reached', null],
    ['decision', 'gpu: 5 pending; 5 not launched: no capacity for g4dn.xlarge', null],
    ['orphan', 'orphan found', null],
  ];
  it.each(classify)('classifies %s "%s"', (kind, message, expected) => {
    expect(classifyEvent({ id: 1, at: 0, level: 'info', kind, message })).toBe(expected);
  });

  it("decides a failed launch from EC2's verdict when the event carries one, not from its words", () => {
    // The missing Spot role's code reads "AuthFailure…", yet the keys are fine: a launch failure, not credentials.
    const spotRole = ev.launchFailed(
      'gpu',
      'gpu_a',
      'spot launches of g4dn.xlarge (gpu_a) are refused: … (AuthFailure.ServiceLinkedRoleCreationNotPermitted) …',
      undefined,
      { cause: 'spot-role' },
    );
    expect(classifyEvent({ id: 1, at: 0, ...spotRole })).toBe('launchFailed');
    const auth = ev.launchFailed('gpu', 'gpu_a', 'Launches are stopped: …', undefined, { cause: 'auth' });
    expect(classifyEvent({ id: 2, at: 0, ...auth })).toBe('credentialsRejected');
  });
});

describe('OS notifications adapter', () => {
  beforeEach(() => resetElectronMock());

  it('shows what the notifier returns; a click navigates', () => {
    const controller = new FakeController();
    const settings = new MemorySettingsRepo();
    const onNavigate = vi.fn();
    const os = startOsNotifications({
      Notification: Notification as unknown as NotificationApi,
      store: controller.store,
      settings,
      notifier: new Notifier({ now: () => 0, redact: (t) => t }),
      onNavigate,
    });
    publish(controller.store, {
      events: [{ id: 1, at: 0, level: 'info', kind: 'launch', message: 'x', queue: 'gpu', count: 2 }],
    });
    expect(MockNotification.shown.map((s) => s.options.body)).toEqual(['2 instances launched on gpu']);
    MockNotification.shown[0]!.click();
    expect(onNavigate).toHaveBeenCalledWith({ view: 'instances' });
    settings.patch({ notificationMutes: { launched: true } });
    publish(controller.store, {
      events: [{ id: 2, at: 0, level: 'info', kind: 'launch', message: 'x', queue: 'cpu', count: 1 }],
    });
    expect(MockNotification.shown).toHaveLength(1);
    os.stop();
  });

  it('shows nothing where notifications are unsupported', () => {
    MockNotification.supported = false;
    const controller = new FakeController();
    const os = startOsNotifications({
      Notification: Notification as unknown as NotificationApi,
      store: controller.store,
      settings: new MemorySettingsRepo(),
      notifier: new Notifier({ now: () => 0, redact: (t) => t }),
      onNavigate: vi.fn(),
    });
    os.show('t', 'b');
    expect(MockNotification.shown).toEqual([]);
  });
});

describe('a launch failure that persists', () => {
  const AMI = 'InvalidAMIID.NotFound: the AMI ami-0bad does not exist in us-east-1: check the AMI id';
  const QUOTA = 'VcpuLimitExceeded: the vCPU quota for G instances is reached';
  const POLL = 15_000;

  /** Runs `minutes` of polls; `failing(t)` lists the [queue, message] failures of the poll at minute t. */
  function run(minutes: number, failing: (t: number) => [string, string][], mutes = noMutes) {
    let now = T0;
    const n = new Notifier({ now: () => now, redact: (t) => t });
    const log = engineLog();
    n.next(log.snap(), mutes);
    const shown: (Notice & { at: number })[] = [];
    for (let ms = 0; ms <= minutes * MIN; ms += POLL) {
      now = T0 + ms;
      for (const [queue, message] of failing(ms / MIN)) {
        if (message === 'launched') log.add({ kind: 'launch', queue, message, count: 1 });
        else log.add({ kind: 'launch-failed', level: 'error', queue, message });
      }
      for (const o of n.next(log.snap(), mutes)) if (o.kind === 'launchFailed') shown.push({ ...o, at: ms / MIN });
    }
    return shown;
  }
  const on = (queues: string[], message: string) => () => queues.map((q): [string, string] => [q, message]);
  const queues60 = Array.from({ length: 60 }, (_, k) => `q${k}`);

  const cases: [string, number, (t: number) => [string, string][], number[]][] = [
    // [name, minutes, failures per poll, the minutes at which a notice is shown]
    ['one queue, 2 h: at once, then after 5 and 30 min more', 120, on(['gpu'], AMI), [0, 5, 35]],
    ['two queues, 2 h: the same, never one per queue', 120, on(['gpu', 'cpu'], AMI), [0, 5, 35]],
    ['60 queues, 2 h: still one notice at a time', 120, on(queues60, AMI), [0, 5, 35]],
    ['one night (10 h): then every 3 h', 600, on(['gpu'], AMI), [0, 5, 35, 215, 395, 575]],
    [
      'a new message is news at once, and has its own schedule',
      60,
      (t) => [['gpu', t < 10 ? AMI : QUOTA]],
      [0, 5, 10, 15, 45],
    ],
    [
      'a launch that works ends it: the next failure is news at once',
      60,
      (t) => (t === 2 ? [['gpu', 'launched']] : [['gpu', AMI]]),
      [0, 2.25, 7.25, 37.25],
    ],
    [
      'a failure that stopped: the failures after the first notice are told once, then nothing',
      120,
      (t) => (t < 3 ? [['gpu', AMI]] : []),
      [0, 5],
    ],
    [
      'quiet for more than 15 min when a repeat is due: not repeated; back after an hour: news at once',
      140,
      (t) => (t < 20 || t >= 100 ? [['gpu', AMI]] : []),
      [0, 5, 100, 105, 135],
    ],
  ];
  it.each(cases)('%s', (_name, minutes, failing, at) => {
    const shown = run(minutes, failing);
    expect(shown.map((o) => o.at)).toEqual(at);
  });

  it('names the queues, bounded, and says how long it has failed', () => {
    const [first, second] = run(6, on(queues60, AMI));
    expect(first).toMatchObject({
      kind: 'launchFailed',
      queue: null,
      title: 'Launch failed on q0, q1, q2 and 57 more queues',
      body: `${AMI}.`,
      navigate: { view: 'events' },
    });
    expect(second).toMatchObject({ title: 'Launches still failing on q0, q1, q2 and 57 more queues' });
    expect(second?.body).toBe(`${AMI}. Failing for 5 min.`);
    const [two] = run(0, on(['gpu', 'cpu'], AMI));
    expect(two).toMatchObject({ title: 'Launch failed on gpu and cpu', queue: null });
    const [one] = run(0, on(['gpu'], AMI));
    expect(one).toMatchObject({ title: 'Launch failed on gpu', queue: 'gpu' });
    const long = run(0, on(['x'.repeat(255)], AMI))[0]!;
    expect(long.title.length).toBeLessThanOrEqual(60);
  });

  it('muted: nothing, and unmuting later does not replay it', () => {
    expect(run(120, on(['gpu'], AMI), { ...noMutes, launchFailed: true })).toEqual([]);
  });
});

describe('ClearML or EC2 unreadable for long', () => {
  const down = {
    enabled: true,
    status: 'error' as const,
    statusReason: 'ClearML could not be read at https://api.example.com: connection refused (ECONNREFUSED)',
    statusFix: ['settings' as const],
  };
  type Poll = Partial<Snapshot> | 'ok';
  /**
   * Polls every `pollMs` for `minutes`; `at(t)` is the poll at minute t: 'ok' (read), or how the engine's snapshot
   * looks (a failed read keeps lastTickOkAt where it was).
   */
  function run(minutes: number, at: (t: number) => Poll, pollMs = 15_000, mutes = noMutes) {
    let now = T0;
    const n = new Notifier({ now: () => now, redact: (t) => t });
    let okAt = T0 - pollMs;
    n.next(snapshot({ enabled: true, status: 'watching', lastTickAt: okAt, lastTickOkAt: okAt }), mutes);
    const shown: (Notice & { at: number })[] = [];
    for (let ms = 0; ms <= minutes * MIN; ms += pollMs) {
      now = T0 + ms;
      const poll = at(ms / MIN);
      if (poll === 'ok') okAt = now;
      const s = snapshot({
        enabled: true,
        status: 'watching',
        lastTickAt: now,
        lastTickOkAt: okAt,
        ...(poll === 'ok' ? {} : poll),
      });
      for (const o of n.next(s, mutes)) shown.push({ ...o, at: ms / MIN });
    }
    return shown;
  }
  const outage =
    (from: number, to: number, how: Partial<Snapshot> = down) =>
    (t: number) =>
      t >= from && t < to ? how : 'ok';

  const cases: [string, number, (t: number) => Poll, number, [number, string][]][] = [
    // [name, minutes, polls, poll interval, the notices: [minute, title]]
    [
      '2 h down: told once after 5 min, and once it has answered for 5 min',
      180,
      outage(10, 130),
      15_000,
      [
        [15, 'Autoscaling on hold: ClearML cannot be read'],
        [135, 'ClearML answers again'],
      ],
    ],
    [
      'flapping (down 12 min, up 2, six times): one outage, told once each way',
      120,
      (t) => (t < 84 && t % 14 < 12 ? down : 'ok'),
      15_000,
      [
        [5, 'Autoscaling on hold: ClearML cannot be read'],
        [87, 'ClearML answers again'],
      ],
    ],
    [
      'both unreadable at some point: the end names both',
      60,
      (t) =>
        t < 10
          ? down
          : t < 20
            ? { ...down, statusReason: `${down.statusReason}; EC2 could not be read at https://ec2…: timeout` }
            : 'ok',
      15_000,
      [
        [5, 'Autoscaling on hold: ClearML cannot be read'],
        [25, 'ClearML and EC2 answer again'],
      ],
    ],
    ['a 2-minute blip: nothing, before or after', 30, outage(10, 12), 15_000, []],
    [
      'EC2 unreadable',
      30,
      outage(0, 20, { ...down, statusReason: 'EC2 could not be read at https://ec2.us-east-1.amazonaws.com: …' }),
      15_000,
      [
        [5, 'Autoscaling on hold: EC2 cannot be read'],
        [25, 'EC2 answers again'],
      ],
    ],
    [
      'a 5-min polling interval: not after one failed poll, after the third',
      70,
      outage(10, 60),
      5 * MIN,
      [
        [20, 'Autoscaling on hold: ClearML cannot be read'],
        [65, 'ClearML answers again'],
      ],
    ],
    [
      'credentials refused: told as such (another category), not as an outage',
      60,
      outage(0, 60, { ...down, statusFix: ['credentials'] }),
      15_000,
      [],
    ],
    ['autoscaling off: nothing is held', 60, outage(0, 60, { ...down, enabled: false, status: 'off' }), 15_000, []],
    [
      'standing by for another engine: this one would not act anyway',
      60,
      outage(0, 60, { ...down, leadership: standbyLeadership() }),
      15_000,
      [],
    ],
    [
      'turned off during the outage: no "answers again" for it',
      60,
      (t) => (t < 20 ? down : { ...down, enabled: false, status: 'off' }),
      15_000,
      [[5, 'Autoscaling on hold: ClearML cannot be read']],
    ],
  ];
  it.each(cases)('%s', (_name, minutes, at, pollMs, expected) => {
    const shown = run(minutes, at, pollMs);
    expect(shown.map((o) => [o.at, o.title])).toEqual(expected);
    expect(shown.every((o) => o.kind === 'connectionLost')).toBe(true);
  });

  it('says why, what it means and where to fix it; the recovery says for how long', () => {
    const [lost, back] = run(60, outage(0, 35));
    expect(lost).toEqual({
      kind: 'connectionLost',
      queue: null,
      title: 'Autoscaling on hold: ClearML cannot be read',
      body:
        'ClearML could not be read at https://api.example.com: connection refused (ECONNREFUSED). Nothing is ' +
        'launched or terminated until it answers; running instances keep billing.',
      navigate: { view: 'settings' },
      at: 5,
    });
    expect(back).toMatchObject({
      body: 'Autoscaling acts again after 35 min on hold.',
      navigate: { view: 'overview' },
    });
  });

  it('a flapping outage: its end says how often it answered in between', () => {
    const shown = run(120, (t) => (t < 84 && t % 14 < 12 ? down : 'ok'));
    expect(shown.at(-1)?.body).toBe(
      'Autoscaling acts again after 82 min on hold (it answered for a while 5 times in between).',
    );
  });

  it.each([
    // [case, minutes the reads still fail after the wake, the notices: [minutes after the wake, title]]
    ['the network back 40 s after the wake: nothing, before or after', 40 / 60, []],
    [
      'still down 8 min after the wake: told 5 min after the wake, not at once',
      8,
      [
        [5, 'Autoscaling on hold: ClearML cannot be read'],
        [13, 'ClearML answers again'],
      ],
    ],
  ] as [string, number, [number, string][]][])(
    'a poll failed as the lid closed, then 8 h asleep: %s',
    (_name, downAfterWake, expected) => {
      let now = T0;
      const n = new Notifier({ now: () => now, redact: (t) => t });
      let okAt = now;
      const poll = (failed: boolean) => {
        if (!failed) okAt = now;
        const s = snapshot({ enabled: true, status: 'watching', lastTickAt: now, lastTickOkAt: okAt });
        return n.next(failed ? { ...s, ...down } : s, noMutes);
      };
      poll(false);
      now += 15_000;
      expect(poll(true)).toEqual([]); // Wi-Fi went first
      const wake = (now += 8 * 3600_000);
      n.resumed();
      const shown: [number, string][] = [];
      for (; now <= wake + 20 * MIN; now += 15_000)
        for (const o of poll(now < wake + downAfterWake * MIN)) shown.push([(now - wake) / MIN, o.title]);
      expect(shown).toEqual(expected);
    },
  );

  it('muted: neither the outage nor its end', () => {
    expect(run(60, outage(0, 30), 15_000, { ...noMutes, connectionLost: true })).toEqual([]);
  });
});

describe('rendered text never doubles a full stop', () => {
  /** Two periods in a row that are not part of a three-dot ellipsis. */
  const DOUBLE_PERIOD = /(?<!\.)\.\.(?!\.)/;
  const authReason = (err: unknown) => {
    const gate = new AuthGate();
    gate.note(err);
    return gate.blockedAt(0) ?? '';
  };
  const cases: [string, string][] = [
    ...['AuthFailure', 'UnauthorizedOperation', 'ExpiredToken', 'CredentialsProviderError', 'OptInRequired'].map(
      (code): [string, string] => [`AWS ${code}`, authReason(classifyEc2Error({ name: code, message: 'x' }))],
    ),
    ['ClearML 401', authReason(new ClearmlError('auth', 'ClearML rejected the access key (HTTP 401/22).'))],
    ['a message without a full stop', 'ClearML rejected the credentials "AKTEST…" (HTTP 401/22): check the key pair'],
    ['a message with one', 'AWS AuthFailure: the credentials were rejected.'],
  ];
  it.each(cases)('%s, as the engine states it and as notified', (_, message) => {
    expect(message).not.toBe('');
    expect(message).not.toMatch(DOUBLE_PERIOD);
    const n = new Notifier({ now: () => 0, redact: (t) => t });
    const log = engineLog();
    n.next(log.snap(), noMutes);
    log.add({ kind: 'launch-failed', level: 'error', queue: 'gpu', cause: 'auth', message });
    log.add({ kind: 'error', level: 'error', code: 'credentials-refused', message });
    const out = n.next(log.snap(), noMutes);
    expect(out.map((o) => o.kind)).toContain('credentialsRejected');
    for (const o of out) {
      expect(o.body).not.toMatch(DOUBLE_PERIOD);
      // The advice that follows the message starts a sentence of its own, whether or not the message ended one.
      if (o.kind === 'credentialsRejected') expect(o.body).toMatch(/[^.][.!?…] Open the Credentials tab/);
    }
  });
});
