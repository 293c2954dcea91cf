// The cost history journal: survives restarts and crashes, never rewrites itself per tick, compacts when it grows.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addPriceChange,
  COST_CSV_HEADER,
  CostHistory,
  MAX_PRICE_CHANGES,
  type CostFactInput,
  type InstanceRecord,
} from '../../electron/engine/cost/history.js';
import { burnRate, rollup, startOfUtcDay, type PriceChange } from '../../electron/engine/cost/accounting.js';
import { PriceBook } from '../../electron/engine/cost/price-book.js';
import { CostTracker } from '../../electron/engine/cost/tracker.js';
import type { Clock } from '../../electron/engine/ports.js';
import { expectCloseRecord } from './close.js';
import { baseConfig, COST_T0 as T0 } from '../fixtures/index.js';

const S = 1000;
const H = 3_600_000;

let dir: string;
let file: string;
const open: CostHistory[] = [];

function clockAt(t: number): Clock & { t: number } {
  const c = { t, now: () => c.t, sleep: async () => undefined };
  return c;
}

/** What each open said was wrong with the file. */
let problems: string[] = [];

async function openHistory(clock: Clock, extra: { compactAfterLines?: number; retentionDays?: number } = {}) {
  const h = await CostHistory.open({ file, clock, ...extra, onProblem: (m) => problems.push(m) });
  open.push(h);
  return h;
}

const lines = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);

beforeEach(() => {
  problems = [];
  dir = mkdtempSync(path.join(tmpdir(), 'cost-history-'));
  file = path.join(dir, 'cost-history.jsonl');
});
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  rmSync(dir, { recursive: true, force: true });
});

const launched = (instanceId: string, at: number, over: Partial<CostFactInput> = {}): CostFactInput =>
  ({
    t: 'launched',
    at,
    instanceId,
    queue: 'gpu',
    resource: 'g5',
    instanceType: 'g5.xlarge',
    market: 'on-demand',
    zone: 'us-east-1b',
    hourlyPrice: 3.6,
    priceSource: { kind: 'pricing-api', fetchedAt: at - H },
    ...over,
  }) as CostFactInput;

/** The three-task instance from the accounting tests, at $3.60/h ($0.001/s): total $2.70. */
async function recordThreeTaskInstance(h: CostHistory): Promise<void> {
  const facts: CostFactInput[] = [
    launched('i-a', T0),
    { t: 'registered', at: T0 + 120 * S, instanceId: 'i-a' },
    { t: 'task-started', at: T0 + 120 * S, instanceId: 'i-a', taskId: 'A', name: 'train, "big"' },
    { t: 'task-ended', at: T0 + 720 * S, instanceId: 'i-a', taskId: 'A' },
    { t: 'task-started', at: T0 + 780 * S, instanceId: 'i-a', taskId: 'B', name: '=cmd()' },
    { t: 'task-ended', at: T0 + 1980 * S, instanceId: 'i-a', taskId: 'B' },
    { t: 'task-started', at: T0 + 2100 * S, instanceId: 'i-a', taskId: 'C' },
    { t: 'task-ended', at: T0 + 2400 * S, instanceId: 'i-a', taskId: 'C' },
    { t: 'terminated', at: T0 + 2700 * S, instanceId: 'i-a', reason: 'idle for 5 min' },
  ];
  for (const f of facts) await h.record(f);
}

