// The host records the timeline from what it publishes, serves it and instance details (console tail included)
// over the demo world (real HTTP emulators), and a new host on the same data folder keeps the history.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngineHost, type EngineHost } from '../../electron/engine/host.js';
import { JOURNAL_FILE } from '../../electron/engine/reliability/intent-journal.js';
import { AWS_KEYS, addTasks, baseConfig } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let dir = '';
const hosts: EngineHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('host timeline and instance detail (demo world)', () => {
  it('records a sample per poll and a launch marker; details a booting instance with its console; survives a restart', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'host-timeline-'));
    const host = createEngineHost({ dataDir: dir });
    hosts.push(host);
    await host.startDemo();
    // The demo queues its first GPU tasks a second in; tick until the engine launches for them.
    const launched = await until('a launch', async () => {
      const r = await host.tickNow();
      return r?.launched.length ? r.launched : null;
    });
    // Just launched, so booting once the next poll lists it: the console is read (EC2 has nothing while pending).
    await host.tickNow();
    expect((await host.instanceDetail(launched[0]!)).console.state).toMatch(/^(empty|shown)$/);
    // A 1 h chart has a point per 5 s: two polls further apart are two points.
    await sleep(5100);
    await host.tickNow();
    const t = await host.timeline(1);
    expect(t.points.length).toBeGreaterThanOrEqual(2);
    expect(t.queues).toEqual(expect.arrayContaining(['gpu', 'cpu']));
    expect(t.markers.some((m) => m.kind === 'launch' && m.instanceIds?.includes(launched[0]!))).toBe(true);
    const last = t.points.at(-1)!;
    expect(last.queues['gpu']!.booting + last.queues['gpu']!.busy + last.queues['gpu']!.idle).toBeGreaterThan(0);

    // Booting: the console tail is read (EC2 has output once the instance runs, two seconds in the demo).
    const detail = await until('a console tail', async () => {
      await host.tickNow();
      const d = await host.instanceDetail(launched[0]!);
      return d.console.state === 'shown' ? d : d.phase !== 'booting' ? d : null;
    });
    expect(detail).toMatchObject({ known: true, instanceId: launched[0] });
    expect(detail.queue).toMatch(/^(gpu|cpu)$/);
    expect(detail.launchedAt).toEqual(expect.any(Number));
    expect(detail.hourlyPrice).toBeGreaterThan(0);
    if (detail.phase === 'booting') {
      expect(detail.console.state).toBe('shown');
      if (detail.console.state === 'shown') expect(detail.console.lines.join('\n')).toMatch(/Linux version/);
    }
    expect(detail.events.some((e) => e.kind === 'launch')).toBe(true);

    // The demo's world is made up: none of it is left in the data folder the real engine reads at its next start
    // (launch journal, region registry, spend, prices, timeline, events); only this install's identity.
    await host.stop();
    hosts.length = 0;
    expect(readdirSync(dir)).toEqual(['team.json']);
  }, 60_000);
});

