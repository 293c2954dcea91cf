/**
 * Unsaved Settings edits kept across a quit, a crash or a reload of the window: while the draft holds edits it is
 * written to the window's own storage, and the next window that reads the same ClearML server's configuration
 * offers them again, merged with what was saved meanwhile (draft-rebase.ts). Nothing else keeps them: quitting from
 * the tray closes the window with the draft in it. Pure; the storage itself is the store's edge.
 */
import { z } from 'zod';
import { BudgetModeSchema } from '../../../shared/budget.js';
import { SCALING_FIELDS, type ConfigDraft, type ScalingField } from './config-form.js';

const str = z.string().max(1_000_000);
const uid = z.string().max(64);
const rest = z.record(z.string(), z.unknown());

const DraftSchema = z.object({
  apiHost: str,
  webHost: str,
  filesHost: str,
  region: str,
  scaling: z.object(Object.fromEntries(SCALING_FIELDS.map((f) => [f, str])) as Record<ScalingField, typeof str>),
  dryRun: z.boolean(),
  resources: z
    .array(
      z.object({
        uid,
        name: str,
        instanceType: str,
        market: z.enum(['spot', 'on-demand']),
        spotFallbackToOnDemand: z.boolean(),
        amiId: str,
        subnetIds: str,
        availabilityZones: str,
        securityGroupIds: str,
        keyName: str,
        volumeSizeGiB: str,
        cpuOnly: z.boolean(),
        dockerImage: str,
        rest,
      }),
    )
    .max(1000),
  queues: z
    .array(
      z.object({
        uid,
        name: str,
        entries: z.array(z.object({ uid, resource: str, maxInstances: str, rest })).max(1000),
      }),
    )
    .max(1000),
  budgets: z.object({
    mode: BudgetModeSchema,
    nearCapPercent: str,
    hourlyUsd: str,
    monthlyUsd: str,
    queues: z.array(z.object({ uid, queue: str, hourlyUsd: str, monthlyUsd: str })).max(1000),
  }),
  lease: z.object({ enabled: z.boolean(), leaseMin: str, graceMin: str, maxLifetimeHours: str }),
  team: z.object({ leaseTable: str, leaseRegion: str, leaseSec: str, graceSec: str }),
  agent: z.object({
    initScript: str,
    extraClearmlConf: str,
    extraClearmlConfShellExpand: z.boolean(),
    defaultDockerImage: str,
    agentVersion: str,
    queuePollSec: str,
    clearmlCredentialsFrom: z.enum(['user-data', 'ssm']),
    ssmPrefix: str,
  }),
  rest,
}) satisfies z.ZodType<ConfigDraft>;

/** The one version of the record this build writes and reads; another (older or newer) is left alone. */
const KEPT_VERSION = 1;

const KeptSchema = z.object({
  v: z.literal(KEPT_VERSION),
  /** When the edits were last kept (ms since the epoch). */
  savedAt: z.number(),
  /** Whether the engine ran its demo: demo edits are never offered to a real configuration, nor the reverse. */
  demo: z.boolean(),
  /** The draft of the saved configuration the edits started from, and the draft with the edits. */
  base: DraftSchema,
  draft: DraftSchema,
});
export type KeptDraft = z.infer<typeof KeptSchema>;

/** What a draft with edits is kept as. */
export function keptText(form: { base: ConfigDraft; draft: ConfigDraft }, demo: boolean, now: number): string {
  const kept: KeptDraft = { v: KEPT_VERSION, savedAt: now, demo, base: form.base, draft: form.draft };
  return JSON.stringify(kept);
}

export type KeptDecision =
  | { offer: true; kept: KeptDraft }
  | {
      offer: false;
      /**
       * none: nothing kept; unreadable: not a record this build reads (damaged, or another version's); other-engine:
       * edits of another ClearML server's configuration, or of the demo's (kept until this window edits and saves or
       * discards; the window they belong to offers them).
       */
      code: 'none' | 'unreadable' | 'other-engine';
    };

/**
 * Whether kept edits belong to the configuration this window now shows: the same ClearML server (the API host the
 * edits started from), demo or not alike.
 */
export function keptDecision(text: string | null, current: { apiHost: string; demo: boolean }): KeptDecision {
  if (text === null) return { offer: false, code: 'none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { offer: false, code: 'unreadable' };
  }
  const r = KeptSchema.safeParse(parsed);
  if (!r.success) return { offer: false, code: 'unreadable' };
  const kept = r.data;
  if (kept.demo !== current.demo || kept.base.apiHost.trim() !== current.apiHost.trim())
    return { offer: false, code: 'other-engine' };
  return { offer: true, kept };
}
