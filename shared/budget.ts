/**
 * Dollar budgets: an hourly burn cap and a monthly cap, globally and per queue, and what to do when one is hit.
 * All caps are off by default; a cap is on when it has a value. Shared because the settings form validates
 * with it and the dashboard and tray render the cap status it defines.
 */
import { z } from 'zod';
import { dataRecord } from './data-record.js';
import { queueNameProblem } from './queue-name.js';

const usdCap = (what: string, max: number) =>
  z
    .number({
      // A comma typed in a number is a decimal comma (de-DE "1,5") or a thousands separator (en-US "1,000"): which
      // one cannot be told, and a cap read the wrong way is 1000 times off, so it is refused, saying what is read.
      error: (iss) =>
        typeof iss.input === 'string' && /^[\d\s.,']+$/.test(iss.input.trim()) && /\d/.test(iss.input)
          ? `${what} takes digits and a point for cents, without thousands separators (1500 or 1.5), not '${iss.input.trim()}'`
          : `${what} must be a number of US dollars, or left empty for no cap`,
    })
    .positive(`${what} must be more than $0; leave it empty to have no ${what}`)
    .max(max, `${what} must be at most $${max.toLocaleString('en-US')}`)
    .optional();

export const BudgetCapsSchema = z
  .object({
    /** USD per hour of everything running at once (the burn rate). */
    hourlyUsd: usdCap('hourly burn cap', 100_000),
    /** USD per UTC calendar month. */
    monthlyUsd: usdCap('monthly cap', 10_000_000),
  })
  .strict();

export const BudgetModeSchema = z.enum(['warn', 'stop-launching', 'terminate-idle'], {
  error: "budget mode must be 'warn' (notify only), 'stop-launching' or 'terminate-idle'",
});

export const BudgetsSchema = z
  .object({
    /**
     * warn: launches continue, crossings are notified. stop-launching: a launch that would exceed a cap is
     * refused. terminate-idle: as stop-launching, and idle workers under a reached cap are terminated.
     */
    mode: BudgetModeSchema.default('stop-launching'),
    /** A cap is "near" from this share of its limit on (notified once per crossing). */
    nearCapPercent: z
      .number({ error: 'near-cap threshold must be a percentage between 1 and 100' })
      .min(1, 'near-cap threshold must be at least 1 %')
      .max(100, 'near-cap threshold must be at most 100 %')
      .default(80),
    global: BudgetCapsSchema.default({}),
    queues: dataRecord(z.string(), BudgetCapsSchema)
      // Checked here rather than in the key schema: zod reports a bad record key only as "Invalid key in record".
      .superRefine((queues, ctx) => {
        for (const name of Object.keys(queues)) {
          const problem = queueNameProblem(name);
          if (problem) ctx.addIssue({ code: 'custom', path: [name], message: `'${name}': ${problem}` });
        }
      })
      .default({}),
  })
  .strict();

export type Budgets = z.infer<typeof BudgetsSchema>;
export type BudgetCaps = z.infer<typeof BudgetCapsSchema>;
export type BudgetMode = z.infer<typeof BudgetModeSchema>;

export const CapKindSchema = z.enum(['hourly', 'monthly']);
export type CapKind = z.infer<typeof CapKindSchema>;

/**
 * `unknown`: a monthly cap whose month's spend is not known (the cost history cannot be opened). It is not under
 * its cap as far as anyone knows, and outside warn mode it holds every launch it covers, so it is not `ok`.
 */
export const CapStateSchema = z.enum(['ok', 'near', 'reached', 'unknown']);
export type CapState = z.infer<typeof CapStateSchema>;

/** One configured cap as the tray and dashboard show it. */
export const CapStatusSchema = z.object({
  /** The cap's config path, e.g. `global.monthlyUsd` or `queues.gpu.hourlyUsd`. */
  id: z.string(),
  /** null for a global cap. */
  queue: z.string().nullable(),
  kind: CapKindSchema,
  /** "monthly cap $500 for queue gpu", "global hourly burn cap $20/h". */
  label: z.string(),
  /** Hourly: current burn in USD/hour. Monthly: spent this UTC month. */
  spent: z.number(),
  limit: z.number(),
  /** spent / limit (may exceed 1). */
  share: z.number(),
  /** Month-to-date plus the current burn until the end of the UTC month, for this cap's scope. */
  projectedMonth: z.number(),
  state: CapStateSchema,
  /** In state `unknown`: whether it holds the launches it covers (it does outside warn mode). */
  holdsLaunches: z.boolean().optional(),
});
export type CapStatus = z.infer<typeof CapStatusSchema>;

/** "$500", "$12.40", "$0.0052": whole dollars bare, cents otherwise, and sub-dime prices to 4 places. */
export function formatUsd(x: number): string {
  const abs = Math.abs(x);
  const digits = Number.isInteger(x) ? 0 : abs > 0 && abs < 0.1 ? 4 : 2;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(x);
}

/** Human name of a cap, used in every message about it. */
export function capLabel(kind: CapKind, limit: number, queue: string | null): string {
  const what = kind === 'hourly' ? `hourly burn cap ${formatUsd(limit)}/h` : `monthly cap ${formatUsd(limit)}`;
  return queue === null ? `global ${what}` : `${what} for queue ${queue}`;
}

export function capId(kind: CapKind, queue: string | null): string {
  const field = kind === 'hourly' ? 'hourlyUsd' : 'monthlyUsd';
  return queue === null ? `global.${field}` : `queues.${queue}.${field}`;
}