describe('what a restart keeps (the real engine, against the emulators)', () => {
  let world: World | null = null;
  afterEach(async () => {
    await world?.close();
    world = null;
  });

  async function opener() {
    dir = mkdtempSync(path.join(tmpdir(), 'host-kept-'));
    const w = (world = await startWorld({ queues: ['gpu', 'cpu'] }));
    const config = baseConfig({ clearml: { apiHost: w.clearml.url } });
    const open = (c = config) => {
      const h = w.host({ dataDir: dir });
      h.configure(c, { clearml: null, aws: AWS_KEYS });
      return h;
    };
    return { w, config, open };
  }

  it('the timeline and the event log, across a config change too; new event ids follow the kept ones', async () => {
    const { w, config, open } = await opener();
    const first = open();
    addTasks(w.clearml, 'gpu', 1, 600);
    await first.tickNow();
    w.clock.advance(15_000);
    // A new config builds a new engine: the log goes on.
    first.configure({ ...config, scaling: { ...config.scaling, maxIdleMin: 10 } }, { clearml: null, aws: AWS_KEYS });
    await first.tickNow();
    const before = first.store.getState().events;
    expect(before.some((e) => e.kind === 'launch')).toBe(true);
    const points = (await first.timeline(1)).points.length;
    expect(points).toBeGreaterThanOrEqual(2);
    // On disk, secret shapes are masked even in a text that should never hold one.
    first.engine!.emit({ level: 'warn', kind: 'engine', message: 'a reply quoted AKIAZZZZEXAMPLE12345' });
    await first.stop();
    const onDisk = readFileSync(path.join(dir, 'events.json'), 'utf8');
    expect(onDisk).toContain('a reply quoted ');
    expect(onDisk).not.toContain('AKIAZZZZEXAMPLE12345');

    w.clock.advance(15_000);
    const again = open();
    addTasks(w.clearml, 'cpu', 1, 600);
    await again.tickNow();
    const after = again.store.getState().events;
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).some((e) => e.kind === 'launch')).toBe(true);
    expect(Math.min(...after.slice(before.length).map((e) => e.id))).toBeGreaterThan(before.at(-1)!.id);
    expect((await again.timeline(1)).points.length).toBeGreaterThan(points);
  });

  it('leaving the demo while the app runs: the data folder is used again as before it, none of the demo kept', async () => {
    const { w, config, open } = await opener();
    const first = open();
    addTasks(w.clearml, 'gpu', 1, 600);
    await first.tickNow();
    const before = first.store.getState().events;
    await first.stop();

    // The next start tries the demo first (no config applied yet), then leaves it.
    const host = w.host({ dataDir: dir });
    await host.startDemo();
    const demoLaunched = await until('a demo launch', async () => {
      const r = await host.tickNow();
      return r?.launched.length ? r.launched : null;
    });
    await host.setEnabled(true);
    await host.stopDemo();
    expect(host.demo).toBe(false);
    expect([host.config, host.engine, host.demoEmulation]).toEqual([null, null, null]);
    const left = host.store.getState();
    expect(left).toMatchObject({ demo: false, enabled: false, status: 'off', queues: [], instances: [] });
    // The event log is the one kept before the demo; ids go on counting up from the demo's.
    expect(left.events).toEqual(before);
    expect(await host.tickNow()).toBeNull();

    // The saved config applied: the real engine writes to the data folder again.
    host.configure(config, { clearml: null, aws: AWS_KEYS });
    w.clock.advance(15_000);
    addTasks(w.clearml, 'cpu', 1, 600);
    const r = await host.tickNow();
    expect(r?.launched).toHaveLength(1);
    const after = host.store.getState().events;
    expect(after.slice(0, before.length)).toEqual(before);
    expect(Math.min(...after.slice(before.length).map((e) => e.id))).toBeGreaterThan(before.at(-1)!.id);
    await host.stop();
    const onDisk = readFileSync(path.join(dir, 'events.json'), 'utf8');
    expect(onDisk).toContain(r!.launched[0]!);
    for (const id of demoLaunched) expect(onDisk).not.toContain(id);
    // The launch journal is written again (the demo had it off).
    expect(readFileSync(path.join(dir, JOURNAL_FILE), 'utf8')).toContain(r!.launched[0]!);
  }, 60_000);

  it('an event log file that does not parse is set aside, said, and the log starts empty', async () => {
    const { open } = await opener();
    writeFileSync(path.join(dir, 'events.json'), '{"version":1,"events":[{"id":"x"}]}');
    const h = open();
    await h.tickNow();
    expect(existsSync(path.join(dir, 'events.json.corrupt'))).toBe(true);
    expect(h.store.getState().events[0]?.message).toMatch(
      /^the event log in .*events\.json could not be read \(.*\); it was kept as events\.json\.corrupt/,
    );
  });
});
