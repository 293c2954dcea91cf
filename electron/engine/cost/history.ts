/**
 * The local cost history: an append-only JSON-lines journal of instance lifecycle facts, from which
 * `accounting.ts` recomputes spend on demand. Appends are fsynced (a fact written is a fact kept), the file is
 * compacted to one line per instance when it grows (dropping instances that ended over `retentionDays` ago, 400 by
 * default: `startsAt` lets a report say where the history starts), and a torn last line (crash mid-write) is
 * dropped and cut off at the next open. Nothing is rewritten on a tick: a tick with no news writes nothing.
 *
 * A failed append (disk full) is cut back off the file so the next one starts on a clean line, and its facts wait
 * in memory to be written with the next append or `retry`: no fact is lost once there is space again. Damage found
 * at open that a crash mid-append cannot explain (zeroed blocks after a power cut, a line cut short before others,
 * a garbled line) keeps a copy of the file as `<file>.corrupt`, keeps what could be read, and is reported once.
 *
 * Why not SQLite: the data is a few lines per instance lifetime, and a query looks only at the instances that may
 * overlap its period: those still running and those that ended in or after the period's UTC month (an index by the
 * month an instance ended), so a tick's month-to-date, today and burn do not grow with the 400 days kept (150,000
 * instances for a busy year). A native module would add an Electron rebuild step for no gain.
 *
 * `record` is idempotent per fact (a second `registered` or `terminated` for an instance is ignored and not
 * written), so the loop may report what it observes every tick.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MarketSchema } from '../../../shared/domain.js';
import type { Clock } from '../ports.js';
import {
  attributeBetween,
  burnRate,
  priceSegments,
  rollup,
  startOfUtcDay,
  startOfUtcMonth,
  taskSpansBetween,
  type Burn,
  type CostRollup,
  type InstanceCostInput,
  type PriceChange,
  type TaskCost,
} from './accounting.js';
import { syncDir, writeFileDurably } from '../durable-file.js';
import { goneFromPath } from '../file-identity.js';

const PriceSourceSchema = z.object({
  kind: z.enum(['pricing-api', 'spot-history', 'bundled', 'estimate']),
  fetchedAt: z.number().nullable(),
  note: z.string().optional(),
  zone: z.string().optional(),
});

const TaskSpanSchema = z.object({
  taskId: z.string().min(1),
  name: z.string().optional(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
});

const id = z.string().min(1);
const at = z.number().finite();

const PriceChangeSchema = z.object({ at, hourlyPrice: z.number().nonnegative() });

const LaunchedSchema = z.object({
  t: z.literal('launched'),
  at,
  instanceId: id,
  queue: z.string(),
  resource: z.string(),
  instanceType: z.string(),
  market: MarketSchema,
  zone: z.string().nullable().optional(),
  hourlyPrice: z.number().nonnegative(),
  priceSource: PriceSourceSchema,
  /** For spot: the on-demand price of the same type, so savings can be shown. */
  onDemandHourlyPrice: z.number().nonnegative().optional(),
  /** EC2's launch time when the record starts later (an adopted instance: it starts at the adoption). */
  ec2LaunchedAt: at.optional(),
});

/** A compacted instance: its whole known lifecycle in one line. */
const InstanceSchema = LaunchedSchema.omit({ t: true, at: true }).extend({
  t: z.literal('instance'),
  launchedAt: at,
  registeredAt: at.nullable(),
  endedAt: at.nullable(),
  endReason: z.string().optional(),
  tasks: z.array(TaskSpanSchema),
  /** Absent in a history from before prices moved (and for an instance whose price never moved). */
  priceChanges: z.array(PriceChangeSchema).optional(),
});

export const CostFactSchema = z.discriminatedUnion('t', [
  LaunchedSchema,
  z.object({ t: z.literal('registered'), at, instanceId: id, workerId: z.string().optional() }),
  z.object({ t: z.literal('task-started'), at, instanceId: id, taskId: id, name: z.string().optional() }),
  z.object({ t: z.literal('task-ended'), at, instanceId: id, taskId: id }),
  z.object({ t: z.literal('terminated'), at, instanceId: id, reason: z.string().optional() }),
  /** A running instance's price moved (its zone's spot price, as the price book last fetched it): billed so from `at`. */
  z.object({ t: z.literal('price'), at, instanceId: id, hourlyPrice: z.number().nonnegative() }),
  InstanceSchema,
]);

