/**
 * The launch intent journal: one JSON line per launch attempt, written and fsync'ed BEFORE the
 * RunInstances call it describes, and one line per resolution (launched / failed / abandoned) after. After a
 * crash, an intent without a resolution is a launch whose outcome this app never learned; `recovery.ts` settles it
 * through its client token before the engine plans anything.
 *
 * What an intent holds is the identity of the request, never its content: user data carries the ClearML
 * credentials, so it is rebuilt from the config when a request must be re-sent (`rebuildSpec`). Records are
 * built field by field from an allow-list, so a field added to the engine's LaunchIntent later cannot leak in.
 *
 * Crash tolerance: a crash mid-append leaves a torn last line; `open` cuts it off before anything is appended
 * (otherwise the next line would be glued to it). An intent whose line was torn was never sent: the hook that
 * writes it finishes before RunInstances. Compaction rewrites the file atomically (temp file, fsync, rename,
 * fsync of the directory) keeping only unresolved intents and the other attempts of their batches, and the
 * launches of the last minutes (after a crash, their instances may not be listed yet).
 */
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { syncDir } from '../durable-file.js';
import { goneFromPath } from '../file-identity.js';

export const JOURNAL_FILE = 'launch-intents.jsonl';
const DEFAULT_COMPACT_AFTER_LINES = 2000;
const DEFAULT_KEEP_LAUNCHED_MS = 10 * 60_000;

const MarketSchema = z.enum(['spot', 'on-demand']);

/** Unknown fields are dropped on read (a newer version may add some); writes go through the allow-list below. */
const IntentRecordSchema = z.object({
  v: z.literal(1),
  t: z.literal('intent'),
  token: z.string().min(1).max(64),
  queue: z.string().min(1),
  resource: z.string().min(1),
  market: MarketSchema,
  subnetId: z.string().optional(),
  availabilityZone: z.string().optional(),
  /** ms epoch of the engine tick that planned the launch (the lease tag of the request derives from it). */
  at: z.number(),
  region: z.string().optional(),
  /**
   * The engine stamp (`TAG.engine`) the request carried: a re-send must repeat every parameter, tags included,
   * or EC2 answers IdempotentParameterMismatch instead of the instance the first request launched.
   */
  stamp: z.string().optional(),
  /** One id per process: intents of one session were written by one engine host. */
  session: z.string(),
});

const OutcomeSchema = z.enum(['launched', 'failed', 'abandoned']);

const ResolutionRecordSchema = z.object({
  v: z.literal(1),
  t: z.literal('resolution'),
  token: z.string().min(1).max(64),
  outcome: OutcomeSchema,
  instanceId: z.string().optional(),
  /** EC2 error code for `failed`. */
  code: z.string().optional(),
  /** Why, in words, for `failed` and `abandoned`. */
  reason: z.string().optional(),
  /** ms epoch of the resolution. */
  at: z.number(),
});

const RecordSchema = z.discriminatedUnion('t', [IntentRecordSchema, ResolutionRecordSchema]);

export type JournalIntent = Omit<z.infer<typeof IntentRecordSchema>, 'v' | 't'>;
export type JournalResolution = Omit<z.infer<typeof ResolutionRecordSchema>, 'v' | 't' | 'token'>;
export type JournalOutcome = z.infer<typeof OutcomeSchema>;
type JournalRecord = z.infer<typeof RecordSchema>;

export interface JournalEntry {
  intent: JournalIntent;
  resolution: JournalResolution | null;
  /** Order of the intent in the journal (0 = oldest). */
  seq: number;
}

/** The one place a record becomes a line: explicit fields only, nothing else of the caller's object. */
export function encodeIntent(i: JournalIntent): string {
  const rec: JournalRecord = {
    v: 1,
    t: 'intent',
    token: i.token,
    queue: i.queue,
    resource: i.resource,
    market: i.market,
    ...(i.subnetId !== undefined ? { subnetId: i.subnetId } : {}),
    ...(i.availabilityZone !== undefined ? { availabilityZone: i.availabilityZone } : {}),
    at: i.at,
    ...(i.region !== undefined ? { region: i.region } : {}),
    ...(i.stamp !== undefined ? { stamp: i.stamp } : {}),
    session: i.session,
  };
  return `${JSON.stringify(rec)}\n`;
}

