/**
 * The Settings draft of the limits around spending and instance lifetime: budgets (global and per-queue caps),
 * the instance lease, and team mode's leader lease. Read from the config, built back into it, and summarised in
 * words. Pure, so every message is tested in node.
 */
import { BudgetModeSchema, BudgetsSchema, type BudgetMode } from '../../../shared/budget.js';
import { LeaseSchema } from '../../../shared/config.js';
import { dataRecordOf } from '../../../shared/data-record.js';
import { TeamSchema } from '../../../shared/team.js';
import { add, type FieldId, type IssueMap } from './form-issues.js';
import { newUid, num, obj, putNumber, str } from './draft-values.js';

/** One queue's caps; a row per queue. Empty text = no cap. */
export interface QueueCapDraft {
  uid: string;
  queue: string;
  hourlyUsd: string;
  monthlyUsd: string;
}

export interface BudgetsDraft {
  mode: BudgetMode;
  nearCapPercent: string;
  hourlyUsd: string;
  monthlyUsd: string;
  queues: QueueCapDraft[];
}

export interface LeaseDraft {
  enabled: boolean;
  leaseMin: string;
  graceMin: string;
  maxLifetimeHours: string;
}

/** Team mode's leader lease (`team` in the config); empty table: no lease (detection only). */
export interface TeamDraft {
  leaseTable: string;
  leaseRegion: string;
  leaseSec: string;
  graceSec: string;
}

export const BUDGET_MODES = BudgetModeSchema.options;

/** What each mode does, in the words the Settings view shows. */
export const BUDGET_MODE_TEXT: Record<BudgetMode, { label: string; detail: string }> = {
  warn: {
    label: 'Warn only',
    detail: 'Launches continue; you are notified when spend nears or reaches a cap.',
  },
  'stop-launching': {
    label: 'Stop launching',
    detail: 'A launch that would go over a cap is refused. Instances already running are left alone.',
  },
  'terminate-idle': {
    label: 'Stop launching and terminate idle instances',
    detail: 'As above, and idle instances under a reached cap are terminated. Busy instances finish their task first.',
  },
};

const BUDGET_DEFAULTS = BudgetsSchema.parse({});
const LEASE_DEFAULTS = LeaseSchema.parse({});
const TEAM_DEFAULTS = TeamSchema.parse({});

export function emptyQueueCap(queue = ''): QueueCapDraft {
  return { uid: newUid('c'), queue, hourlyUsd: '', monthlyUsd: '' };
}

export function budgetsDraftFrom(budgets: Record<string, unknown>): BudgetsDraft {
  const globalCaps = obj(budgets['global']);
  const mode = BudgetModeSchema.safeParse(budgets['mode']);
  return {
    mode: mode.success ? mode.data : BUDGET_DEFAULTS.mode,
    nearCapPercent: str(budgets['nearCapPercent'] ?? BUDGET_DEFAULTS.nearCapPercent),
    hourlyUsd: str(globalCaps['hourlyUsd']),
    monthlyUsd: str(globalCaps['monthlyUsd']),
    queues: Object.entries(obj(budgets['queues'])).map(([queue, raw]) => ({
      uid: newUid('c'),
      queue,
      hourlyUsd: str(obj(raw)['hourlyUsd']),
      monthlyUsd: str(obj(raw)['monthlyUsd']),
    })),
  };
}

export function leaseDraftFrom(lease: Record<string, unknown>): LeaseDraft {
  return {
    enabled: lease['enabled'] !== false,
    leaseMin: str(lease['leaseMin'] ?? LEASE_DEFAULTS.leaseMin),
    graceMin: str(lease['graceMin'] ?? LEASE_DEFAULTS.graceMin),
    maxLifetimeHours: str(lease['maxLifetimeHours'] ?? LEASE_DEFAULTS.maxLifetimeHours),
  };
}

export function teamDraftFrom(team: Record<string, unknown>): TeamDraft {
  return {
    leaseTable: str(team['leaseTable']),
    leaseRegion: str(team['leaseRegion']),
    leaseSec: str(team['leaseSec'] ?? TEAM_DEFAULTS.leaseSec),
    graceSec: str(team['graceSec'] ?? TEAM_DEFAULTS.graceSec),
  };
}