export type CostFact = z.infer<typeof CostFactSchema>;
export type CostFactInput = z.input<typeof CostFactSchema>;

/**
 * A launch of an instance the history knows ended is a new billing period: an instance stopped and started again
 * (EC2 bills it from the start again, with a new 60 s minimum). One not ended yet, or before its end, is the same.
 */
function isLaterPeriod(known: InstanceRecord, launchedAt: number): boolean {
  return known.endedAt !== null && launchedAt >= known.endedAt;
}

/**
 * Changes kept per billing period, at most. The tracker records a change only when the price it fetched moved (an
 * hourly refresh: 720 a month at worst), so this binds only an instance running for weeks under a restless price;
 * past it the two oldest stretches become one at their time-weighted price, which keeps the instance's total and the
 * recent stretches exact and moves only cost between the days of those old stretches.
 */
export const MAX_PRICE_CHANGES = 500;

/** Adds a price move to a record; false when it is none (ended, before the last move, or the same price). */
export function addPriceChange(r: InstanceRecord, at: number, hourlyPrice: number): boolean {
  const changes = r.priceChanges ?? [];
  const last = changes.at(-1);
  if (r.endedAt !== null || at < (last?.at ?? r.launchedAt)) return false;
  if (hourlyPrice === (last?.hourlyPrice ?? r.hourlyPrice)) return false;
  // A second move at the same moment replaces the first; one back to the price before it undoes it.
  if (last && last.at === at) changes.pop();
  const before = changes.at(-1)?.hourlyPrice ?? r.hourlyPrice;
  if (at === r.launchedAt && changes.length === 0) r.hourlyPrice = hourlyPrice;
  else if (hourlyPrice !== before) changes.push({ at, hourlyPrice });
  while (changes.length > MAX_PRICE_CHANGES) {
    const [a, b, c] = changes as [PriceChange, PriceChange, PriceChange];
    const price = (a.hourlyPrice * (b.at - a.at) + b.hourlyPrice * (c.at - b.at)) / (c.at - a.at);
    changes.splice(0, 2, { at: a.at, hourlyPrice: price });
  }
  if (changes.length) r.priceChanges = changes;
  else delete r.priceChanges;
  return true;
}

/** One instance as the history knows it: accounting input plus what the CSV shows. */
export interface InstanceRecord extends InstanceCostInput {
  instanceType: string;
  zone: string | null;
  priceSource: z.infer<typeof PriceSourceSchema>;
  endReason?: string;
}

export interface CostHistoryOptions {
  file: string;
  clock: Clock;
  /** Compact when the journal has this many more lines than instances (default 5000). */
  compactAfterLines?: number;
  /** Instances that ended longer ago than this are dropped at compaction (default 400 days). */
  retentionDays?: number;
  /**
   * Only read: nothing is cut, copied or rewritten and `record` refuses, so a reader (the cost report) never changes
   * the file under an engine appending to it.
   */
  readOnly?: boolean;
  /** Told once at open what was wrong with the file and what was kept, in words for the user. */
  onProblem?: (message: string) => void;
}

export interface OpenReport {
  /** Lines read and applied. */
  lines: number;
  /** A partial last line (crash mid-append) was found and cut off. */
  tornTail: boolean;
  /** Complete lines that are JSON but no fact this version knows (skipped; gone after the next compaction). */
  skipped: number;
  /**
   * Lines that could not be read and that a crash mid-append does not explain (anything but a torn last line).
   * The file was copied to `<file>.corrupt` and rewritten with the lines that could be read.
   */
  damaged: number;
  /** Where the damaged file was copied (null when nothing was damaged, or it could not be copied). */
  keptAs: string | null;
}

/** What the bytes of a journal read as. */
export interface JournalScan {
  /** Facts read (each handed to the scan's `onFact` as it is read, so a large file is not held twice over). */
  facts: number;
  /**
   * Where each line that parsed as JSON lies in the bytes (facts and the lines of a newer version), to rewrite a
   * damaged file with them: byte offsets, not copies of the lines.
   */
  readable: Array<[start: number, end: number]>;
  /** Complete lines that are JSON but no fact this version knows. */
  skipped: number;
  /** Unreadable lines (or a bad tail) that a torn append cannot explain. */
  damaged: number;
  /** The damage includes NUL bytes, as the unwritten blocks of a file are after a power cut. */
  zeroed: boolean;
  /** Where a torn last append starts (the file is cut there), or null. */
  tornAt: number | null;
  /** The last readable line lacks its newline: the next append must start with one. */
  needsNewline: boolean;
}

