// One of our instances stopped outside the app (the console, a script, a scheduled stop) showed as `terminating`
// forever, was never terminated, and its volumes billed unseen. It now has a phase of its own, a warning says so
// once, and it is terminated after the grace. The real engine and provider against the emulators.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent, Snapshot } from '../../shared/domain.js';
import { defaultSettings } from '../../shared/settings.js';
import { Notifier, type Notice } from '../../shared/notify/notifier.js';
import { STOPPED_GRACE_MS } from '../../electron/engine/policy.js';
import { stateChangedAt } from '../../electron/engine/ec2/instances.js';
import { CostHistory } from '../../electron/engine/cost/history.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import { createPriceLookup } from '../../electron/engine/prices.js';
import { statusLine as headlessLine } from '../../electron/engine/cli/view.js';
import { statusLine as trayLine } from '../../electron/main/tray/tray-model.js';
import { overviewModel } from '../../renderer/src/model/overview.js';
import { rowNote, stateAside } from '../../renderer/src/model/instances.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
const histories: CostHistory[] = [];
afterEach(async () => {
  await world?.close();
  world = null;
  for (const h of histories.splice(0)) await h.close();
});

const terminateCalls = (w: World) => w.ec2.log.filter((c) => c.action === 'TerminateInstances').length;

