/**
 * The stored form of the timeline (`timeline.json`, version 2), pure: each sample keeps only the queues whose counts
 * changed since the sample before, queue names once in a table, counts as `[busy, idle, booting, pending]`.
 *
 * Why: version 1 wrote every queue's counts in every sample, so the file grew with the number of queues (100 queues
 * over a day of 2 s polls: ~18 MB, rewritten every 30 s and over the 8 MB a kept file may be when read back). Counts
 * change far less often than the engine polls, so a day is a few hundred KB unless every queue changes at every poll.
 * Version 1 files are still read.
 */
import { z } from 'zod';
import {
  TimelineMarkerSchema,
  TimelineSampleSchema,
  type QueueCounts,
  type TimelineMarker,
  type TimelineSample,
} from '../../../shared/timeline.js';
import { dataRecordOf } from '../../../shared/data-record.js';

const count = z.number().int().nonnegative();
const CountsTuple = z.tuple([count, count, count, count]);
/** Per changed queue (by its index in `queues`): its new counts, or 0 when it is no longer in the sample. */
const Changes = z.record(z.string().regex(/^\d+$/), z.union([CountsTuple, z.literal(0)]));

const V1 = z.object({
  version: z.literal(1),
  samples: z.array(TimelineSampleSchema),
  markers: z.array(TimelineMarkerSchema),
});

const V2 = z.object({
  version: z.literal(2),
  queues: z.array(z.string()),
  /** `[at, burnPerHour, changes]`, oldest first. */
  samples: z.array(z.tuple([z.number(), z.number().nonnegative(), Changes])),
  markers: z.array(TimelineMarkerSchema),
});

type StoredV2 = z.infer<typeof V2>;

/** A changed queue's index that the file's queue table does not have: the file is damaged. */
const badIndex = (f: StoredV2) =>
  f.samples.some(([, , changes]) => Object.keys(changes).some((k) => Number(k) >= f.queues.length));

/** Reads either version into the ring's content (a damaged file fails the parse, so it is set aside). */
export const StoredTimelineSchema = z
  .union([V1, V2.refine((f) => !badIndex(f), { message: "a sample names a queue the file's table does not have" })])
  .transform((f) => decodeTimeline(f));

export interface TimelineContent {
  samples: TimelineSample[];
  markers: TimelineMarker[];
}

const same = (a: QueueCounts, b: QueueCounts) =>
  a.busy === b.busy && a.idle === b.idle && a.booting === b.booting && a.pending === b.pending;

export function encodeTimeline(content: TimelineContent): StoredV2 {
  const queues: string[] = [];
  const index = new Map<string, number>();
  let prev: Record<string, QueueCounts> = {};
  const samples = content.samples.map((s): [number, number, z.infer<typeof Changes>] => {
    const changes: z.infer<typeof Changes> = {};
    for (const [name, c] of Object.entries(s.queues)) {
      const before = prev[name];
      if (before && same(before, c)) continue;
      let i = index.get(name);
      if (i === undefined) {
        i = queues.push(name) - 1;
        index.set(name, i);
      }
      changes[i] = [c.busy, c.idle, c.booting, c.pending];
    }
    for (const name of Object.keys(prev)) if (!(name in s.queues)) changes[index.get(name)!] = 0;
    prev = s.queues;
    return [s.at, s.burnPerHour, changes];
  });
  return { version: 2, queues, samples, markers: content.markers };
}

function decodeTimeline(stored: z.infer<typeof V1> | StoredV2): TimelineContent {
  if (stored.version === 1) return { samples: stored.samples, markers: stored.markers };
  const current = new Map<number, QueueCounts>();
  const samples = stored.samples.map(([at, burnPerHour, changes]): TimelineSample => {
    for (const [key, c] of Object.entries(changes)) {
      const i = Number(key);
      if (c === 0) current.delete(i);
      else current.set(i, { busy: c[0], idle: c[1], booting: c[2], pending: c[3] });
    }
    const queues = dataRecordOf<QueueCounts>([]);
    for (const i of [...current.keys()].sort((a, b) => a - b)) queues[stored.queues[i]!] = { ...current.get(i)! };
    return { at, queues, burnPerHour };
  });
  return { samples, markers: stored.markers };
}