export function encodeResolution(token: string, r: JournalResolution): string {
  const rec: JournalRecord = {
    v: 1,
    t: 'resolution',
    token,
    outcome: r.outcome,
    ...(r.instanceId !== undefined ? { instanceId: r.instanceId } : {}),
    ...(r.code !== undefined ? { code: r.code } : {}),
    ...(r.reason !== undefined ? { reason: r.reason.slice(0, 500) } : {}),
    at: r.at,
  };
  return `${JSON.stringify(rec)}\n`;
}

/**
 * Reads journal text, pure. A last segment without its newline is torn (cut off at `validBytes`); a complete line
 * that does not parse is counted and skipped (it cannot be trusted, and one bad line must not hide the others).
 */
export function parseJournal(text: string): { entries: JournalEntry[]; validBytes: number; badLines: number } {
  const lastNewline = text.lastIndexOf('\n');
  const body = lastNewline < 0 ? '' : text.slice(0, lastNewline + 1);
  const validBytes = Buffer.byteLength(body, 'utf8');
  const byToken = new Map<string, JournalEntry>();
  const order: JournalEntry[] = [];
  let badLines = 0;
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      badLines++;
      continue;
    }
    const r = RecordSchema.safeParse(json);
    if (!r.success) {
      badLines++;
      continue;
    }
    const rec = r.data;
    if (rec.t === 'intent') {
      if (byToken.has(rec.token)) continue; // a compaction racing an append can repeat a line; first wins
      const { v: _v, t: _t, ...intent } = rec;
      const e: JournalEntry = { intent, resolution: null, seq: order.length };
      byToken.set(rec.token, e);
      order.push(e);
    } else {
      const e = byToken.get(rec.token);
      if (!e) continue; // its intent was compacted away: nothing left to resolve
      const { v: _v, t: _t, token: _token, ...res } = rec;
      // An instance that exists outranks any later word that the launch failed or was given up.
      if (e.resolution?.outcome === 'launched' && res.outcome !== 'launched') continue;
      e.resolution = res;
    }
  }
  return { entries: order, validBytes, badLines };
}

export interface IntentJournalOptions {
  dir: string;
  fileName?: string;
  /** Compact once this many lines were appended since the last compaction. Default 2000. */
  compactAfterLines?: number;
  /**
   * Launched attempts are kept this long after their launch (default 10 min): after a crash, an instance launched
   * a moment before may not be listed yet, and recovery counts it from here.
   */
  keepLaunchedForMs?: number;
  now?: () => number;
  /**
   * The file was deleted or replaced under the open journal (the data folder removed while the engine ran) and was
   * written again at its path from memory before the next line: told so the user learns the folder was touched.
   */
  onRewritten?: (file: string) => void;
}

export class IntentJournal {
  readonly path: string;
  /** What `open` had to repair: bytes of a torn last line cut off, complete lines that did not parse. */
  readonly repaired: { tornBytes: number; badLines: number };
  /** This process's id in the records it writes. */
  readonly session = randomUUID();

  private entriesList: JournalEntry[];
  private readonly byToken = new Map<string, JournalEntry>();
  private handle: FileHandle | null;
  /** Appends and compactions run one at a time, in call order. */
  private chain: Promise<void> = Promise.resolve();
  private linesSinceCompaction: number;
  private readonly compactAfter: number;
  private readonly keepLaunchedForMs: number;
  private readonly now: () => number;
  private readonly onRewritten: ((file: string) => void) | undefined;
  private closed = false;

  private constructor(
    file: string,
    handle: FileHandle,
    parsed: ReturnType<typeof parseJournal>,
    tornBytes: number,
    opts: IntentJournalOptions,
  ) {
    this.path = file;
    this.handle = handle;
    this.entriesList = parsed.entries;
    for (const e of parsed.entries) this.byToken.set(e.intent.token, e);
    this.repaired = { tornBytes, badLines: parsed.badLines };
    this.linesSinceCompaction = parsed.entries.length;
    this.compactAfter = opts.compactAfterLines ?? DEFAULT_COMPACT_AFTER_LINES;
    this.keepLaunchedForMs = opts.keepLaunchedForMs ?? DEFAULT_KEEP_LAUNCHED_MS;
    this.now = opts.now ?? Date.now;
    this.onRewritten = opts.onRewritten;
  }

