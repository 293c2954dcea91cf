// The host records the timeline from what it publishes, serves it and instance details (console tail included)
// over the demo world (real HTTP emulators), and a new host on the same data folder keeps the history.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngineHost, type EngineHost } from '../../electron/engine/host.js';

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

    await host.stop();
    hosts.length = 0;
    expect(existsSync(path.join(dir, 'timeline.json'))).toBe(true);
    const again = createEngineHost({ dataDir: dir });
    hosts.push(again);
    const kept = await again.timeline(1);
    expect(kept.points.length).toBeGreaterThanOrEqual(t.points.length);
    expect(kept.markers.some((m) => m.kind === 'launch')).toBe(true);
  }, 60_000);
});
