// The timeline's file: a restart keeps the last 24 h; a corrupt file is kept aside and the history starts empty.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../electron/engine/timeline/recorder.js';
import { ManualClock } from '../ec2/helpers.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const counts = (busy: number) => ({ gpu: { busy, idle: 1, booting: 0, pending: 2 } });

describe('TimelineRecorder', () => {
  it('a restart keeps the history, minus what is older than a day', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    const clock = new ManualClock();
    const a = await TimelineRecorder.open({ file, clock });
    a.add({ at: clock.now() - 25 * 3600_000, queues: counts(9), burnPerHour: 9 });
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      a.add({ at: clock.now(), queues: counts(i), burnPerHour: 1 });
    }
    a.mark({ at: clock.now(), kind: 'launch', message: 'launched 1 × g4dn.xlarge', instanceIds: ['i-0abc1234'] });
    await a.flush();

    const b = await TimelineRecorder.open({ file, clock });
    const t = b.query(1);
    expect(t.points.map((p) => p.queues['gpu']!.busy)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(t.markers).toHaveLength(1);
    expect(b.size.samples).toBe(10);
  });

  it('writes at most every flushMs while recording', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    const clock = new ManualClock();
    const r = await TimelineRecorder.open({ file, clock, flushMs: 30_000 });
    r.add({ at: clock.now(), queues: counts(1), burnPerHour: 1 });
    await Promise.resolve();
    expect(existsSync(file)).toBe(false);
    clock.advance(30_000);
    r.add({ at: clock.now(), queues: counts(2), burnPerHour: 1 });
    await r.flush();
    expect((JSON.parse(readFileSync(file, 'utf8')) as { samples: unknown[] }).samples).toHaveLength(2);
  });

  it('a file that does not parse is kept as .corrupt, reported, and the history starts empty', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    writeFileSync(file, '{"version":1,"samples":[{"at":"yesterday"}');
    const problems: string[] = [];
    const r = await TimelineRecorder.open({ file, clock: new ManualClock(), onProblem: (m) => problems.push(m) });
    expect(r.size).toEqual({ samples: 0, markers: 0 });
    expect(statSync(`${file}.corrupt`).size).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/could not be read.*timeline\.json\.corrupt.*starts empty/);
  });

  it('a full day of 2 s polls stays a bounded file (under 1 MB)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    const clock = new ManualClock();
    const r = await TimelineRecorder.open({ file, clock, flushMs: Number.MAX_SAFE_INTEGER });
    const queues = { gpu: counts(3).gpu, cpu: counts(1).gpu, big: counts(8).gpu };
    for (let t = 0; t < 24 * 3600_000; t += 2000) {
      clock.advance(2000);
      r.add({ at: clock.now(), queues, burnPerHour: 4.2 });
    }
    await r.flush();
    expect(statSync(file).size).toBeLessThan(1_000_000);
  });
});