/** No single appended fact is near this long; a longer unfinished tail is not a torn append. */
const MAX_APPEND_BYTES = 64 * 1024;
/** How each appended line starts (`record` writes the kind first); compacted `instance` lines are never appended. */
const APPENDED_STARTS = ['launched', 'registered', 'task-started', 'task-ended', 'terminated', 'price'].map(
  (t) => `{"t":"${t}"`,
);

/**
 * Whether an unfinished last line is what a crash or a failed write in the middle of an append leaves: a short
 * beginning of one appended fact, after lines that all read. Anything else (zeroes, a compacted line cut short,
 * damage before it) means the file itself was damaged.
 */
function isTornAppend(tail: Buffer, linesBefore: number, damagedBefore: number): boolean {
  if (linesBefore === 0 || damagedBefore > 0 || tail.length > MAX_APPEND_BYTES || tail.includes(0)) return false;
  const text = tail.toString('utf8');
  return APPENDED_STARTS.some((p) => text.startsWith(p) || p.startsWith(text));
}

/** Reads a journal's bytes line by line: what applies (handed to `onFact`), what is skipped, and what is damaged. */
export function scanJournal(buf: Buffer, onFact: (fact: CostFact) => void): JournalScan {
  const scan: JournalScan = {
    facts: 0,
    readable: [],
    skipped: 0,
    damaged: 0,
    zeroed: false,
    tornAt: null,
    needsNewline: false,
  };
  let offset = 0;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    const last = nl === -1;
    const bytes = buf.subarray(offset, last ? buf.length : nl);
    const line = bytes.toString('utf8');
    const parsed = parseLine(line);
    if (parsed.kind === 'fact' || parsed.kind === 'unknown') {
      if (parsed.kind === 'fact') {
        scan.facts++;
        onFact(parsed.fact);
      } else scan.skipped++; // a newer version's fact: kept on disk until compaction
      scan.readable.push([offset, offset + bytes.length]);
      if (last) scan.needsNewline = true;
    } else if (parsed.kind === 'not-json') {
      if (last && isTornAppend(bytes, scan.readable.length, scan.damaged)) scan.tornAt = offset;
      else {
        scan.damaged++;
        if (bytes.includes(0)) scan.zeroed = true;
      }
    }
    offset = last ? buf.length : nl + 1;
  }
  return scan;
}

/** The one-time message for what `open` found wrong with the file, or null when it read cleanly. */
export function openProblemText(file: string, report: OpenReport, zeroed: boolean): string | null {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (report.damaged > 0) {
    const cause = zeroed ? ' (zero bytes, as a power cut can leave)' : '';
    const kept = report.keptAs
      ? `the file was copied to ${path.basename(report.keptAs)} and rewritten with the ` +
        `${count(report.lines, 'record')} that could be read`
      : 'they are left out';
    parts.push(
      `${count(report.damaged, 'line')} of the cost history in ${file} could not be read${cause}; ${kept}: ` +
        'spend those lines recorded is missing from the figures and the cost report',
    );
  }
  if (report.skipped > 0)
    parts.push(
      `${count(report.skipped, 'line')} of the cost history in ${file} ` +
        `${report.skipped === 1 ? 'is' : 'are'} not a record this version knows (written by a newer version?): ` +
        'left out of the figures, and dropped when the file is next compacted',
    );
  return parts.length ? parts.join('; ') : null;
}

/** The columns of `CostHistory.toCsv`, also printed alone when there is no history yet. */
export const COST_CSV_HEADER = [
  'instance_id',
  'queue',
  'resource',
  'instance_type',
  'market',
  'zone',
  'hourly_price_usd',
  'price_source',
  'line',
  'task_id',
  'task_name',
  'start_utc',
  'end_utc',
  'seconds',
  'cost_usd',
] as const;