describe('an instance of ours stopped outside the app', () => {
  it('is `stopped`, said once with a warning, its task requeued, and terminated after the grace', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const events: EngineEvent[] = [];
    const engine = w.newEngine(baseConfig(), { onEvent: (e) => void events.push(e) });
    const [task] = addTasks(w.clearml, 'cpu', 1, 7200);
    await w.run(engine, 120);
    const [id] = w.live().map((i) => i.instanceId);
    w.ec2.stopOutside(id!);
    const seen = events.length;
    await w.run(engine, 60);

    const phase = () => w.store.getState().instances.find((i) => i.instanceId === id)?.phase;
    expect(phase()).toBe('stopped');
    const said = events
      .slice(seen)
      .filter((e) => e.kind !== 'decision' && e.kind !== 'launch')
      .map((e) => e.message);
    expect(said).toEqual([
      `task ${task} returned to 'cpu': its instance ${id} was stopped outside the app`,
      `instance ${id} on 'cpu' was stopped outside the app: its disks are still billed; it will be terminated in 30 min unless started again`,
    ]);
    // Not capacity: the task's replacement launched.
    expect(w.live()).toHaveLength(1);

    // Left alone within the grace, said only once.
    await w.run(engine, STOPPED_GRACE_MS / 1000 - 120, 60);
    expect(w.ec2.instance(id!)?.state).toBe('stopped');
    expect(terminateCalls(w)).toBe(0);
    expect(events.filter((e) => e.message.includes('was stopped outside the app:'))).toHaveLength(1);

    await w.run(engine, 120, 60);
    expect(terminateCalls(w)).toBe(1);
    expect(['shutting-down', 'terminated']).toContain(w.ec2.instance(id!)?.state);
    expect(events.at(-1)?.message ?? '').toMatch(
      new RegExp(
        `^terminated 1 instance on 'cpu': stopped outside the app for 3\\d(\\.\\d)? min \\(not started again within 30 min\\)`,
      ),
    );
  });

  it('a restart does not start the grace over: it counts from the stop EC2 reports', async () => {
    const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
    const events: EngineEvent[] = [];
    const engine = w.newEngine(baseConfig());
    addTasks(w.clearml, 'cpu', 1, 7200);
    await w.run(engine, 120);
    const [id] = w.live().map((i) => i.instanceId);
    w.ec2.stopOutside(id!);
    await w.run(engine, 20 * 60, 60);
    expect(terminateCalls(w)).toBe(0);

    // The app restarts 20 min into the grace: a new engine, no memory of when it first saw the stop.
    const restarted = w.newEngine(baseConfig(), { onEvent: (e) => void events.push(e) });
    await w.run(restarted, 60, 60);
    expect(events.find((e) => e.message.includes('was stopped outside the app:'))?.message).toMatch(
      /it will be terminated in 9 min unless started again$/,
    );
    await w.run(restarted, 10 * 60, 60);
    expect(terminateCalls(w)).toBe(1);
  });

  it.each([
    ['User initiated (2026-12-07 12:00:00 GMT)', Date.UTC(2026, 11, 7, 12, 0, 0)],
    ['Service initiated (2026-12-07 23:59:59 GMT)', Date.UTC(2026, 11, 7, 23, 59, 59)],
    // moto's wording (and that of AWS's boto3 examples).
    ['User initiated (2026-12-07 12:00:00 UTC)', Date.UTC(2026, 11, 7, 12, 0, 0)],
    ['User initiated (2026-12-07 12:00:00 CET)', null],
    ['', null],
    ['User initiated', null],
    [undefined, null],
  ])('EC2 reason %j: stopped at %s', (reason, at) => {
    expect(stateChangedAt(reason)).toBe(at);
  });

  describe('on every surface', () => {
    /** The world with one busy cpu instance, its costs kept by a real tracker; then that instance stopped. */
    async function stoppedOne() {
      const w = (world = await startWorld({ queues: ['cpu', 'gpu'] }));
      const book = new PriceBook({ region: 'us-east-1', clock: w.clock });
      const history = await CostHistory.open({
        file: path.join(mkdtempSync(path.join(tmpdir(), 'stopped-')), 'h.jsonl'),
        clock: w.clock,
      });
      histories.push(history);
      const tracker = new CostTracker(history, book);
      const prices = createPriceLookup('us-east-1', { clock: w.clock, book });
      const engine = w.newEngine(baseConfig(), { costs: tracker, prices });
      // The desktop's notifier, fed every snapshot; times in UTC so the expected text does not hang on the zone.
      const notifier = new Notifier({
        now: () => w.clock.now(),
        redact: (t) => t,
        clock: (ms) => new Date(ms).toISOString().slice(11, 16),
      });
      const notices: Notice[] = [];
      const tick = async (sec: number) => {
        await w.run(engine, sec, 60);
        notices.push(...notifier.next(w.store.getState(), defaultSettings().notificationMutes));
      };
      addTasks(w.clearml, 'cpu', 1, 7200);
      await tick(120);
      const [id] = w.live().map((i) => i.instanceId);
      // The grace counts from the stop EC2 reports (StateTransitionReason), not from the tick that sees it.
      const stoppedAt = w.clock.now();
      w.ec2.stopOutside(id!);
      await tick(60);
      const row = () => w.store.getState().instances.find((i) => i.instanceId === id);
      return { w, id: id!, stoppedAt, tick, notices, row, tracker };
    }

    const utc = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const local = (ms: number) => new Date(ms).toTimeString().slice(0, 5);

    it('one notice says it was stopped outside the app and when it is terminated; its termination adds only the usual notice', async () => {
      const { id, stoppedAt, tick, notices, row } = await stoppedOne();
      expect(row()?.phase).toBe('stopped');
      const ends = stoppedAt + STOPPED_GRACE_MS;
      expect(row()?.terminatesAt).toBe(ends);
      const stoppedNotices = () => notices.filter((n) => n.title === 'Instance stopped outside the app');
      expect(stoppedNotices()).toEqual([
        {
          kind: 'terminated',
          queue: 'cpu',
          title: 'Instance stopped outside the app',
          body: `${id} on cpu. Stopped outside the app: its disks still bill; it will be terminated at ${utc(ends)} unless started again. To keep it, remove its clearml-autoscaler:prefix tag.`,
          navigate: { view: 'instances' },
        },
      ]);

      await tick(STOPPED_GRACE_MS / 1000 + 60);
      expect(stoppedNotices()).toHaveLength(1);
      expect(notices.filter((n) => n.kind === 'terminated').map((n) => n.body)).toEqual([
        stoppedNotices()[0]!.body,
        '1 instance terminated on cpu',
      ]);
    });

    it('its row shows the phase once, with a note of when it is terminated and how to keep it', async () => {
      const { stoppedAt, row } = await stoppedOne();
      const ends = stoppedAt + STOPPED_GRACE_MS;
      expect(stateAside(row()!)).toBeNull();
      expect(rowNote(row()!)).toBe(
        `Stopped outside the app: its disks still bill; it will be terminated at ${local(ends)} unless started again. To keep it, remove its clearml-autoscaler:prefix tag.`,
      );
    });

    it('its row cost stops growing while it is stopped, and says what the cost tracker says', async () => {
      const { w, id, tick, row, tracker } = await stoppedOne();
      const before = { row: row()!.costSoFar, tracker: tracker.billed(id, w.clock.now())?.costSoFar };
      expect(before.row).toBeGreaterThan(0);
      expect(before.tracker).toBe(before.row);
      await tick(300);
      expect(row()?.phase).toBe('stopped');
      expect({ row: row()!.costSoFar, tracker: tracker.billed(id, w.clock.now())?.costSoFar }).toEqual(before);
    });

    it('the tray, the headless status line and the Overview count it apart from what runs, with when it is terminated', async () => {
      const { w, stoppedAt, tick } = await stoppedOne();
      // Past the replacement's boot: one instance runs (the replacement), one is stopped.
      await tick(120);
      const s: Snapshot = { ...w.store.getState(), enabled: true };
      const ends = stoppedAt + STOPPED_GRACE_MS;
      expect(s.instances.map((i) => i.phase).sort()).toEqual(['busy', 'stopped']);
      expect(trayLine(s)).toMatch(
        new RegExp(`^Autoscaling on: 1 running, \\$[0-9.]+/h; 1 stopped, terminates at ${local(ends)}$`),
      );
      expect(headlessLine(s)).toMatch(
        new RegExp(` · 1 instance \\(1 busy, 0 idle, 0 booting\\) · 1 stopped, terminates at ${utc(ends)} · `),
      );
      const m = overviewModel(s, w.clock.now());
      expect(m.running).toBe(1);
      expect(m.stopped).toBe(`1 stopped, terminates at ${local(ends)}`);
    });
  });
});