  static async open(opts: IntentJournalOptions): Promise<IntentJournal> {
    await mkdir(opts.dir, { recursive: true });
    const file = path.join(opts.dir, opts.fileName ?? JOURNAL_FILE);
    let text = '';
    let existed = true;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      existed = false;
    }
    const parsed = parseJournal(text);
    const total = Buffer.byteLength(text, 'utf8');
    const tornBytes = total - parsed.validBytes;
    if (tornBytes > 0) await truncate(file, parsed.validBytes);
    const handle = await open(file, 'a');
    if (!existed || tornBytes > 0) {
      await handle.sync();
      await syncDir(opts.dir);
    }
    return new IntentJournal(file, handle, parsed, tornBytes, opts);
  }

  entries(): readonly JournalEntry[] {
    return this.entriesList;
  }

  get(token: string): JournalEntry | undefined {
    return this.byToken.get(token);
  }

  unresolved(): JournalEntry[] {
    return this.entriesList.filter((e) => e.resolution === null);
  }

  /** Durable when it resolves: the line is written and fdatasync'ed. */
  recordIntent(intent: Omit<JournalIntent, 'session'> & { session?: string }): Promise<void> {
    const full: JournalIntent = { ...intent, session: intent.session ?? this.session };
    return this.enqueue(async () => {
      if (this.byToken.has(full.token)) return;
      await this.append(encodeIntent(full));
      const e: JournalEntry = { intent: full, resolution: null, seq: this.entriesList.length };
      this.entriesList.push(e);
      this.byToken.set(full.token, e);
    });
  }

  /** Several resolutions in one write and one fsync. Unknown tokens are ignored. */
  resolveMany(items: readonly { token: string; resolution: JournalResolution }[]): Promise<void> {
    return this.enqueue(async () => {
      const todo = items.filter((i) => {
        const e = this.byToken.get(i.token);
        return e && !(e.resolution?.outcome === 'launched' && i.resolution.outcome !== 'launched');
      });
      if (!todo.length) return;
      await this.append(todo.map((i) => encodeResolution(i.token, i.resolution)).join(''), todo.length);
      for (const i of todo) this.byToken.get(i.token)!.resolution = i.resolution;
      if (this.linesSinceCompaction >= this.compactAfter) await this.compactNow();
    });
  }

  resolve(token: string, resolution: JournalResolution): Promise<void> {
    return this.resolveMany([{ token, resolution }]);
  }

  /** Rewrites the file atomically with the unresolved intents (and the rest of their batches) and recent launches. */
  compact(): Promise<void> {
    return this.enqueue(() => this.compactNow());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.handle?.close();
    this.handle = null;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(() => {
      if (this.closed) throw new Error('the launch journal is closed');
      return op();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async append(text: string, lines = 1): Promise<void> {
    if (!this.handle) throw new Error('the launch journal is closed');
    // A line written to a file no path names is lost at the next start: write the journal again where it belongs,
    // from memory (the open intents and recent launches), and then the line.
    if (await goneFromPath(this.handle, this.path)) {
      await mkdir(path.dirname(this.path), { recursive: true });
      await this.compactNow();
      this.onRewritten?.(this.path);
    }
    await this.handle.write(text);
    await this.handle.datasync();
    this.linesSinceCompaction += lines;
  }

  private async compactNow(): Promise<void> {
    // Resolved attempts of a batch that still has an open one are kept: recovery reads the order of a batch's
    // attempts to tell a failed intermediate attempt from the last one (see recovery.ts). Recent launches are kept
    // too: their instances may not be listed yet.
    const openBatches = new Set(this.entriesList.filter((e) => e.resolution === null).map((e) => batchOf(e.intent)));
    const since = this.now() - this.keepLaunchedForMs;
    const keep = this.entriesList.filter(
      (e) => openBatches.has(batchOf(e.intent)) || (e.resolution?.outcome === 'launched' && e.resolution.at >= since),
    );
    const tmp = `${this.path}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.write(
        keep
          .map((e) => encodeIntent(e.intent) + (e.resolution ? encodeResolution(e.intent.token, e.resolution) : ''))
          .join(''),
      );
      await out.sync();
    } catch (err) {
      // Part-written on a full disk, it would hold the space the next intent's line needs.
      await out.close().catch(() => undefined);
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    await out.close();
    await this.handle?.close();
    this.handle = null;
    await rename(tmp, this.path);
    await syncDir(path.dirname(this.path));
    this.handle = await open(this.path, 'a');
    this.entriesList = keep.map((e, seq) => ({ ...e, seq }));
    this.byToken.clear();
    for (const e of this.entriesList) this.byToken.set(e.intent.token, e);
    this.linesSinceCompaction = keep.length;
  }
}

/** The attempts one engine tick made for one (queue, resource) in one process. */
export function batchOf(i: JournalIntent): string {
  return `${i.session}|${i.queue}|${i.resource}|${i.at}`;
}