export class CostHistory {
  private readonly records = new Map<string, InstanceRecord>();
  /** The index queries read: records not ended, and ended records by the UTC month they ended in. */
  private readonly running = new Set<InstanceRecord>();
  private readonly endedByMonth = new Map<number, Set<InstanceRecord>>();
  /** Each price note once in memory: every instance priced from one source repeats its ~200-byte note. */
  private readonly notes = new Map<string, string>();
  /** Records the queries have looked at since open: what the index saves, for tests and the bench. */
  visited = 0;
  private fh: FileHandle | null = null;
  private writes: Promise<unknown> = Promise.resolve();
  private linesInFile = 0;
  private closed: false | 'closed' | 'read-only' = false;
  /** Lines applied in memory and not yet on disk (a write failed): written, in order, before anything newer. */
  private readonly pending: string[] = [];
  /** A failed write left bytes that could not be cut off: the next write starts on a new line. */
  private partialTail = false;

  private constructor(
    private readonly file: string,
    private readonly clock: Clock,
    private readonly compactAfterLines: number,
    private readonly retentionMs: number,
    readonly openReport: OpenReport,
    private readonly onProblem: ((message: string) => void) | undefined,
  ) {}

  static async open(opts: CostHistoryOptions): Promise<CostHistory> {
    const readOnly = opts.readOnly ?? false;
    if (!readOnly) await mkdir(path.dirname(opts.file), { recursive: true });
    const buf = existsSync(opts.file) ? await readFile(opts.file) : Buffer.alloc(0);
    const report: OpenReport = { lines: 0, tornTail: false, skipped: 0, damaged: 0, keptAs: null };
    const h = new CostHistory(
      opts.file,
      opts.clock,
      opts.compactAfterLines ?? 5000,
      (opts.retentionDays ?? 400) * 86_400_000,
      report,
      opts.onProblem,
    );
    // Each fact is applied as it is read: a year of history is not held as parsed facts beside its records.
    const scan = scanJournal(buf, (f) => h.apply(f));
    Object.assign(report, {
      lines: scan.facts,
      tornTail: scan.tornAt !== null,
      skipped: scan.skipped,
      damaged: scan.damaged,
    });
    let needsNewline = scan.needsNewline;
    if (!readOnly && scan.damaged > 0) {
      // The damaged file is evidence of spend: copied aside before anything is cut, then rewritten with what read.
      const corrupt = `${opts.file}.corrupt`;
      try {
        await copyFile(opts.file, corrupt);
        report.keptAs = corrupt;
        await writeFileDurably(opts.file, scan.readable.map(([a, b]) => `${buf.toString('utf8', a, b)}\n`).join(''));
        needsNewline = false;
      } catch {
        // Left as it is (the copy or the rewrite failed): appends start on a line of their own after the damage.
        needsNewline = true;
      }
    } else if (!readOnly && scan.tornAt !== null) {
      // Torn append: everything before it is intact; cut it so the next append starts on a clean line.
      await truncate(opts.file, scan.tornAt);
    }
    h.linesInFile = scan.readable.length;
    const problem = openProblemText(opts.file, report, scan.zeroed);
    if (problem) opts.onProblem?.(problem);
    if (readOnly) {
      h.closed = 'read-only';
      return h;
    }
    h.fh = await open(opts.file, 'a');
    if (needsNewline) await h.fh.appendFile('\n');
    return h;
  }

  /**
   * Adds a fact; resolves true once it is on disk, false when it adds nothing (duplicate, or an instance the
   * history never saw launch). Throws on a malformed fact (a programming error) or a failed write.
   */
  async record(input: CostFactInput): Promise<boolean> {
    if (this.closed) throw new Error(`cost history is ${this.closed === 'read-only' ? 'open to read only' : 'closed'}`);
    // Parsed and applied before the first await: queries made right after the call already see the fact.
    const fact = CostFactSchema.parse(input);
    if (!this.apply(fact)) return false;
    this.pending.push(`${JSON.stringify(fact)}\n`);
    return this.enqueue(async () => {
      await this.writePending();
      return true;
    });
  }

  /** Facts a failed write left in memory only (written with the next record, `retry` or `close`). */
  get unsaved(): number {
    return this.pending.length;
  }

  /** Writes the facts a failed write left waiting; resolves at once when none wait, throws when it fails again. */
  retry(): Promise<void> {
    if (this.closed || this.pending.length === 0) return Promise.resolve();
    return this.enqueue(() => this.writePending());
  }

  /** Rewrites the journal as one line per kept instance (temp file, fsync, rename). */
  compact(): Promise<void> {
    return this.enqueue(() => this.compactNow());
  }

