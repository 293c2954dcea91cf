/**
 * One instance's story for the Instances view's detail panel: its lifecycle, price and spend, what the timeline
 * recorded about it, and for an instance that is booting or was terminated without ever registering, the tail of
 * its EC2 console output (how a broken AMI or init script shows itself).
 */
import { z } from 'zod';
import { InstancePhaseSchema, MarketSchema } from './domain.js';
import { TimelineMarkerSchema } from './timeline.js';
import { sentence } from './words.js';

export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8,17}$/;

export const ConsoleTailSchema = z.discriminatedUnion('state', [
  /** The last lines EC2 captured, and when EC2 captured them. */
  z.object({ state: z.literal('shown'), lines: z.array(z.string()), capturedAt: z.number().nullable() }),
  /** EC2 has nothing yet (it captures the console a little after boot). */
  z.object({ state: z.literal('empty') }),
  /** Only read for booting instances and those terminated before they registered. */
  z.object({ state: z.literal('not-needed') }),
  z.object({ state: z.literal('unavailable'), message: z.string() }),
]);
export type ConsoleTail = z.infer<typeof ConsoleTailSchema>;

/**
 * Why the console tail is missing, in the error's own words: EC2's errors arrive classified, ending with their full
 * stop and saying what to do (the permission when it is missing, nothing about permissions when the instance is
 * gone or EC2 throttles), so nothing is added after them.
 */
export function consoleUnavailableText(message: string): string {
  return sentence(`The console output could not be read: ${message}`);
}

export const InstanceDetailSchema = z.object({
  instanceId: z.string(),
  /** False when neither EC2 (this run) nor the cost history knows the instance. */
  known: z.boolean(),
  queue: z.string().nullable(),
  resource: z.string().nullable(),
  instanceType: z.string().nullable(),
  market: MarketSchema.nullable(),
  zone: z.string().nullable(),
  /** The phase now, or null when it is no longer listed (terminated). */
  phase: InstancePhaseSchema.nullable(),
  /** EC2's launch. */
  launchedAt: z.number().nullable(),
  /**
   * When this app adopted it from ClearML's autoscaler (null: launched by this app): its spend and its "registered"
   * count from here, its time before was that autoscaler's.
   */
  adoptedAt: z.number().nullable().default(null),
  registeredAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  /** Why it was terminated, when the engine said so. */
  endReason: z.string().nullable(),
  tasks: z.array(
    z.object({
      taskId: z.string(),
      name: z.string().optional(),
      startedAt: z.number(),
      endedAt: z.number().nullable(),
    }),
  ),
  /** When its worker went idle (null while busy, booting or gone). */
  idleSince: z.number().nullable(),
  /** The lease tag: the on-instance watchdog powers an idle instance off this long after it lapses. */
  leaseUntil: z.number().nullable(),
  hourlyPrice: z.number().nullable(),
  priceSource: z.string().nullable(),
  /** Spend so far (per-second billing, 60 s minimum). */
  spend: z.number().nullable(),
  /** Launches, terminations, interruptions and errors naming it. */
  events: z.array(TimelineMarkerSchema),
  console: ConsoleTailSchema,
});
export type InstanceDetail = z.infer<typeof InstanceDetailSchema>;

/** How many console lines the detail shows: enough for cloud-init's last error and the agent's start. */
export const CONSOLE_TAIL_LINES = 40;
