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

  // 100 queues (the bench's scale), a day of 2 s polls (the minimum), 2,000 markers (the ring's cap). Version 1 wrote
  // every queue in every sample: 17-18 MB for both, over the 8 MB a kept file may be when read back.
  const hundredQueues = (changeEveryPolls: number) => (n: number) => {
    const queues: Record<string, { busy: number; idle: number; booting: number; pending: number }> = {};
    for (let q = 0; q < 100; q++) {
      const v = Math.floor((n + q * 7) / changeEveryPolls);
      queues[`queue-${q}`] = { busy: v % 5, idle: (v >> 1) % 3, booting: v % 2, pending: (v * 3) % 17 };
    }
    return queues;
  };
  it.each([
    ['each queue changes every 5 min', hundredQueues(150), 1_250_000],
    ['every queue changes at every poll', hundredQueues(1), 4_000_000],
  ])('100 queues over 24 h, %s: the file stays under its stated size and reads back the same', async (_, at, max) => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    const clock = new ManualClock();
    const r = await TimelineRecorder.open({ file, clock, flushMs: Number.MAX_SAFE_INTEGER });
    for (let n = 0; n < (24 * 3600) / 2; n++) {
      clock.advance(2000);
      r.add({ at: clock.now(), queues: at(n), burnPerHour: 12.5 });
    }
    for (let i = 0; i < 2000; i++)
      r.mark({ at: clock.now() - i * 1000, kind: 'launch', message: `launched 1 × g4dn.xlarge on 'queue-${i % 100}'` });
    await r.flush();
    expect(statSync(file).size).toBeLessThan(max);

    const back = await TimelineRecorder.open({ file, clock });
    expect(back.size).toEqual(r.size);
    for (const h of [1, 24] as const) expect(back.query(h)).toEqual(r.query(h));
  });

  it('a version 1 file (every queue in every sample) is still read', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    const clock = new ManualClock();
    const samples = [0, 1, 2].map((i) => ({ at: clock.now() - (3 - i) * 60_000, queues: counts(i), burnPerHour: 1 }));
    writeFileSync(file, JSON.stringify({ version: 1, samples, markers: [] }));
    const r = await TimelineRecorder.open({ file, clock });
    expect(r.query(1).points.map((p) => p.queues['gpu']!.busy)).toEqual([0, 1, 2]);
    expect(existsSync(`${file}.corrupt`)).toBe(false);
  });

  it('a version 2 file naming a queue its table does not have is set aside', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'timeline-'));
    const file = path.join(dir, 'timeline.json');
    const clock = new ManualClock();
    writeFileSync(
      file,
      JSON.stringify({ version: 2, queues: ['gpu'], samples: [[clock.now(), 1, { 3: [1, 0, 0, 0] }]], markers: [] }),
    );
    const problems: string[] = [];
    const r = await TimelineRecorder.open({ file, clock, onProblem: (m) => problems.push(m) });
    expect(r.size.samples).toBe(0);
    expect(problems[0]).toMatch(/a sample names a queue the file's table does not have/);
  });
});