  /** Waits for pending writes, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    const last = this.retry();
    this.closed = 'closed';
    await last.catch(() => undefined);
    await this.writes.catch(() => undefined);
    await this.fh?.close();
    this.fh = null;
  }

  // ---------------------------------------------------------------- queries

  instances(): InstanceRecord[] {
    return [...this.records.values()];
  }

  /** The instances with no end recorded, from the index (a copy: recording an end while going through it is safe). */
  openInstances(): InstanceRecord[] {
    return [...this.running];
  }

  /** Instances that ended longer ago than this many days are dropped at compaction (so a period before is partial). */
  get retentionDays(): number {
    return this.retentionMs / 86_400_000;
  }

  /**
   * Where the history starts: the earliest launch it holds, null when empty. A report for a period before it cannot
   * count what ran then (the app was not used yet, or the instances ended before the retention and were dropped).
   */
  startsAt(): number | null {
    let first: number | null = null;
    for (const r of this.records.values()) if (first === null || r.launchedAt < first) first = r.launchedAt;
    return first;
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.records.get(instanceId);
  }

  rollup(since: number, now = this.clock.now()): CostRollup {
    return rollup(this.instancesOverlapping(since, now), { from: since, to: now, now });
  }

  monthToDate(now = this.clock.now()): number {
    return this.rollup(startOfUtcMonth(now), now).total;
  }

  monthToDateByQueue(now = this.clock.now()): Record<string, number> {
    return this.rollup(startOfUtcMonth(now), now).byQueue;
  }

  spendToday(now = this.clock.now()): number {
    return this.rollup(startOfUtcDay(now), now).total;
  }

  byQueue(since: number): Record<string, number> {
    return this.rollup(since).byQueue;
  }

  byResource(since: number): Record<string, number> {
    return this.rollup(since).byResource;
  }

  byTask(since: number): Record<string, TaskCost> {
    return this.rollup(since).byTask;
  }

  burn(now = this.clock.now()): Burn {
    return burnRate(this.instancesOverlapping(now, now), now);
  }

  /**
   * One row per cost line in [since, now]: each task an instance ran, its idle time and its boot overhead, so
   * the `cost_usd` column sums to the total. Times in ISO UTC.
   */
  toCsv(since: number, now = this.clock.now()): string {
    const rows: string[][] = [[...COST_CSV_HEADER]];
    const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
    const sorted = this.instancesOverlapping(since, now).sort((a, b) => a.launchedAt - b.launchedAt);
    for (const inst of sorted) {
      // One set of rows per price in force (a spot price moves): each row's seconds × its price is its cost.
      for (const seg of priceSegments(inst)) {
        const from = Math.max(since, seg.from);
        const to = Math.min(now, seg.to);
        if (to < from || (to === from && seg.from > inst.launchedAt)) continue;
        const a = attributeBetween(inst, from, to, now);
        if (a.total === 0) continue;
        const price = seg.hourlyPrice;
        const secs = (cost: number) => (price > 0 ? ((cost / price) * 3600).toFixed(0) : '0');
        const base = [
          inst.instanceId,
          inst.queue,
          inst.resource,
          inst.instanceType,
          inst.market,
          inst.zone ?? '',
          String(price),
          // A move is always the zone's spot price as fetched.
          seg.from > inst.launchedAt ? 'spot-history' : inst.priceSource.kind,
        ];
        const end = Math.min(inst.endedAt ?? now, to);
        const clip = (ms: number) => Math.min(Math.max(ms, from), end);
        rows.push([
          ...base,
          'boot',
          '',
          '',
          iso(clip(inst.launchedAt)),
          iso(clip(inst.registeredAt ?? end)),
          secs(a.boot),
          a.boot.toFixed(6),
        ]);
        // One row per span: a task run twice on the same worker is two rows, each with its own times and seconds.
        for (const span of taskSpansBetween(inst, from, to, now)) {
          const name = inst.tasks.find((t) => t.taskId === span.taskId && t.name)?.name;
          rows.push([
            ...base,
            'task',
            span.taskId,
            name ?? '',
            iso(span.start),
            iso(span.end),
            secs(span.cost),
            span.cost.toFixed(6),
          ]);
        }
        rows.push([...base, 'idle', '', '', '', '', secs(a.idle), a.idle.toFixed(6)]);
      }
    }
    return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
  }

  // ---------------------------------------------------------------- internals

