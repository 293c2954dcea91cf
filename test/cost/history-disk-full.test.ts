// The cost history on a full disk: a write that fails part-way leaves no partial line for the next one to glue onto,
// and the facts it carried are written once there is space again, so a terminated instance stops accruing.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CostHistory, type CostFactInput } from '../../electron/engine/cost/history.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import { TAG, type Clock, type InstanceObs } from '../../electron/engine/ports.js';
import { observeCosts } from '../../electron/engine/controllers/costs.js';
import { EventLog } from '../../electron/engine/controllers/event-log.js';
import { baseConfig, COST_T0 as T0 } from '../fixtures/index.js';

/** What the next writes to a journal handle do: fail after writing this many bytes of what they were given. */
const disk = { failAfter: null as number | null, failTruncate: false };

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

// Every handle the history opens writes through the real file system, until the test fills the disk.
/** A running on-demand g4dn.xlarge of queue gpu, launched at T0: what the tracker observes. */
const running = (id: string): InstanceObs => ({
  instanceId: id,
  state: 'running',
  instanceType: 'g4dn.xlarge',
  market: 'on-demand',
  zone: 'us-east-1c',
  subnetId: null,
  launchedAt: T0,
  tags: { [TAG.queue]: 'gpu', [TAG.resource]: 'g4' },
  clientToken: null,
  stateReasonCode: null,
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const fh = await real.open(...args);
    return new Proxy(fh, {
      get(target, prop, receiver) {
        if (prop === 'appendFile')
          return async (data: string, enc?: BufferEncoding) => {
            if (disk.failAfter === null) return target.appendFile(data, enc);
            await target.appendFile(Buffer.from(data).subarray(0, disk.failAfter));
            throw enospc();
          };
        if (prop === 'truncate')
          return async (len?: number) => {
            if (disk.failTruncate) throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
            return target.truncate(len);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});

const S = 1000;
let dir: string;
let file: string;
const histories: CostHistory[] = [];
const clock: Clock = { now: () => T0 + 3600 * S, sleep: async () => undefined };

beforeEach(() => {
  disk.failAfter = null;
  disk.failTruncate = false;
  dir = mkdtempSync(path.join(tmpdir(), 'cost-full-'));
  file = path.join(dir, 'cost-history.jsonl');
});
afterEach(async () => {
  disk.failAfter = null;
  disk.failTruncate = false;
  for (const h of histories.splice(0)) await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openHistory(problems: string[] = []): Promise<CostHistory> {
  const h = await CostHistory.open({ file, clock, onProblem: (m) => problems.push(m) });
  histories.push(h);
  return h;
}

const launched = (instanceId: string, at: number): CostFactInput => ({
  t: 'launched',
  at,
  instanceId,
  queue: 'gpu',
  resource: 'g4',
  instanceType: 'g4dn.xlarge',
  market: 'on-demand',
  zone: 'us-east-1c',
  hourlyPrice: 0.526,
  priceSource: { kind: 'bundled', fetchedAt: null },
});

const fileLines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);

describe('cost history on a full disk', () => {
  it('cuts a failed write back off, keeps its fact, and writes it before the next one', async () => {
    const h = await openHistory();
    await h.record(launched('i-a', T0));
    await h.record({ t: 'task-started', at: T0 + 60 * S, instanceId: 'i-a', taskId: 'A' });
    const before = readFileSync(file, 'utf8');

    disk.failAfter = 20; // a partial line reaches the disk, then the disk is full
    await expect(h.record({ t: 'task-ended', at: T0 + 600 * S, instanceId: 'i-a', taskId: 'A' })).rejects.toThrow(
      /ENOSPC/,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(h.unsaved).toBe(1);
    // Still full: the next fact waits behind the first, and the file still holds whole lines only.
    await expect(h.record({ t: 'terminated', at: T0 + 660 * S, instanceId: 'i-a' })).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(h.unsaved).toBe(2);

    disk.failAfter = null; // space again
    expect(await h.record(launched('i-b', T0 + 700 * S))).toBe(true);
    expect(h.unsaved).toBe(0);
    expect(fileLines().map((l) => (JSON.parse(l) as { t: string }).t)).toEqual([
      'launched',
      'task-started',
      'task-ended',
      'terminated',
      'launched',
    ]);

    const problems: string[] = [];
    const reread = await openHistory(problems);
    expect(reread.openReport).toMatchObject({ lines: 5, damaged: 0, tornTail: false });
    expect(problems).toEqual([]);
    expect(reread.get('i-a')).toMatchObject({ endedAt: T0 + 660 * S });
    // i-a stopped accruing at its termination: only i-b runs on.
    expect(reread.burn().total).toBeCloseTo(0.526, 9);
  });

  it('retry writes what waits without a new fact, and close writes it last', async () => {
    const h = await openHistory();
    await h.record(launched('i-a', T0));
    disk.failAfter = 5;
    await expect(h.record({ t: 'terminated', at: T0 + 60 * S, instanceId: 'i-a' })).rejects.toThrow(/ENOSPC/);
    await expect(h.retry()).rejects.toThrow(/ENOSPC/);
    disk.failAfter = null;
    await h.retry();
    expect(fileLines()).toHaveLength(2);

    disk.failAfter = 0;
    await expect(h.record(launched('i-b', T0))).rejects.toThrow(/ENOSPC/);
    disk.failAfter = null;
    await h.close();
    expect(fileLines()).toHaveLength(3);
  });

  it('when the partial write cannot be cut off either, the next write starts on a line of its own', async () => {
    const h = await openHistory();
    await h.record(launched('i-a', T0));
    disk.failAfter = 30;
    disk.failTruncate = true;
    await expect(h.record({ t: 'terminated', at: T0 + 60 * S, instanceId: 'i-a' })).rejects.toThrow(/ENOSPC/);
    disk.failAfter = null;
    disk.failTruncate = false;
    await h.record(launched('i-b', T0));
    await h.close();

    // The fragment is a line of its own: set aside at the next open, and every fact is still there.
    const problems: string[] = [];
    const reread = await openHistory(problems);
    expect(reread.openReport).toMatchObject({ lines: 3, damaged: 1 });
    expect(reread.get('i-a')).toMatchObject({ endedAt: T0 + 60 * S });
    expect(problems).toHaveLength(1);
    expect(existsSync(`${file}.corrupt`)).toBe(true);
  });

  it('the tracker applies every fact of a tick on a full disk, and a quiet tick writes them once there is space', async () => {
    const h = await openHistory();
    const tracker = new CostTracker(h, new PriceBook({ region: 'us-east-1', clock }));
    await tracker.observe([running('i-a'), running('i-b')], null, T0 + 60 * S);
    expect(fileLines()).toHaveLength(2);

    disk.failAfter = 10;
    // i-a is gone and i-c is new: both facts apply in memory although neither reaches the disk.
    await expect(tracker.observe([running('i-b'), running('i-c')], null, T0 + 120 * S)).rejects.toThrow(/ENOSPC/);
    expect(h.get('i-a')?.endedAt).toBe(T0 + 120 * S);
    expect(h.get('i-c')).toBeDefined();
    expect(tracker.unsavedFacts).toBe(2);
    expect(fileLines()).toHaveLength(2);

    disk.failAfter = null;
    expect(await tracker.observe([running('i-b'), running('i-c')], null, T0 + 180 * S)).toBe(true);
    expect(tracker.unsavedFacts).toBe(0);
    expect(fileLines()).toHaveLength(4);
    expect(await tracker.observe([running('i-b'), running('i-c')], null, T0 + 240 * S)).toBe(false);
  });

  it('the loop says once that the history cannot be written, and says when it is written again', async () => {
    const h = await openHistory();
    const tracker = new CostTracker(h, new PriceBook({ region: 'us-east-1', clock }));
    let now = T0 + 60 * S;
    const log = new EventLog(() => now);
    const inst = running('i-a');
    const tick = (instances: InstanceObs[]) =>
      observeCosts(
        tracker,
        baseConfig(),
        { now, clearmlOk: false, queues: [], workers: [], instances },
        (e) => void log.emit(e),
        (k, e) => log.emitOnce(k, e),
      );
    disk.failAfter = 3;
    for (let i = 0; i < 5; i++, now += 2 * S) await tick([inst]);
    await tick([]);
    const said = () => log.recent(50).map((e) => `${e.level} ${e.message}`);
    expect(said()).toEqual([
      expect.stringMatching(/^warn the cost history could not be written: ENOSPC.*1 record waits in memory/),
    ]);
    disk.failAfter = null;
    await tick([]);
    expect(said()[1]).toBe('info the cost history is written again: the records that waited are on disk');
    expect(fileLines()).toHaveLength(2);
    // A new failure after that is news again.
    disk.failAfter = 3;
    await tick([{ ...inst, instanceId: 'i-b' }]);
    expect(said()).toHaveLength(3);
  });
});
