// A kept file (timeline.json, events.json, keep-warm.json) on a disk slower than its changes: a write that has not
// answered (a stalled network folder, a hung drive) must not make every later flush queue its own copy of the
// whole file. In a 4-week soak at a 60 s poll the timeline's queued copies were 72 MB of a 124 MB heap after two
// simulated days; with at most one write waiting, the latest state is written once the disk answers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../../electron/engine/testkit/virtual-clock.js';

const disk = vi.hoisted(() => ({
  writes: [] as { text: string; done: () => void }[],
  /** Set: every write fails with it at once (a full disk). */
  fail: null as NodeJS.ErrnoException | null,
}));
vi.mock('../../electron/engine/durable-file.js', () => ({
  writeFileDurably: (_file: string, text: string) =>
    disk.fail ? Promise.reject(disk.fail) : new Promise<void>((done) => disk.writes.push({ text, done: () => done() })),
}));

const { KeptFileWriter } = await import('../../electron/engine/kept-file.js');

afterEach(() => {
  disk.writes.length = 0;
  disk.fail = null;
});

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('KeptFileWriter on a stalled disk', () => {
  it('holds at most one waiting write, and writes the latest state when the disk answers', async () => {
    const clock = new VirtualClock(0);
    let state = 0;
    let bodies = 0;
    const writer = new KeptFileWriter({ file: '/x/timeline.json', clock, what: 'the scaling history' }, () => {
      bodies++;
      return `state ${state}`;
    });
    // A change every 60 s for a day while the first write never answers.
    for (let k = 1; k <= 1440; k++) {
      state = k;
      clock.advance(60_000);
      writer.touch();
      if (k === 1) await settle(); // the first write is under way, and never answers
    }
    await settle();
    expect(disk.writes.map((w) => w.text)).toEqual(['state 1']);
    expect(bodies).toBe(1);
    disk.writes[0]!.done();
    await settle();
    expect(disk.writes.map((w) => w.text)).toEqual(['state 1', 'state 1440']);
    expect(bodies).toBe(2);
    // flush (as at stop) waits for that write and has nothing more to write.
    const flushed = writer.flush();
    disk.writes[1]!.done();
    await flushed;
    expect(disk.writes).toHaveLength(2);
  });

  it('a flush while a write waits returns that write, which carries every change made before it starts', async () => {
    const clock = new VirtualClock(0);
    let state = 'a';
    const writer = new KeptFileWriter({ file: '/x/events.json', clock, what: 'the event log' }, () => state);
    writer.touch();
    void writer.flush();
    await settle();
    state = 'b';
    writer.touch();
    const second = writer.flush();
    state = 'c';
    writer.touch();
    expect(writer.flush()).toBe(second);
    disk.writes[0]!.done();
    await settle();
    disk.writes[1]!.done();
    await second;
    expect(disk.writes.map((w) => w.text)).toEqual(['a', 'c']);
  });
});

describe('KeptFileWriter on a full disk', () => {
  it('says what to do, not only the system error', async () => {
    disk.fail = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const problems: string[] = [];
    const writer = new KeptFileWriter(
      {
        file: '/x/timeline.json',
        clock: new VirtualClock(0),
        what: 'the scaling history',
        onProblem: (p) => problems.push(p),
      },
      () => 'state',
    );
    writer.touch();
    await writer.flush();
    expect(problems).toEqual([
      'the scaling history could not be saved to /x/timeline.json: ENOSPC: no space left on device, write: free some space on its disk',
    ]);
  });
});