  private instancesOverlapping(since: number, now: number): InstanceRecord[] {
    const out: InstanceRecord[] = [];
    const look = (i: InstanceRecord) => {
      this.visited++;
      if (i.launchedAt <= now && (i.endedAt === null || i.endedAt >= since)) out.push(i);
    };
    for (const i of this.running) look(i);
    // NaN for a period with no start (-Infinity): every month.
    const fromMonth = startOfUtcMonth(since);
    for (const [month, ended] of this.endedByMonth) if (!(month < fromMonth)) for (const i of ended) look(i);
    return out;
  }

  private index(r: InstanceRecord): void {
    if (r.endedAt === null) return void this.running.add(r);
    const month = startOfUtcMonth(r.endedAt);
    const ended = this.endedByMonth.get(month);
    if (ended) ended.add(r);
    else this.endedByMonth.set(month, new Set([r]));
  }

  private unindex(r: InstanceRecord): void {
    if (r.endedAt === null) return void this.running.delete(r);
    const month = startOfUtcMonth(r.endedAt);
    const ended = this.endedByMonth.get(month);
    ended?.delete(r);
    if (ended?.size === 0) this.endedByMonth.delete(month);
  }

  private priceSource(source: InstanceRecord['priceSource']): InstanceRecord['priceSource'] {
    if (source.note === undefined) return source;
    let note = this.notes.get(source.note);
    if (note === undefined) this.notes.set(source.note, (note = source.note));
    return { ...source, note };
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.writes.then(job, job);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /**
   * An earlier billing period of an instance started again (stopped, then started): kept, and still counted by
   * every query, under its own key, so `get(instanceId)` answers the period running now.
   */
  private keepPeriod(r: InstanceRecord): void {
    this.records.delete(r.instanceId);
    this.records.set(`${r.instanceId}@${r.launchedAt}`, r);
  }

  /** Applies a fact to the in-memory state; false when it changes nothing. */
  private apply(f: CostFact): boolean {
    if (f.t === 'instance') {
      const { t: _t, ...rest } = f;
      const before = this.records.get(f.instanceId);
      if (before && isLaterPeriod(before, rest.launchedAt)) this.keepPeriod(before);
      else if (before) this.unindex(before);
      const r: InstanceRecord = {
        ...rest,
        priceSource: this.priceSource(rest.priceSource),
        zone: rest.zone ?? null,
        tasks: rest.tasks.map((s) => ({ ...s })),
        ...(rest.priceChanges?.length ? { priceChanges: rest.priceChanges.map((c) => ({ ...c })) } : {}),
      };
      this.records.set(f.instanceId, r);
      this.index(r);
      return true;
    }
    if (f.t === 'launched') {
      const before = this.records.get(f.instanceId);
      if (before && !isLaterPeriod(before, f.at)) return false;
      if (before) this.keepPeriod(before);
      const r: InstanceRecord = {
        instanceId: f.instanceId,
        queue: f.queue,
        resource: f.resource,
        instanceType: f.instanceType,
        market: f.market,
        zone: f.zone ?? null,
        hourlyPrice: f.hourlyPrice,
        priceSource: this.priceSource(f.priceSource),
        ...(f.onDemandHourlyPrice !== undefined ? { onDemandHourlyPrice: f.onDemandHourlyPrice } : {}),
        ...(f.ec2LaunchedAt !== undefined ? { ec2LaunchedAt: f.ec2LaunchedAt } : {}),
        launchedAt: f.at,
        registeredAt: null,
        endedAt: null,
        tasks: [],
      };
      this.records.set(f.instanceId, r);
      this.index(r);
      return true;
    }
    const r = this.records.get(f.instanceId);
    if (!r) return false;
    const when = Math.max(f.at, r.launchedAt);
    switch (f.t) {
      case 'registered':
        if (r.registeredAt !== null || r.endedAt !== null) return false;
        r.registeredAt = when;
        return true;
      case 'task-started': {
        if (r.endedAt !== null) return false;
        const open = r.tasks.find((s) => s.endedAt === null);
        if (open?.taskId === f.taskId) return false;
        // A worker runs one task at a time: a new task ends the previous one.
        if (open) open.endedAt = Math.max(when, open.startedAt);
        r.registeredAt ??= when;
        r.tasks.push({ taskId: f.taskId, ...(f.name ? { name: f.name } : {}), startedAt: when, endedAt: null });
        return true;
      }
      case 'task-ended': {
        const open = r.tasks.find((s) => s.endedAt === null && s.taskId === f.taskId);
        if (!open) return false;
        open.endedAt = Math.max(when, open.startedAt);
        return true;
      }
      case 'price':
        return addPriceChange(r, when, f.hourlyPrice);
      case 'terminated':
        if (r.endedAt !== null) return false;
        this.unindex(r);
        r.endedAt = when;
        this.index(r);
        for (const s of r.tasks) if (s.endedAt === null) s.endedAt = Math.max(when, s.startedAt);
        if (f.reason) r.endReason = f.reason;
        return true;
    }
  }

  /**
   * Appends every waiting line in one write. A failed or short write is cut back off (the file keeps only whole
   * lines) and the lines keep waiting, so a later write puts them down in order and none is lost.
   */
  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return; // written by an earlier job, together with the lines before it
    // Appended to a file no path names (the data folder deleted while the engine ran), the spend would be gone at
    // the next start: the history is written again at its path from memory, the waiting lines with it.
    if (await goneFromPath(this.fh!, this.file)) {
      await mkdir(path.dirname(this.file), { recursive: true });
      await this.compactNow();
      this.onProblem?.(
        `the cost history ${this.file} was deleted or replaced while the engine ran (was the data folder removed?); ` +
          `it was written again from memory, with the ${this.records.size} instance records this run knows`,
      );
      return;
    }
    const fh = this.fh!;
    const batch = this.pending.slice();
    const before = (await fh.stat()).size;
    try {
      await fh.appendFile(`${this.partialTail ? '\n' : ''}${batch.join('')}`, 'utf8');
      await fh.sync();
    } catch (err) {
      try {
        await fh.truncate(before);
        this.partialTail = false;
      } catch {
        this.partialTail = true;
      }
      throw err;
    }
    this.partialTail = false;
    this.pending.splice(0, batch.length);
    this.linesInFile += batch.length;
    if (this.linesInFile > this.records.size + this.compactAfterLines) {
      // The facts are already durable; a failed compaction only leaves the journal long, and is retried.
      await this.compactNow().catch(() => undefined);
    }
  }

