/**
 * The workload a simulation replays: tasks (queue, when enqueued, how long they run) plus the world's
 * behaviour (boot times, spot interruptions, prices, capacity shortages). A trace is a JSON file, validated
 * strictly: an unknown or misspelled field is an error naming its path, never silently ignored, because a
 * typo in `spotInterruptionsPerHour` would otherwise produce a plausible but wrong benchmark.
 */
import { z } from 'zod';
import { INSTANCE_TYPE_PATTERN } from '../../../shared/config.js';
import { queueNameProblem } from '../../../shared/queue-name.js';

const seconds = (what: string) =>
  z
    .number({ error: `${what} must be a number of seconds` })
    .finite()
    .min(0, `${what} must be >= 0`);

export const TraceTaskSchema = z.strictObject({
  id: z.string().min(1, 'task id must not be empty').max(128),
  /** Shown nowhere but kept, so a trace exported from a real server stays readable. */
  name: z.string().max(256).optional(),
  queue: z.string().superRefine((v, ctx) => {
    const problem = queueNameProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  enqueueAtSec: seconds('enqueueAtSec'),
  durationSec: seconds('durationSec'),
});

export const BootSecSchema = z
  .strictObject({ min: seconds('bootSec.min'), max: seconds('bootSec.max') })
  .refine((b) => b.max >= b.min, { message: 'bootSec.max must be >= bootSec.min', path: ['max'] });

export const PriceSchema = z.strictObject({
  onDemand: z.number().finite().nonnegative(),
  /** When absent, the bundled spot estimate for the type is used. */
  spot: z.number().finite().nonnegative().optional(),
});

/**
 * EC2 answers RunInstances with a capacity error while the window is open, for launches matching every given
 * field (an absent field matches anything): e.g. no spot g4dn.xlarge in subnet-a for the first hour.
 */
export const CapacityErrorSchema = z
  .strictObject({
    fromSec: seconds('fromSec'),
    toSec: seconds('toSec'),
    instanceType: z.string().regex(INSTANCE_TYPE_PATTERN, 'instance type must look like g4dn.xlarge').optional(),
    market: z.enum(['spot', 'on-demand']).optional(),
    subnetId: z.string().min(1).optional(),
    zone: z.string().min(1).optional(),
    code: z
      .enum(['InsufficientInstanceCapacity', 'InsufficientHostCapacity', 'MaxSpotInstanceCountExceeded'])
      .default('InsufficientInstanceCapacity'),
  })
  .refine((c) => c.toSec > c.fromSec, { message: 'toSec must be after fromSec', path: ['toSec'] });

export const TraceSchema = z
  .strictObject({
    name: z.string().min(1, 'name must not be empty').max(128),
    description: z.string().max(2000).optional(),
    tasks: z.array(TraceTaskSchema).min(1, 'a trace needs at least one task'),
    /** Launch → ClearML worker registered, drawn uniformly per instance. Default 60–150 s. */
    bootSec: BootSecSchema.optional(),
    /** Poisson rate of AWS reclaiming each running spot instance. Default 0. */
    spotInterruptionsPerHour: z.number().finite().nonnegative().optional(),
    /** USD/hour by instance type; types not listed use the bundled price table. */
    prices: z
      .record(z.string().regex(INSTANCE_TYPE_PATTERN, 'instance type must look like g4dn.xlarge'), PriceSchema)
      .optional(),
    capacityErrors: z.array(CapacityErrorSchema).optional(),
    /** EC2 pending → running. Default 20 s (must not exceed bootSec.min to keep boot times as drawn). */
    ec2PendingSec: seconds('ec2PendingSec').optional(),
    /** The baseline's polling interval; default ClearML's own default, 300 s. */
    baselinePollSec: z.number().finite().min(1).max(86_400).optional(),
  })
  .superRefine((t, ctx) => {
    const seen = new Map<string, number>();
    t.tasks.forEach((task, i) => {
      const first = seen.get(task.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tasks', i, 'id'],
          message: `task id '${task.id}' is used twice (first at tasks.${first})`,
        });
      } else seen.set(task.id, i);
    });
  });

export type Trace = z.infer<typeof TraceSchema>;
export type TraceInput = z.input<typeof TraceSchema>;
export type TraceTask = z.infer<typeof TraceTaskSchema>;
export type CapacityErrorWindow = z.infer<typeof CapacityErrorSchema>;

export const DEFAULT_BOOT_SEC = { min: 60, max: 150 } as const;
export const DEFAULT_EC2_PENDING_SEC = 20;
/** ClearML's default `polling_interval_time_min`: 5 minutes. */
export const CLEARML_DEFAULT_POLL_SEC = 300;

export interface TraceIssue {
  /** Dotted path, e.g. `tasks.3.durationSec`; `(root)` for the document itself. */
  path: string;
  message: string;
}

export type TraceParse = { ok: true; trace: Trace } | { ok: false; issues: TraceIssue[] };

/** One issue per problem, unknown fields reported one by one at their own path. */
export function traceIssues(error: z.ZodError): TraceIssue[] {
  const out: TraceIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: [...base, key].join('.'),
          message: 'unknown field (check its spelling against the trace format)',
        });
      }
    } else out.push({ path: base.join('.') || '(root)', message: issue.message });
  }
  return out;
}

export function parseTrace(value: unknown): TraceParse {
  const r = TraceSchema.safeParse(value);
  return r.success ? { ok: true, trace: r.data } : { ok: false, issues: traceIssues(r.error) };
}

/** JSON text → trace; a syntax error is reported like a schema issue, at `(file)`. */
export function parseTraceText(text: string): TraceParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: [{ path: '(file)', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  return parseTrace(value);
}

export function formatTraceIssues(issues: readonly TraceIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}