describe('CostHistory', () => {
  it('survives a restart: a new instance reading the same file computes the same spend', async () => {
    const clock = clockAt(T0 + 3 * H);
    const h1 = await openHistory(clock);
    await recordThreeTaskInstance(h1);
    await h1.record(launched('i-cpu', T0, { queue: 'cpu', resource: 'm5', hourlyPrice: 0.36 }));
    await h1.record({ t: 'registered', at: T0 + 60 * S, instanceId: 'i-cpu' });
    // No close(): the process "crashed"; every acknowledged fact was fsynced.

    const h2 = await openHistory(clock);
    expect(h2.openReport).toEqual({ lines: 11, tornTail: false, skipped: 0, damaged: 0, keptAs: null });
    const since = T0 - H;
    for (const h of [h1, h2]) {
      expectCloseRecord(h.byQueue(since), { gpu: 2.7, cpu: 1.08 });
      expectCloseRecord(h.byResource(since), { g5: 2.7, m5: 1.08 });
      const tasks = h.byTask(since);
      expect(tasks['A']).toMatchObject({ name: 'train, "big"', queue: 'gpu' });
      expect(tasks['A']!.cost).toBeCloseTo(0.6, 9);
      expect(tasks['B']!.cost).toBeCloseTo(1.2, 9);
      expect(tasks['C']!.cost).toBeCloseTo(0.3, 9);
      expect(h.monthToDate()).toBeCloseTo(3.78, 9);
      expect(h.spendToday()).toBeCloseTo(3.78, 9);
      expect(h.burn().byQueue).toEqual({ cpu: 0.36 });
    }
    expect(h2.get('i-a')).toMatchObject({ endedAt: T0 + 2700 * S, endReason: 'idle for 5 min', zone: 'us-east-1b' });
  });

  it('drops a torn last line after a crash, cuts it off, and appends cleanly afterwards', async () => {
    const clock = clockAt(T0 + H);
    const h1 = await openHistory(clock);
    await h1.record(launched('i-a', T0));
    await h1.record({ t: 'registered', at: T0 + 100 * S, instanceId: 'i-a' });
    await h1.close();
    const intact = readFileSync(file, 'utf8');
    appendFileSync(file, '{"t":"terminated","at":17633');

    const h2 = await openHistory(clock);
    expect(h2.openReport).toEqual({ lines: 2, tornTail: true, skipped: 0, damaged: 0, keptAs: null });
    expect(readFileSync(file, 'utf8')).toBe(intact);
    // A crash mid-append loses only the fact being written, which was never acknowledged: nothing to tell.
    expect(problems).toEqual([]);
    expect(existsSync(`${file}.corrupt`)).toBe(false);
    expect(h2.get('i-a')).toMatchObject({ registeredAt: T0 + 100 * S, endedAt: null });
    await h2.record({ t: 'terminated', at: T0 + 200 * S, instanceId: 'i-a' });
    await h2.close();

    const h3 = await openHistory(clock);
    expect(h3.openReport).toEqual({ lines: 3, tornTail: false, skipped: 0, damaged: 0, keptAs: null });
    expect(h3.monthToDate()).toBeCloseTo(0.2, 9);
  });

  it('keeps a complete last line that only lacks its newline, and one it does not understand', async () => {
    const clock = clockAt(T0 + H);
    const fact = JSON.stringify({ ...launched('i-a', T0) });
    writeFileSync(file, `{"t":"from-the-future","at":1}\n${fact}`);
    const h = await openHistory(clock);
    expect(h.openReport).toEqual({ lines: 1, tornTail: false, skipped: 1, damaged: 0, keptAs: null });
    await h.record({ t: 'terminated', at: T0 + 10 * S, instanceId: 'i-a' });
    expect(lines()).toHaveLength(3);
    expect(JSON.parse(lines()[2]!)).toMatchObject({ t: 'terminated' });
  });

  it('says once that it left out lines it does not understand, and keeps them on disk', async () => {
    writeFileSync(file, `{"t":"from-the-future","at":1}\n${JSON.stringify(launched('i-a', T0))}\n`);
    await openHistory(clockAt(T0 + H));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/1 line of the cost history in .* is not a record this version knows/);
    expect(lines()).toHaveLength(2);
    expect(existsSync(`${file}.corrupt`)).toBe(false);
  });

  describe('a damaged file is kept aside, what reads is kept, and it is said once', () => {
    /** Two instances, one ended ($0.72), one still running: what the damage cases start from. */
    async function twoInstances(): Promise<string> {
      const h = await openHistory(clockAt(T0 + H));
      await h.record(launched('i-a', T0, { hourlyPrice: 3.6 }));
      await h.record({ t: 'terminated', at: T0 + 720 * S, instanceId: 'i-a' });
      await h.record(launched('i-b', T0 + 100 * S));
      await h.close();
      problems = [];
      return readFileSync(file, 'utf8');
    }

    it('a zero-filled file (a power cut) is copied to .corrupt before anything is cut, and the loss is named', async () => {
      const size = (await twoInstances()).length;
      writeFileSync(file, Buffer.alloc(size));
      const h = await openHistory(clockAt(T0 + H));
      expect(h.openReport).toMatchObject({ lines: 0, tornTail: false, damaged: 1, keptAs: `${file}.corrupt` });
      expect(readFileSync(`${file}.corrupt`)).toEqual(Buffer.alloc(size));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/1 line of the cost history in .*cost-history\.jsonl could not be read \(zero bytes/);
      expect(problems[0]).toMatch(/copied to cost-history\.jsonl\.corrupt/);
      // The engine goes on appending to a clean file, and the next start finds nothing to say.
      await h.record(launched('i-c', T0 + 200 * S));
      await h.close();
      problems = [];
      const again = await openHistory(clockAt(T0 + H));
      expect(again.openReport).toMatchObject({ lines: 1, damaged: 0 });
      expect(problems).toEqual([]);
    });

    it('zeroes after lines that read (blocks never written) keep those lines', async () => {
      const intact = await twoInstances();
      appendFileSync(file, Buffer.alloc(300));
      const h = await openHistory(clockAt(T0 + H));
      expect(h.openReport).toMatchObject({ lines: 3, damaged: 1 });
      expect(h.monthToDate()).toBeCloseTo(0.72 + 3.6 * ((3600 - 100) / 3600), 6);
      expect(readFileSync(file, 'utf8')).toBe(intact);
      expect(readFileSync(`${file}.corrupt`).subarray(intact.length)).toEqual(Buffer.alloc(300));
      expect(problems).toHaveLength(1);
    });

    it('a compacted file cut in half (no append writes a compacted line) is damage, not a torn append', async () => {
      await twoInstances();
      const h0 = await openHistory(clockAt(T0 + H));
      await h0.compact();
      await h0.close();
      problems = [];
      const whole = readFileSync(file);
      writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.75)));
      const h = await openHistory(clockAt(T0 + H));
      expect(h.openReport).toMatchObject({ lines: 1, tornTail: false, damaged: 1 });
      expect(h.get('i-a')).toMatchObject({ endedAt: T0 + 720 * S });
      expect(h.get('i-b')).toBeUndefined();
      expect(readFileSync(`${file}.corrupt`)).toEqual(whole.subarray(0, Math.floor(whole.length * 0.75)));
      expect(problems[0]).toMatch(/rewritten with the 1 record that could be read/);
    });

    it('a garbled line in the middle is set aside and the lines after it still count', async () => {
      const intact = await twoInstances();
      const [first, ...rest] = intact.split('\n');
      const damaged = [first, '{"t":"task-ended","at":1,"instanceId":"i-a{"t":"terminated"', ...rest].join('\n');
      writeFileSync(file, damaged);
      const h = await openHistory(clockAt(T0 + H));
      expect(h.openReport).toMatchObject({ lines: 3, damaged: 1, tornTail: false });
      expect(h.get('i-a')).toMatchObject({ endedAt: T0 + 720 * S });
      expect(readFileSync(file, 'utf8')).toBe(intact);
      expect(readFileSync(`${file}.corrupt`, 'utf8')).toBe(damaged);
      expect(problems).toHaveLength(1);
    });

    it('read only (the cost report), it names the damage and changes nothing', async () => {
      const intact = await twoInstances();
      writeFileSync(
        file,
        `${intact}\0\0\0\n${JSON.stringify({ t: 'terminated', at: T0 + 200 * S, instanceId: 'i-b' })}\n`,
      );
      const before = readFileSync(file);
      const said: string[] = [];
      const h = await CostHistory.open({
        file,
        clock: clockAt(T0 + H),
        readOnly: true,
        onProblem: (m) => said.push(m),
      });
      expect(h.get('i-b')).toMatchObject({ endedAt: T0 + 200 * S });
      expect(said[0]).toMatch(/could not be read \(zero bytes.*; they are left out/);
      expect(readFileSync(file)).toEqual(before);
      expect(existsSync(`${file}.corrupt`)).toBe(false);
      await expect(h.record(launched('i-x', T0))).rejects.toThrow(/read only/);
    });
  });

  it('writes nothing for facts that add nothing, so a quiet tick leaves the file alone', async () => {
    const h = await openHistory(clockAt(T0 + H));
    expect(await h.record(launched('i-a', T0))).toBe(true);
    expect(await h.record({ t: 'registered', at: T0 + 10 * S, instanceId: 'i-a' })).toBe(true);
    const before = readFileSync(file, 'utf8');
    expect(await h.record(launched('i-a', T0))).toBe(false);
    expect(await h.record({ t: 'registered', at: T0 + 20 * S, instanceId: 'i-a' })).toBe(false);
    expect(await h.record({ t: 'task-ended', at: T0 + 20 * S, instanceId: 'i-a', taskId: 'never-started' })).toBe(
      false,
    );
    expect(await h.record({ t: 'registered', at: T0, instanceId: 'i-unknown' })).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('ends the running task when the next one starts or the instance terminates', async () => {
    const h = await openHistory(clockAt(T0 + H));
    await h.record(launched('i-a', T0));
    await h.record({ t: 'task-started', at: T0 + 100 * S, instanceId: 'i-a', taskId: 'A' });
    await h.record({ t: 'task-started', at: T0 + 400 * S, instanceId: 'i-a', taskId: 'B' });
    await h.record({ t: 'terminated', at: T0 + 1000 * S, instanceId: 'i-a' });
    expect(h.get('i-a')!.registeredAt).toBe(T0 + 100 * S);
    expect(h.get('i-a')!.tasks).toEqual([
      { taskId: 'A', startedAt: T0 + 100 * S, endedAt: T0 + 400 * S },
      { taskId: 'B', startedAt: T0 + 400 * S, endedAt: T0 + 1000 * S },
    ]);
  });

  it('rejects a malformed fact instead of journalling it', async () => {
    const h = await openHistory(clockAt(T0));
    await expect(h.record({ t: 'launched', at: T0, instanceId: '' } as CostFactInput)).rejects.toThrow(/instanceId/);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('compacts to one line per instance when it grows, and the compacted file reads back the same', async () => {
    const clock = clockAt(T0 + 5 * H);
    const h = await openHistory(clock, { compactAfterLines: 6 });
    await recordThreeTaskInstance(h); // 9 lines, 1 instance: compacts on the 8th
    await h.record(launched('i-b', T0 + H, { hourlyPrice: 1 }));
    await h.record({ t: 'registered', at: T0 + H + 30 * S, instanceId: 'i-b' });
    const beforeTotal = h.monthToDate();
    expect(lines().length).toBeLessThan(9);
    await h.compact();
    expect(lines()).toHaveLength(2);
    expect(lines().map((l) => (JSON.parse(l) as { t: string }).t)).toEqual(['instance', 'instance']);

    const reread = await openHistory(clock);
    expect(reread.openReport.lines).toBe(2);
    expect(reread.monthToDate()).toBeCloseTo(beforeTotal, 9);
    expect(reread.byTask(T0)['B']!.name).toBe('=cmd()');
    // The open instance is still open after compaction: later facts apply to it.
    await reread.record({ t: 'terminated', at: T0 + 2 * H, instanceId: 'i-b' });
    expect(reread.get('i-b')!.endedAt).toBe(T0 + 2 * H);
  });

  it('keeps the facts recorded while a compaction is being written (they land after it, none lost at restart)', async () => {
    const clock = clockAt(T0 + 5 * H);
    const h = await openHistory(clock);
    await h.record(launched('i-a', T0));
    const compacting = h.compact();
    let done = false;
    void compacting.then(() => (done = true));
    // One task a turn of the event loop until the compaction has finished: several land while it writes.
    const recorded: Promise<boolean>[] = [];
    for (let n = 0; !done; n++) {
      recorded.push(h.record({ t: 'task-started', at: T0 + (n + 1) * S, instanceId: 'i-a', taskId: `T${n}` }));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(recorded);
    expect(recorded.length).toBeGreaterThan(1);
    const inMemory = h.get('i-a')!.tasks.map((t) => t.taskId);
    expect(inMemory).toHaveLength(recorded.length);
    await h.close();

    const reread = await openHistory(clock);
    expect(reread.openReport).toMatchObject({ damaged: 0, skipped: 0 });
    expect(reread.get('i-a')!.tasks.map((t) => t.taskId)).toEqual(inMemory);
  });

  it('a compaction larger than one write chunk reads back whole', async () => {
    const clock = clockAt(T0 + 5 * H);
    const h = await openHistory(clock);
    // ~5,000 instances with a long price note: several MB, so the rewrite spans several chunks.
    const note = 'n'.repeat(800);
    for (let i = 0; i < 5000; i++)
      await h.record(
        launched(`i-${i}`, T0 + i * S, { priceSource: { kind: 'bundled', fetchedAt: null, note: `${note}${i}` } }),
      );
    const total = h.monthToDate();
    await h.compact();
    expect(lines()).toHaveLength(5000);

    const reread = await openHistory(clock);
    expect(reread.openReport).toMatchObject({ lines: 5000, damaged: 0 });
    expect(reread.instances().map((r) => r.priceSource.note)).toEqual(h.instances().map((r) => r.priceSource.note));
    expect(reread.monthToDate()).toBeCloseTo(total, 9);
  });

  it('drops instances past the retention period at compaction', async () => {
    const clock = clockAt(T0);
    const h = await openHistory(clock, { retentionDays: 30 });
    await h.record(launched('i-old', T0 - 40 * 24 * H));
    await h.record({ t: 'terminated', at: T0 - 40 * 24 * H + H, instanceId: 'i-old' });
    await h.record(launched('i-new', T0 - H));
    await h.compact();
    expect(h.instances().map((i) => i.instanceId)).toEqual(['i-new']);
    expect(lines()).toHaveLength(1);
  });

  it('counts only this UTC month and this UTC day', async () => {
    const now = Date.UTC(2026, 10, 2, 6, 0); // 2026-11-02 06:00
    const h = await openHistory(clockAt(now));
    await h.record(launched('i-a', Date.UTC(2026, 9, 31, 23, 0), { hourlyPrice: 1 })); // Oct 31 23:00, running
    expect(h.monthToDate(now)).toBeCloseTo(30, 9); // Nov 1 00:00 → Nov 2 06:00
    expect(h.spendToday(now)).toBeCloseTo(6, 9);
    expectCloseRecord(h.monthToDateByQueue(now), { gpu: 30 });
  });

  it('exports CSV whose cost column sums to the total, with quoting and formula protection', async () => {
    const h = await openHistory(clockAt(T0 + 3 * H));
    await recordThreeTaskInstance(h);
    const csv = h.toCsv(T0 - H);
    const rows = csv.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'instance_id,queue,resource,instance_type,market,zone,hourly_price_usd,price_source,line,task_id,task_name,start_utc,end_utc,seconds,cost_usd',
    );
    expect(rows).toHaveLength(1 + 5); // boot, A, B, C, idle
    expect(csv).toContain('"train, ""big"""');
    expect(csv).toContain(",'=cmd(),");
    const costs = rows.slice(1).map((r) => Number(r.slice(r.lastIndexOf(',') + 1)));
    expect(costs.reduce((a, b) => a + b, 0)).toBeCloseTo(2.7, 6);
    expect(rows[1]).toMatch(
      /^i-a,gpu,g5,g5\.xlarge,on-demand,us-east-1b,3\.6,pricing-api,boot,,,2026-11-16T10:00:00\.000Z,2026-11-16T10:02:00\.000Z,120,0\.120000$/,
    );
    expect(rows.at(-1)).toMatch(/,idle,,,,,480,0\.480000$/);
  });
});

describe('CSV rows per task span', () => {
  it('a task run twice on the same worker is two rows, each with its own times, seconds and cost', async () => {
    const h = await openHistory(clockAt(T0 + H));
    const facts: CostFactInput[] = [
      launched('i-c', T0),
      { t: 'registered', at: T0 + 60 * S, instanceId: 'i-c' },
      { t: 'task-started', at: T0 + 60 * S, instanceId: 'i-c', taskId: 'T2' },
      { t: 'task-ended', at: T0 + 660 * S, instanceId: 'i-c', taskId: 'T2' },
      { t: 'task-started', at: T0 + 720 * S, instanceId: 'i-c', taskId: 'T2' },
      { t: 'task-ended', at: T0 + 1320 * S, instanceId: 'i-c', taskId: 'T2' },
      { t: 'terminated', at: T0 + 1380 * S, instanceId: 'i-c' },
    ];
    for (const f of facts) await h.record(f);
    const rows = h
      .toCsv(T0 - H)
      .trimEnd()
      .split('\r\n')
      .filter((r) => r.includes(',task,'));
    expect(rows.map((r) => r.split(',').slice(9))).toEqual([
      ['T2', '', '2026-11-16T10:01:00.000Z', '2026-11-16T10:11:00.000Z', '600', '0.600000'],
      ['T2', '', '2026-11-16T10:12:00.000Z', '2026-11-16T10:22:00.000Z', '600', '0.600000'],
    ]);
  });
});

describe('a year of history does not weigh on every tick', () => {
  it("the tick's figures look only at instances running or ended this month, and add up as a full scan does", async () => {
    // COST_T0 is 16 Nov: 3,000 instances that ended over the 13 months before November, each an hour long.
    const month = Date.UTC(2026, 10, 1);
    const lines: string[] = [];
    const instance = (id: string, launchedAt: number, endedAt: number | null, queue = 'gpu') =>
      JSON.stringify({
        ...launched(id, launchedAt, { queue }),
        at: undefined,
        t: 'instance',
        launchedAt,
        registeredAt: launchedAt + 60 * S,
        endedAt,
        tasks: [{ taskId: `t-${id}`, startedAt: launchedAt + 60 * S, endedAt }],
        priceSource: { kind: 'pricing-api', fetchedAt: launchedAt - H, note: 'AWS Price List API, us-east-1' },
      });
    for (let i = 0; i < 3000; i++) {
      const end = month - 1 - i * 3 * H;
      lines.push(instance(`i-old${i}`, end - H, end, i % 2 ? 'gpu' : 'cpu'));
    }
    // What the month holds: one that started in October and ended in November, two ended this month, two running
    // (one since last year).
    lines.push(instance('i-across', month - H, month + H));
    lines.push(instance('i-nov1', T0 - 5 * H, T0 - 4 * H, 'cpu'));
    lines.push(instance('i-nov2', T0 - 3 * H, T0 - 2 * H));
    lines.push(instance('i-run1', T0 - H, null));
    lines.push(instance('i-run2', month - 200 * 24 * H, null, 'cpu'));
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    const clock = clockAt(T0);
    const h = await openHistory(clock);
    expect(h.instances()).toHaveLength(3005);
    const tracker = new CostTracker(h, new PriceBook({ region: 'us-east-1', clock }));

    h.visited = 0;
    const figures = tracker.figures(baseConfig().budgets, T0);
    const extras = tracker.extras([], T0);
    // Each query looks at the 5 records of the month at most: none of the 3,000 older ones.
    expect(h.visited).toBeGreaterThan(0);
    expect(h.visited).toBeLessThanOrEqual(5 * 10);

    const all = h.instances();
    const full = rollup(all, { from: month, to: T0, now: T0 });
    expect(figures.monthToDate).toBeCloseTo(full.total, 9);
    expect(figures.monthToDateByQueue).toEqual(full.byQueue);
    expect(figures.burnPerHour).toBe(burnRate(all, T0).total);
    expect(extras.spendToday).toBeCloseTo(rollup(all, { from: startOfUtcDay(T0), to: T0, now: T0 }).total, 9);
    expect(extras.byTask.map((t) => t.taskId).sort()).toEqual([
      't-i-across',
      't-i-nov1',
      't-i-nov2',
      't-i-run1',
      't-i-run2',
    ]);
    // A period from before the month (a report since a date) still finds the older ones, and all time finds all.
    expect(Object.keys(h.rollup(month - 24 * H, T0).byTask)).toHaveLength(5 + 8);
    expect(Object.keys(h.rollup(-Infinity, T0).byTask)).toHaveLength(3005);
  });

  it('an instance that ends moves out of the running ones: next month it is not looked at', async () => {
    const clock = clockAt(T0);
    const h = await openHistory(clock);
    await h.record(launched('i-a', T0));
    await h.record({ t: 'terminated', at: T0 + H, instanceId: 'i-a' });
    const december = Date.UTC(2026, 11, 2);
    h.visited = 0;
    expect(h.monthToDate(december)).toBe(0);
    expect(h.visited).toBe(0);
    expect(h.monthToDate(T0 + 2 * H)).toBeCloseTo(3.6, 9);
    expect(h.visited).toBe(1);
  });
});

describe("a running spot instance's price moves", () => {
  const spot = (id: string, at: number) =>
    launched(id, at, {
      market: 'spot',
      hourlyPrice: 3.6,
      onDemandHourlyPrice: 7.2,
      priceSource: { kind: 'spot-history', fetchedAt: at, zone: 'us-east-1b' },
    });
  const price = (at: number, hourlyPrice: number, instanceId = 'i-s'): CostFactInput => ({
    t: 'price',
    at,
    instanceId,
    hourlyPrice,
  });

  it('journals each move, reads back the same after a restart and after compaction', async () => {
    const clock = clockAt(T0 + 3 * H);
    const h = await openHistory(clock);
    await h.record(spot('i-s', T0));
    expect(await h.record(price(T0 + H, 7.2))).toBe(true);
    expect(await h.record(price(T0 + 2 * H, 1.8))).toBe(true);
    expect(h.monthToDate()).toBeCloseTo(3.6 + 7.2 + 1.8, 9);
    expect(h.burn().total).toBe(1.8);
    await h.close();

    const reread = await openHistory(clock);
    expect(reread.openReport).toMatchObject({ lines: 3, skipped: 0, damaged: 0 });
    expect(reread.monthToDate()).toBeCloseTo(12.6, 9);
    await reread.compact();
    expect(lines()).toHaveLength(1);
    const compacted = await openHistory(clock);
    expect(compacted.get('i-s')!.priceChanges).toEqual([
      { at: T0 + H, hourlyPrice: 7.2 },
      { at: T0 + 2 * H, hourlyPrice: 1.8 },
    ]);
    expect(compacted.monthToDate()).toBeCloseTo(12.6, 9);
  });

  it.each([
    ['the same price again', [price(T0 + H, 3.6)], false, 1],
    ['a move dated before the last one', [price(T0 + 2 * H, 7.2), price(T0 + H, 1.8)], false, 2],
    [
      'a move after the instance ended',
      [{ t: 'terminated', at: T0 + H, instanceId: 'i-s' }, price(T0 + 2 * H, 7.2)],
      false,
      2,
    ],
    ['an instance the history never saw launch', [price(T0 + H, 7.2, 'i-other')], false, 1],
  ] as [string, CostFactInput[], boolean, number][])(
    'adds nothing and writes nothing for %s',
    async (_what, facts, lastAdds, lineCount) => {
      const h = await openHistory(clockAt(T0 + 3 * H));
      await h.record(spot('i-s', T0));
      let added = true;
      for (const f of facts) added = await h.record(f);
      expect(added).toBe(lastAdds);
      expect(lines()).toHaveLength(lineCount);
    },
  );

  it('keeps an older history readable: an instance line without changes bills its launch price', async () => {
    const clock = clockAt(T0 + 2 * H);
    const h = await openHistory(clock);
    await h.record(spot('i-s', T0));
    await h.compact();
    const line = lines()[0]!;
    expect(line).not.toContain('priceChanges');
    const reread = await openHistory(clock);
    expect(reread.openReport).toMatchObject({ lines: 1, skipped: 0, damaged: 0 });
    expect(reread.monthToDate()).toBeCloseTo(7.2, 9);
    // A move recorded after the upgrade applies to it from then on.
    await reread.record(price(T0 + 2 * H, 1.8));
    clock.t = T0 + 3 * H;
    expect(reread.monthToDate()).toBeCloseTo(7.2 + 1.8, 9);
  });

  it('a torn move (a crash mid-append) is cut off as a torn append, not reported as damage', async () => {
    const clock = clockAt(T0 + 3 * H);
    const h = await openHistory(clock);
    await h.record(spot('i-s', T0));
    await h.close();
    appendFileSync(file, '{"t":"price","at":17633');
    const reread = await openHistory(clock);
    expect(reread.openReport).toMatchObject({ tornTail: true, damaged: 0 });
    expect(problems).toEqual([]);
  });

  it('a price moving every 10 minutes for a month keeps a bounded record and the same total', async () => {
    const month = 30 * 24 * H;
    const clock = clockAt(T0 + month);
    const h = await openHistory(clock, { compactAfterLines: 1000 });
    await h.record(spot('i-s', T0));
    let expected = 0;
    let p = 3.6;
    for (let t = T0 + 10 * 60 * S; t <= T0 + month; t += 10 * 60 * S) {
      expected += (p * 10) / 60;
      p = p === 3.6 ? 1.8 : 3.6;
      await h.record(price(t, p));
    }
    const rec = h.get('i-s')!;
    expect(rec.priceChanges!.length).toBeLessThanOrEqual(MAX_PRICE_CHANGES);
    // The most recent moves are kept as they were.
    expect(rec.priceChanges!.at(-1)).toEqual({ at: T0 + month, hourlyPrice: p });
    expect(h.rollup(T0, T0 + month).total).toBeCloseTo(expected, 6);
    // The file is compacted as it grows: one instance line plus at most the journal's slack, not 4320 moves.
    expect(lines().length).toBeLessThanOrEqual(1 + 1000 + 1);
    const reread = await openHistory(clock);
    expect(reread.get('i-s')!.priceChanges).toEqual(rec.priceChanges);
    expect(reread.rollup(T0, T0 + month).total).toBeCloseTo(expected, 6);
  });

  it('exports one set of CSV rows per price in force, each row priced so seconds × price is its cost', async () => {
    const h = await openHistory(clockAt(T0 + 2 * H));
    await h.record(spot('i-s', T0));
    await h.record({ t: 'registered', at: T0 + 600 * S, instanceId: 'i-s' });
    await h.record(price(T0 + H, 7.2));
    const rows = h
      .toCsv(T0 - H)
      .trimEnd()
      .split('\r\n')
      .slice(1)
      .map((r) => r.split(','));
    const col = (name: string) => COST_CSV_HEADER.indexOf(name as never);
    expect(
      rows.map((r) => [r[col('hourly_price_usd')], r[col('price_source')], r[col('line')], r[col('seconds')]]),
    ).toEqual([
      ['3.6', 'spot-history', 'boot', '600'],
      ['3.6', 'spot-history', 'idle', '3000'],
      ['7.2', 'spot-history', 'boot', '0'],
      ['7.2', 'spot-history', 'idle', '3600'],
    ]);
    const total = rows.reduce((a, r) => a + Number(r[col('cost_usd')]), 0);
    expect(total).toBeCloseTo(h.monthToDate(), 6);
    expect(total).toBeCloseTo(3.6 + 7.2, 6);
  });
});

describe('addPriceChange', () => {
  const rec = (over: Partial<InstanceRecord> = {}): InstanceRecord => ({
    instanceId: 'i-s',
    queue: 'gpu',
    resource: 'g4',
    instanceType: 'g4dn.xlarge',
    market: 'spot',
    zone: 'us-east-1a',
    hourlyPrice: 0.2,
    priceSource: { kind: 'spot-history', fetchedAt: T0 },
    launchedAt: T0,
    registeredAt: null,
    endedAt: null,
    tasks: [],
    ...over,
  });
  it.each([
    ['a move', rec(), [[T0 + H, 0.3]], true, 0.2, [{ at: T0 + H, hourlyPrice: 0.3 }]],
    ['a move at the launch sets the launch price', rec(), [[T0, 0.3]], true, 0.3, undefined],
    [
      'a second move at the same moment replaces the first',
      rec(),
      [
        [T0 + H, 0.3],
        [T0 + H, 0.4],
      ],
      true,
      0.2,
      [{ at: T0 + H, hourlyPrice: 0.4 }],
    ],
    [
      'a second move at the same moment back to the price before undoes it',
      rec(),
      [
        [T0 + H, 0.3],
        [T0 + H, 0.2],
      ],
      true,
      0.2,
      undefined,
    ],
    ['the price it already has', rec(), [[T0 + H, 0.2]], false, 0.2, undefined],
    ['an ended instance', rec({ endedAt: T0 + H }), [[T0 + 2 * H, 0.3]], false, 0.2, undefined],
    ['a move before the launch', rec(), [[T0 - H, 0.3]], false, 0.2, undefined],
  ] as [string, InstanceRecord, [number, number][], boolean, number, PriceChange[] | undefined][])(
    '%s',
    (_what, r, moves, lastAdds, launchPrice, changes) => {
      let added = false;
      for (const [at, p] of moves) added = addPriceChange(r, at, p);
      expect(added).toBe(lastAdds);
      expect(r.hourlyPrice).toBe(launchPrice);
      expect(r.priceChanges).toEqual(changes);
    },
  );
});