  private async compactNow(): Promise<void> {
    const horizon = this.clock.now() - this.retentionMs;
    for (const [key, r] of this.records)
      if (r.endedAt !== null && r.endedAt < horizon) {
        this.records.delete(key);
        this.unindex(r);
      }
    // Written as it is now, in chunks of about 1 MB: a year of history is not built as one string, nor held twice.
    const chunks: string[] = [];
    let chunk = '';
    let lines = 0;
    for (const r of [...this.records.values()].sort((a, b) => a.launchedAt - b.launchedAt)) {
      chunk += `${JSON.stringify(CostFactSchema.parse({ ...r, t: 'instance' }))}\n`;
      lines++;
      if (chunk.length >= 1 << 20) {
        chunks.push(chunk);
        chunk = '';
      }
    }
    chunks.push(chunk);
    // The facts waiting now are in the rewrite; those recorded while it is written are not, and stay waiting.
    const included = this.pending.length;
    const tmp = `${this.file}.compact.tmp`;
    const out = await open(tmp, 'w');
    try {
      // Consecutive writeFile calls on one handle continue where the last one ended.
      for (let c = chunks.shift(); c !== undefined; c = chunks.shift()) await out.writeFile(c, 'utf8');
      await out.sync();
    } catch (err) {
      // Part-written on a full disk, it would hold the space the waiting facts need.
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await out.close();
    try {
      await this.fh?.close();
      this.fh = null;
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      this.fh ??= await open(this.file, 'a');
    }
    await syncDir(path.dirname(this.file));
    this.linesInFile = lines;
    this.pending.splice(0, included);
    this.partialTail = false;
  }
}

type ParsedLine = { kind: 'fact'; fact: CostFact } | { kind: 'blank' } | { kind: 'not-json' } | { kind: 'unknown' };

function parseLine(line: string): ParsedLine {
  if (!line.trim()) return { kind: 'blank' };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'not-json' };
  }
  const r = CostFactSchema.safeParse(json);
  return r.success ? { kind: 'fact', fact: r.data } : { kind: 'unknown' };
}

/** RFC 4180 quoting, and a leading quote on text a spreadsheet would run as a formula. */
function csvCell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
