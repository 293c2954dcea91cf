/**
 * The timeline's edge: records samples and markers into the pure ring and keeps it in `timeline.json` in the data
 * folder, so a restart keeps the last 24 h. The file is the whole ring (bounded by the ring's limits, a few hundred
 * KB at most), rewritten atomically (temp file + rename) at most every `flushMs` and on close. A file that does not
 * parse is kept aside as `timeline.json.corrupt` and the history starts empty: a chart is not worth refusing to start.
 */
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../ports.js';
import {
  TimelineMarkerSchema,
  TimelineSampleSchema,
  type Timeline,
  type TimelineMarker,
  type TimelineRange,
  type TimelineSample,
} from '../../../shared/timeline.js';
import { DEFAULT_LIMITS, TimelineRing, type RingLimits } from './ring.js';
import { writeFileDurably } from '../durable-file.js';

const FileSchema = z.object({
  version: z.literal(1),
  samples: z.array(TimelineSampleSchema),
  markers: z.array(TimelineMarkerSchema),
});

export interface TimelineRecorderOptions {
  /** Absent: memory only (tests, a host without a data folder). */
  file?: string;
  clock: Clock;
  limits?: RingLimits;
  flushMs?: number;
  /** Told once when the file could not be read or written. */
  onProblem?: (message: string) => void;
}

export class TimelineRecorder {
  private dirty = false;
  private lastFlush = 0;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly ring: TimelineRing,
    private readonly opts: TimelineRecorderOptions,
  ) {
    this.lastFlush = opts.clock.now();
  }

  static async open(opts: TimelineRecorderOptions): Promise<TimelineRecorder> {
    const limits = opts.limits ?? DEFAULT_LIMITS;
    let initial: { samples: TimelineSample[]; markers: TimelineMarker[] } | undefined;
    if (opts.file) {
      try {
        const parsed = FileSchema.safeParse(JSON.parse(await readFile(opts.file, 'utf8')));
        if (parsed.success) initial = parsed.data;
        else throw new Error(parsed.error.issues[0]?.message ?? 'unexpected content');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          await rename(opts.file, `${opts.file}.corrupt`).catch(() => undefined);
          opts.onProblem?.(
            `the scaling history in ${opts.file} could not be read (${(e as Error).message}); it was kept as ` +
              `${path.basename(opts.file)}.corrupt and the history starts empty`,
          );
        }
      }
    }
    const ring = new TimelineRing(limits, initial);
    ring.compact(opts.clock.now());
    return new TimelineRecorder(ring, opts);
  }

  get size(): { samples: number; markers: number } {
    return this.ring.size;
  }

  add(sample: TimelineSample): void {
    this.ring.add(sample);
    this.touch();
  }

  mark(marker: TimelineMarker): void {
    this.ring.mark(marker);
    this.touch();
  }

  query(hours: TimelineRange): Timeline {
    return this.ring.query(hours, this.opts.clock.now());
  }

  /** Writes the ring now if it changed (waits for a write already under way). */
  flush(): Promise<void> {
    if (!this.opts.file || !this.dirty) return this.writing;
    this.dirty = false;
    this.lastFlush = this.opts.clock.now();
    const file = this.opts.file;
    const body = JSON.stringify({ version: 1, ...this.ring.state() });
    this.writing = this.writing.then(async () => {
      try {
        await writeFileDurably(file, body);
      } catch (e) {
        this.dirty = true;
        this.opts.onProblem?.(`the scaling history could not be saved to ${file}: ${(e as Error).message}`);
      }
    });
    return this.writing;
  }

  private touch(): void {
    this.dirty = true;
    if (this.opts.clock.now() - this.lastFlush >= (this.opts.flushMs ?? 30_000)) void this.flush();
  }
}
