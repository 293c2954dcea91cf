/**
 * A history file the app keeps in its data folder and rewrites whole (the scaling timeline, the event log): read
 * once at start through its schema, and written durably (temp file + rename) at most every `flushMs` after a change
 * and on `flush`. A file that does not parse is kept aside as `<file>.corrupt` and the history starts empty: a
 * history is not worth refusing to start. A failed write is reported and tried again at the next flush.
 */
import { renameSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { Clock } from './ports.js';
import { monotonicOf } from './aws-clock.js';
import { dataDirFault, faultFix } from './data-dir-fault.js';
import { writeFileDurably } from './durable-file.js';
import { readBoundedFile, readBoundedFileSync, type BoundedRead } from './untrusted/bounded-read.js';

export interface KeptFileOptions {
  file: string;
  clock: Clock;
  /** What the file holds, for the messages ("the scaling history"). */
  what: string;
  /** Default 30 s. */
  flushMs?: number;
  onProblem?: (message: string) => void;
}

/** Files bigger than this are not read (set aside like a file that does not parse). */
const MAX_BYTES = 8 * 1024 * 1024;

type Outcome<T> = { value: T | undefined } | { problem: string };

/** What was read, through the schema; a problem (anything but a missing file) sets the file aside. */
function understand<S extends z.ZodType>(r: BoundedRead | { error: unknown }, schema: S): Outcome<z.infer<S>> {
  try {
    if ('error' in r) throw r.error;
    if (!r.ok) throw new Error(r.code === 'too-large' ? `larger than ${MAX_BYTES} bytes` : `not a file (${r.code})`);
    const parsed = schema.safeParse(JSON.parse(r.bytes.toString('utf8')));
    if (parsed.success) return { value: parsed.data };
    throw new Error(parsed.error.issues[0]?.message ?? 'unexpected content');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { value: undefined };
    return { problem: (e as Error).message };
  }
}

function setAsideText(opts: KeptFileOptions, problem: string): string {
  return (
    `${opts.what} in ${opts.file} could not be read (${problem}); it was kept as ` +
    `${path.basename(opts.file)}.corrupt and the history starts empty`
  );
}

/** The file's content as the schema reads it; undefined when there is none yet or it was set aside. */
export async function readKeptFile<S extends z.ZodType>(
  opts: KeptFileOptions,
  schema: S,
): Promise<z.infer<S> | undefined> {
  const got = understand(await readBoundedFile(opts.file, MAX_BYTES).catch((error: unknown) => ({ error })), schema);
  if ('value' in got) return got.value;
  await rename(opts.file, `${opts.file}.corrupt`).catch(() => undefined);
  opts.onProblem?.(setAsideText(opts, got.problem));
  return undefined;
}

/** The same, for a host that needs the history before it can go on (the event log numbers what follows it). */
export function readKeptFileSync<S extends z.ZodType>(opts: KeptFileOptions, schema: S): z.infer<S> | undefined {
  let read: BoundedRead | { error: unknown };
  try {
    read = readBoundedFileSync(opts.file, MAX_BYTES);
  } catch (error) {
    read = { error };
  }
  const got = understand(read, schema);
  if ('value' in got) return got.value;
  try {
    renameSync(opts.file, `${opts.file}.corrupt`);
  } catch {
    // Nothing more to do: the history starts empty either way.
  }
  opts.onProblem?.(setAsideText(opts, got.problem));
  return undefined;
}

export class KeptFileWriter {
  private dirty = false;
  private lastFlush: number;
  private writing: Promise<void> = Promise.resolve();
  /** The write waiting for the one under way, if any: it takes the body as of when it starts. */
  private waiting: Promise<void> | null = null;

  /** `body`: the whole file's text as of now. */
  constructor(
    private readonly opts: KeptFileOptions,
    private readonly body: () => string,
  ) {
    this.lastFlush = monotonicOf(opts.clock);
  }

  /** Something changed: written now if the last write is `flushMs` old, else at a later touch or flush. */
  touch(): void {
    this.dirty = true;
    // On the monotonic clock: after a wall-clock step back, wall time since the last write would read negative
    // (nothing written for as long as the step), and a step ahead would not hold back anything worth it.
    if (monotonicOf(this.opts.clock) - this.lastFlush >= (this.opts.flushMs ?? 30_000)) void this.flush();
  }

  /**
   * Writes now if anything changed (after a write already under way). At most one write waits: its body is taken
   * when it starts, so a disk slower than the changes (a stalled network folder, a hung drive) holds one copy of
   * the file in memory, not one per flush interval until it answers.
   */
  flush(): Promise<void> {
    if (!this.dirty) return this.writing;
    this.lastFlush = monotonicOf(this.opts.clock);
    if (this.waiting) return this.waiting;
    const { file } = this.opts;
    const next = this.writing.then(async () => {
      this.waiting = null;
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileDurably(file, this.body());
      } catch (e) {
        this.dirty = true;
        // A full or read-only disk: the system's words name the call, not what to do about it.
        const fault = dataDirFault(e);
        this.opts.onProblem?.(
          `${this.opts.what} could not be saved to ${file}: ${(e as Error).message}${fault ? `: ${faultFix(fault)}` : ''}`,
        );
      }
    });
    this.waiting = this.writing = next;
    return next;
  }
}
