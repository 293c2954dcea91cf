// While autoscaling is off, a host with someone watching (`watchWhileOff`: the desktop app, the preview, a served
// team engine) goes on observing, read-only, every polling interval, so the window and tray follow the queues and
// what still runs; turning autoscaling on hands over to the acting loop, and stopping the host ends both.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../electron/engine/ports.js';
import { AWS_KEYS, addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

/**
 * The world's virtual time, except that the host's loop sleeps (the only sleeps given an abort signal) last until
 * `wake()`: a test sees each loop asleep between its ticks and decides when the next one runs.
 */
class LoopClock implements Clock {
  readonly sleeping: { ms: number; end: () => void }[] = [];
  constructor(private readonly world: World) {}
  /** This machine's clock (`world.local`: a test may step it), as the host and its clients read it. */
  now(): number {
    return this.world.local.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!signal) return this.world.clock.sleep(ms);
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const s = {
        ms,
        end: () => {
          const k = this.sleeping.indexOf(s);
          if (k >= 0) this.sleeping.splice(k, 1);
          resolve();
        },
      };
      this.sleeping.push(s);
      signal.addEventListener('abort', s.end, { once: true });
    });
  }
  /** Time passes to the end of every loop sleep (and `lateMs` more: the computer slept), and each ends. */
  wake(lateMs = 0): void {
    const all = this.sleeping.splice(0);
    this.world.clock.advance(Math.max(0, ...all.map((s) => s.ms)) + lateMs);
    for (const s of all) s.end();
  }
  /** Resolves once a loop sleeps again (its tick is done). */
  async asleep(): Promise<void> {
    const end = Date.now() + 10_000;
    while (this.sleeping.length === 0) {
      if (Date.now() > end) throw new Error('no loop went back to sleep within 10 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function offHost(watchWhileOff: boolean) {
  const w = (world = await startWorld({ queues: ['gpu', 'cpu'] }));
  const clock = new LoopClock(w);
  const host = w.host({ clock, watchWhileOff });
  const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
  host.configure(
    { ...config, scaling: { ...config.scaling, pollingIntervalSec: 20 } },
    { clearml: null, aws: AWS_KEYS },
  );
  // The observation every configure makes while off.
  await host.refresh();
  const pending = (queue: string) => host.store.getState().queues.find((q) => q.name === queue)?.pending;
  return { w, clock, h: host, pending };
}

describe('observing while autoscaling is off', () => {
  it('follows the queues every polling interval and launches nothing', async () => {
    const { w, clock, h, pending } = await offHost(true);
    expect(clock.sleeping.map((s) => s.ms)).toEqual([20_000]);
    const firstPoll = h.store.getState().lastTickOkAt;
    addTasks(w.clearml, 'gpu', 2, 600);
    expect(pending('gpu')).toBe(0);

    clock.wake();
    await clock.asleep();
    expect(pending('gpu')).toBe(2);
    expect(h.store.getState().lastTickOkAt).toBe(firstPoll! + 20_000);
    expect(h.store.getState().status).toBe('off');
    expect(w.live()).toEqual([]);

    // Back from sleep (or the network): it observes at once, not at the end of the interval.
    addTasks(w.clearml, 'gpu', 1, 600);
    h.reconcileNow('system resumed from sleep');
    await clock.asleep();
    expect(pending('gpu')).toBe(3);
    expect(h.store.getState().lastTickOkAt).toBe(firstPoll! + 20_000);
  });

  it('without it, the host observes once and then waits to be asked', async () => {
    const { w, clock, h, pending } = await offHost(false);
    expect(clock.sleeping).toEqual([]);
    addTasks(w.clearml, 'gpu', 2, 600);
    await h.refresh();
    expect(pending('gpu')).toBe(2);
    expect(clock.sleeping).toEqual([]);
  });

  it('hands over to the acting loop when turned on, resumes when turned off, and ends with the host', async () => {
    const { w, clock, h } = await offHost(true);
    addTasks(w.clearml, 'gpu', 1, 600);

    await h.setEnabled(true);
    await clock.asleep();
    // One loop: the acting one, which launched for the task; the watch ended.
    expect(clock.sleeping.length).toBe(1);
    expect(w.live().length).toBe(1);

    await h.setEnabled(false);
    expect(clock.sleeping.map((s) => s.ms)).toEqual([20_000]);
    expect(h.store.getState().status).toBe('off');

    // Stopping wakes the sleeping watch instead of waiting a polling interval (here: forever) for it.
    const stopped = await Promise.race([
      h.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('still stopping after 5 s'), 5000)),
    ]);
    expect(stopped).toBe('stopped');
    expect(clock.sleeping).toEqual([]);
  });
});

describe('a poll far later than asked (the computer slept, the process was stopped)', () => {
  it('is said once after the next poll, with what ended meanwhile; an on-time poll says nothing', async () => {
    const { w, clock, h } = await offHost(true);
    addTasks(w.clearml, 'gpu', 1, 4 * 3600);
    await h.setEnabled(true);
    await clock.asleep();
    const [launched] = w.live();
    expect(launched).toBeDefined();
    const awayEvents = () => h.store.getState().events.filter((e) => /did not poll/.test(e.message));

    clock.wake();
    await clock.asleep();
    expect(awayEvents()).toEqual([]);

    // Asleep for 2 h: meanwhile EC2 ends the instance (a spot reclaim, or its watchdog once its lease ran out).
    w.ec2.powerOff(launched!.instanceId, 'reclaimed while the engine slept');
    clock.wake(2 * 3600_000);
    await clock.asleep();
    const [away] = awayEvents();
    expect(away).toMatchObject({ level: 'warn', kind: 'engine', instanceIds: [launched!.instanceId] });
    expect(away!.message).toMatch(
      new RegExp(
        `^the engine did not poll for 2 h \\(.*\\): this computer slept, the process was paused, or the clock jumped; ` +
          `nothing was launched, terminated or renewed meanwhile\\. Meanwhile 1 instance ended without this engine \\(${launched!.instanceId}\\)\\.$`,
      ),
    );

    // Said once: the next poll is on time.
    clock.wake();
    await clock.asleep();
    expect(awayEvents()).toHaveLength(1);
  });

  it("is measured on AWS's time: a clock stepped a day ahead or an hour back is a wrong clock, not an absence", async () => {
    const { w, clock, h } = await offHost(true);
    await h.setEnabled(true);
    await clock.asleep();
    const said = () => h.store.getState().events.map((e) => e.message);

    // One on-time poll with this machine's clock stepped a day ahead (a wrong NTP server, a manual change).
    w.local.shiftMs = 86_400_000;
    clock.wake();
    await clock.asleep();
    expect(said().filter((m) => /did not poll/.test(m))).toEqual([]);
    expect(said().some((m) => m.startsWith("this computer's clock is 1 d 0 h ahead of AWS's"))).toBe(true);

    // Asleep for 2 h while the clock is stepped back to an hour behind: 2 h without a poll, not a day less one.
    w.local.shiftMs = -3_600_000;
    clock.wake(2 * 3600_000);
    await clock.asleep();
    const away = said().filter((m) => /did not poll/.test(m));
    expect(away).toHaveLength(1);
    expect(away[0]).toMatch(/^the engine did not poll for 2 h \(/);
  });
});
