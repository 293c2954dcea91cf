/**
 * The timeline's edge: records samples and markers into the pure ring and keeps it in `timeline.json` in the data
 * folder, so a restart keeps the last 24 h. The file is the whole ring in the compact form of `stored.ts` (each
 * sample keeps only the queues whose counts changed), kept as `kept-file.ts` keeps a history: rewritten at most
 * every `flushMs` and on close, set aside when it does not parse.
 */
import type { Clock } from '../ports.js';
import {
  type Timeline,
  type TimelineMarker,
  type TimelineRange,
  type TimelineSample,
} from '../../../shared/timeline.js';
import { DEFAULT_LIMITS, TimelineRing, type RingLimits } from './ring.js';
import { KeptFileWriter, readKeptFile, type KeptFileOptions } from '../kept-file.js';
import { encodeTimeline, StoredTimelineSchema } from './stored.js';

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
  private readonly writer: KeptFileWriter | null;

  private constructor(
    private readonly ring: TimelineRing,
    private readonly opts: TimelineRecorderOptions,
  ) {
    this.writer = opts.file
      ? new KeptFileWriter(keptFile(opts, opts.file), () => JSON.stringify(encodeTimeline(this.ring.state())))
      : null;
  }

  static async open(opts: TimelineRecorderOptions): Promise<TimelineRecorder> {
    const initial = opts.file ? await readKeptFile(keptFile(opts, opts.file), StoredTimelineSchema) : undefined;
    const ring = new TimelineRing(opts.limits ?? DEFAULT_LIMITS, initial);
    ring.compact(opts.clock.now());
    return new TimelineRecorder(ring, opts);
  }

  get size(): { samples: number; markers: number } {
    return this.ring.size;
  }

  add(sample: TimelineSample): void {
    this.ring.add(sample);
    this.writer?.touch();
  }

  mark(marker: TimelineMarker): void {
    this.ring.mark(marker);
    this.writer?.touch();
  }

  query(hours: TimelineRange, after?: number): Timeline {
    return this.ring.query(hours, this.opts.clock.now(), undefined, after);
  }

  /** Writes the ring now if it changed (waits for a write already under way). */
  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }
}

function keptFile(opts: TimelineRecorderOptions, file: string): KeptFileOptions {
  return {
    file,
    clock: opts.clock,
    what: 'the scaling history',
    ...(opts.flushMs !== undefined ? { flushMs: opts.flushMs } : {}),
    ...(opts.onProblem ? { onProblem: opts.onProblem } : {}),
  };
}