export function buildBudgets(
  b: BudgetsDraft,
  queueNames: readonly string[],
  paths: Record<string, FieldId>,
  draftIssues: IssueMap,
): Record<string, unknown> {
  for (const k of ['mode', 'nearCapPercent', 'global.hourlyUsd', 'global.monthlyUsd'])
    paths[`budgets.${k}`] = `budgets.${k}`;
  const global: Record<string, unknown> = {};
  putNumber(global, 'hourlyUsd', b.hourlyUsd);
  putNumber(global, 'monthlyUsd', b.monthlyUsd);
  // Keyed by the user's names: a queue may be called `__proto__`.
  const queues = dataRecordOf<unknown>([]);
  for (const c of b.queues) {
    const name = c.queue.trim();
    const field = (k: keyof QueueCapDraft) => `budgetCap:${c.uid}:${k}`;
    if (name === '') {
      add(draftIssues, field('queue'), 'choose the queue these caps apply to');
      continue;
    }
    if (name in queues) {
      add(draftIssues, field('queue'), `queue '${name}' already has a row of caps; keep one row per queue`);
      continue;
    }
    // The cap would never apply: the engine only launches for configured queues.
    if (!queueNames.includes(name))
      add(
        draftIssues,
        field('queue'),
        `queue '${name}' is not configured (configured: ${queueNames.join(', ') || 'none'}); remove this cap or add the queue`,
      );
    if (c.hourlyUsd.trim() === '' && c.monthlyUsd.trim() === '')
      add(draftIssues, field('hourlyUsd'), 'set an hourly or a monthly cap for this queue, or remove the row');
    const caps: Record<string, unknown> = {};
    putNumber(caps, 'hourlyUsd', c.hourlyUsd);
    putNumber(caps, 'monthlyUsd', c.monthlyUsd);
    queues[name] = caps;
    paths[`budgets.queues.${name}`] = field('queue');
    paths[`budgets.queues.${name}.hourlyUsd`] = field('hourlyUsd');
    paths[`budgets.queues.${name}.monthlyUsd`] = field('monthlyUsd');
  }
  const out: Record<string, unknown> = { mode: b.mode, global, queues };
  putNumber(out, 'nearCapPercent', b.nearCapPercent);
  return out;
}

export function buildTeam(t: TeamDraft, paths: Record<string, FieldId>): Record<string, unknown> {
  for (const k of ['leaseTable', 'leaseRegion', 'leaseSec', 'graceSec']) paths[`team.${k}`] = `team.${k}`;
  const out: Record<string, unknown> = {};
  if (t.leaseTable.trim()) out['leaseTable'] = t.leaseTable.trim();
  if (t.leaseRegion.trim()) out['leaseRegion'] = t.leaseRegion.trim();
  putNumber(out, 'leaseSec', t.leaseSec);
  putNumber(out, 'graceSec', t.graceSec);
  return out;
}

export function buildLease(l: LeaseDraft, paths: Record<string, FieldId>): Record<string, unknown> {
  for (const k of ['enabled', 'leaseMin', 'graceMin', 'maxLifetimeHours']) paths[`lease.${k}`] = `lease.${k}`;
  const out: Record<string, unknown> = { enabled: l.enabled };
  putNumber(out, 'leaseMin', l.leaseMin);
  putNumber(out, 'graceMin', l.graceMin);
  putNumber(out, 'maxLifetimeHours', l.maxLifetimeHours);
  return out;
}

/**
 * How long an idle instance outlives the app, in words, from the draft: null while a field is not a number.
 * A disabled lease means no bound at all.
 */
export function leaseSummary(l: LeaseDraft): string | null {
  if (!l.enabled) return 'Off: instances keep running after the app stops, until you terminate them.';
  const [lease, grace, max] = [l.leaseMin, l.graceMin, l.maxLifetimeHours].map((t) => num(t));
  if (typeof lease !== 'number' || typeof grace !== 'number' || typeof max !== 'number') return null;
  const idle = `an idle instance powers itself off at most ${lease + grace} min after the app stops renewing`;
  return max > 0
    ? `Now: ${idle}; no instance, busy or not, lives longer than ${max} h.`
    : `Now: ${idle}; a busy one has no lifetime limit.`;
}
