/**
 * The Settings form's model: an editable draft of the config (text fields hold what the user typed), its
 * conversion back to our config format, and zod's issues mapped onto the exact field that caused them, worded
 * as what is valid. Pure, so every message is tested in node.
 */
import { BudgetModeSchema, BudgetsSchema, type BudgetMode } from '../../../shared/budget.js';
import { ConfigSchema, LeaseSchema, type ConfigInput } from '../../../shared/config.js';
import { TeamSchema } from '../../../shared/team.js';
import { add, friendlyMessage, mapIssues, type FieldId, type IssueMap } from './form-issues.js';
import { AGENT_DRAFT_KEYS, agentDraftFrom, agentFromDraft, type AgentDraft } from './instance-setup.js';

export { fieldFor, friendlyMessage, issuesFor, mapIssues, type FieldId, type IssueMap } from './form-issues.js';

export interface ResourceDraft {
  uid: string;
  name: string;
  instanceType: string;
  market: 'spot' | 'on-demand';
  spotFallbackToOnDemand: boolean;
  amiId: string;
  /** Comma- or space-separated lists as typed. */
  subnetIds: string;
  availabilityZones: string;
  securityGroupIds: string;
  keyName: string;
  volumeSizeGiB: string;
  cpuOnly: boolean;
  dockerImage: string;
  /** Fields this form does not edit (tags, IAM profile, ebs details…), kept as they were. */
  rest: Record<string, unknown>;
}

export interface QueueEntryDraft {
  uid: string;
  resource: string;
  maxInstances: string;
}

export interface QueueDraft {
  uid: string;
  name: string;
  entries: QueueEntryDraft[];
}

export const SCALING_FIELDS = ['pollingIntervalSec', 'maxIdleMin', 'maxSpinUpMin', 'maxTotalInstances'] as const;
export type ScalingField = (typeof SCALING_FIELDS)[number];

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

export interface ConfigDraft {
  apiHost: string;
  webHost: string;
  /** The ClearML files server, exported to the agents as CLEARML_FILES_HOST. */
  filesHost: string;
  region: string;
  scaling: Record<ScalingField, string>;
  dryRun: boolean;
  resources: ResourceDraft[];
  queues: QueueDraft[];
  budgets: BudgetsDraft;
  lease: LeaseDraft;
  team: TeamDraft;
  /** Instance setup (instance-setup.ts); the agent fields it does not edit stay in `rest.agent`. */
  agent: AgentDraft;
  /** Top-level and nested parts this form does not edit (workersPrefix, gitUser…). */
  rest: Record<string, unknown>;
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

let uidSeq = 0;
export function newUid(prefix: string): string {
  uidSeq += 1;
  return `${prefix}${uidSeq}`;
}

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const list = (v: unknown): string => (Array.isArray(v) ? v.map(str).join(', ') : '');

function without(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) r[k] = v;
  return r;
}

const RESOURCE_KEYS = [
  'instanceType',
  'market',
  'spotFallbackToOnDemand',
  'amiId',
  'subnetIds',
  'availabilityZones',
  'securityGroupIds',
  'keyName',
  'cpuOnly',
  'dockerImage',
] as const;

export function emptyResource(name = ''): ResourceDraft {
  return {
    uid: newUid('r'),
    name,
    instanceType: '',
    market: 'on-demand',
    spotFallbackToOnDemand: true,
    amiId: '',
    subnetIds: '',
    availabilityZones: '',
    securityGroupIds: '',
    keyName: '',
    volumeSizeGiB: '',
    cpuOnly: false,
    dockerImage: '',
    rest: {},
  };
}

export function emptyQueue(name = '', resource = ''): QueueDraft {
  return { uid: newUid('q'), name, entries: [{ uid: newUid('e'), resource, maxInstances: '2' }] };
}

/** From our config format (or null before first setup) to a draft. Unknown fields are carried in `rest`. */
export function draftFromConfig(config: unknown): ConfigDraft {
  const c = obj(config);
  const clearml = obj(c['clearml']);
  const aws = obj(c['aws']);
  const scaling = obj(c['scaling']);
  const resources = Object.entries(obj(c['resources'])).map(([name, raw]): ResourceDraft => {
    const r = obj(raw);
    const ebs = obj(r['ebs']);
    return {
      uid: newUid('r'),
      name,
      instanceType: str(r['instanceType']),
      market: r['market'] === 'spot' ? 'spot' : 'on-demand',
      spotFallbackToOnDemand: r['spotFallbackToOnDemand'] !== false,
      amiId: str(r['amiId']),
      subnetIds: list(r['subnetIds']),
      availabilityZones: list(r['availabilityZones']),
      securityGroupIds: list(r['securityGroupIds']),
      keyName: str(r['keyName']),
      volumeSizeGiB: str(ebs['volumeSizeGiB']),
      cpuOnly: r['cpuOnly'] === true,
      dockerImage: str(r['dockerImage']),
      rest: without(r, RESOURCE_KEYS),
    };
  });
  const queues = Object.entries(obj(c['queues'])).map(([name, raw]): QueueDraft => ({
    uid: newUid('q'),
    name,
    entries: (Array.isArray(raw) ? raw : []).map((e) => ({
      uid: newUid('e'),
      resource: str(obj(e)['resource']),
      maxInstances: str(obj(e)['maxInstances']),
    })),
  }));
  const budgets = obj(c['budgets']);
  const globalCaps = obj(budgets['global']);
  const mode = BudgetModeSchema.safeParse(budgets['mode']);
  const lease = obj(c['lease']);
  const team = obj(c['team']);
  return {
    apiHost: str(clearml['apiHost']),
    webHost: str(clearml['webHost']),
    filesHost: str(clearml['filesHost']),
    region: str(aws['region']),
    budgets: {
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
    },
    lease: {
      enabled: lease['enabled'] !== false,
      leaseMin: str(lease['leaseMin'] ?? LEASE_DEFAULTS.leaseMin),
      graceMin: str(lease['graceMin'] ?? LEASE_DEFAULTS.graceMin),
      maxLifetimeHours: str(lease['maxLifetimeHours'] ?? LEASE_DEFAULTS.maxLifetimeHours),
    },
    team: {
      leaseTable: str(team['leaseTable']),
      leaseRegion: str(team['leaseRegion']),
      leaseSec: str(team['leaseSec'] ?? TEAM_DEFAULTS.leaseSec),
      graceSec: str(team['graceSec'] ?? TEAM_DEFAULTS.graceSec),
    },
    scaling: {
      pollingIntervalSec: str(scaling['pollingIntervalSec'] ?? 15),
      maxIdleMin: str(scaling['maxIdleMin'] ?? 15),
      maxSpinUpMin: str(scaling['maxSpinUpMin'] ?? 30),
      maxTotalInstances: str(scaling['maxTotalInstances'] ?? 20),
    },
    dryRun: scaling['dryRun'] === true,
    resources,
    queues,
    agent: agentDraftFrom(obj(c['agent'])),
    rest: {
      ...without(c, ['clearml', 'aws', 'resources', 'queues', 'scaling', 'budgets', 'lease', 'team']),
      agent: without(obj(c['agent']), AGENT_DRAFT_KEYS),
      clearml: without(clearml, ['apiHost', 'webHost', 'filesHost']),
      aws: without(aws, ['region']),
      scaling: without(scaling, [...SCALING_FIELDS, 'dryRun']),
    },
  };
}

/** Text → number when it is one; otherwise the text itself, so zod reports it as "must be a number". */
function num(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Built {
  config: ConfigInput;
  /** Config path prefix (dotted) → field id, longest prefix wins. */
  paths: Record<string, FieldId>;
  /** `resources.<name>` / `queues.<name>` → the name field, for issues about the record key itself. */
  keyFields: Record<string, FieldId>;
  /** Issues found on the draft itself (duplicate names) that the config cannot express. */
  draftIssues: IssueMap;
}

export function buildConfig(d: ConfigDraft): Built {
  const paths: Record<string, FieldId> = {
    'clearml.apiHost': 'apiHost',
    'clearml.webHost': 'webHost',
    'clearml.filesHost': 'filesHost',
    'aws.region': 'region',
    'scaling.dryRun': 'dryRun',
  };
  for (const f of SCALING_FIELDS) paths[`scaling.${f}`] = `scaling.${f}`;
  const draftIssues: IssueMap = {};
  const keyFields: Record<string, FieldId> = {};
  const resources: Record<string, unknown> = {};
  const seenResource = new Map<string, string>();
  for (const r of d.resources) {
    const name = r.name.trim();
    const prior = seenResource.get(name);
    if (prior !== undefined) {
      add(draftIssues, `resource:${r.uid}:name`, `resource name '${name}' is already used; names must be unique`);
      continue;
    }
    seenResource.set(name, r.uid);
    if (name === '') add(draftIssues, `resource:${r.uid}:name`, 'resource name must not be empty');
    const rest = { ...r.rest };
    const ebsRest = obj(rest['ebs']);
    delete rest['ebs'];
    const volume = num(r.volumeSizeGiB);
    const ebs =
      volume === undefined
        ? Object.keys(ebsRest).length
          ? ebsRest
          : undefined
        : { ...ebsRest, volumeSizeGiB: volume };
    const value: Record<string, unknown> = {
      ...rest,
      instanceType: r.instanceType.trim(),
      market: r.market,
      spotFallbackToOnDemand: r.spotFallbackToOnDemand,
      amiId: r.amiId.trim(),
      subnetIds: splitList(r.subnetIds),
      availabilityZones: splitList(r.availabilityZones),
      securityGroupIds: splitList(r.securityGroupIds),
      cpuOnly: r.cpuOnly,
    };
    if (r.keyName.trim()) value['keyName'] = r.keyName.trim();
    if (r.dockerImage.trim()) value['dockerImage'] = r.dockerImage.trim();
    if (ebs) value['ebs'] = ebs;
    resources[name] = value;
    const base = `resources.${name}`;
    paths[base] = `resource:${r.uid}:name`;
    keyFields[base] = `resource:${r.uid}:name`;
    for (const k of RESOURCE_KEYS) paths[`${base}.${k}`] = `resource:${r.uid}:${k}`;
    paths[`${base}.ebs`] = `resource:${r.uid}:volumeSizeGiB`;
  }
  const queues: Record<string, unknown> = {};
  const seenQueue = new Set<string>();
  for (const q of d.queues) {
    const name = q.name.trim();
    if (seenQueue.has(name)) {
      add(draftIssues, `queue:${q.uid}:name`, `queue '${name}' is already listed; each queue appears once`);
      continue;
    }
    seenQueue.add(name);
    if (name === '') add(draftIssues, `queue:${q.uid}:name`, 'queue name must not be empty');
    const base = `queues.${name}`;
    paths[base] = `queue:${q.uid}:entries`;
    keyFields[base] = `queue:${q.uid}:name`;
    queues[name] = q.entries.map((e, i) => {
      paths[`${base}.${i}`] = `entry:${e.uid}:resource`;
      paths[`${base}.${i}.resource`] = `entry:${e.uid}:resource`;
      paths[`${base}.${i}.maxInstances`] = `entry:${e.uid}:maxInstances`;
      if (e.resource && !seenResource.has(e.resource))
        add(
          draftIssues,
          `entry:${e.uid}:resource`,
          `unknown resource '${e.resource}'; defined resources: ${[...seenResource.keys()].join(', ') || 'none'}`,
        );
      if (!e.resource) add(draftIssues, `entry:${e.uid}:resource`, 'choose a resource for this queue');
      return { resource: e.resource, maxInstances: num(e.maxInstances) };
    });
  }
  const budgets = buildBudgets(d.budgets, [...seenQueue].filter(Boolean), paths, draftIssues);
  const lease = buildLease(d.lease, paths);
  const rest = d.rest;
  const scaling: Record<string, unknown> = { ...obj(rest['scaling']), dryRun: d.dryRun };
  for (const f of SCALING_FIELDS) {
    const v = num(d.scaling[f]);
    if (v !== undefined) scaling[f] = v;
  }
  const clearml: Record<string, unknown> = { ...obj(rest['clearml']), apiHost: d.apiHost.trim() };
  if (d.webHost.trim()) clearml['webHost'] = d.webHost.trim();
  if (d.filesHost.trim()) clearml['filesHost'] = d.filesHost.trim();
  const config = {
    ...rest,
    clearml,
    aws: { ...obj(rest['aws']), region: d.region.trim() },
    resources,
    queues,
    scaling,
    lease,
    team: buildTeam(d.team, paths),
    budgets,
    agent: agentFromDraft(d.agent, obj(rest['agent'])),
  } as ConfigInput;
  for (const k of AGENT_DRAFT_KEYS) paths[`agent.${k}`] = `agent.${k}`;
  return { config, paths, keyFields, draftIssues };
}

/** Sets `target[key]` to the typed number (or text, for zod to reject) unless the field is empty. */
function putNumber(target: Record<string, unknown>, key: string, text: string): void {
  const v = num(text);
  if (v !== undefined) target[key] = v;
}

function buildBudgets(
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
  const queues: Record<string, unknown> = {};
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

function buildTeam(t: TeamDraft, paths: Record<string, FieldId>): Record<string, unknown> {
  for (const k of ['leaseTable', 'leaseRegion', 'leaseSec', 'graceSec']) paths[`team.${k}`] = `team.${k}`;
  const out: Record<string, unknown> = {};
  if (t.leaseTable.trim()) out['leaseTable'] = t.leaseTable.trim();
  if (t.leaseRegion.trim()) out['leaseRegion'] = t.leaseRegion.trim();
  putNumber(out, 'leaseSec', t.leaseSec);
  putNumber(out, 'graceSec', t.graceSec);
  return out;
}

function buildLease(l: LeaseDraft, paths: Record<string, FieldId>): Record<string, unknown> {
  for (const k of ['enabled', 'leaseMin', 'graceMin', 'maxLifetimeHours']) paths[`lease.${k}`] = `lease.${k}`;
  const out: Record<string, unknown> = { enabled: l.enabled };
  putNumber(out, 'leaseMin', l.leaseMin);
  putNumber(out, 'graceMin', l.graceMin);
  putNumber(out, 'maxLifetimeHours', l.maxLifetimeHours);
  return out;
}

/**
 * Renames a queue and carries its budget caps along, as renaming a resource carries its queue entries. A name
 * cleared on the way to a new one leaves the caps where they were (then flagged) rather than orphaning them.
 */
export function renameQueue(d: ConfigDraft, uid: string, name: string): ConfigDraft {
  const before = d.queues.find((q) => q.uid === uid)?.name.trim() ?? '';
  const after = name.trim();
  const queues = d.queues.map((q) => (q.uid === uid ? { ...q, name } : q));
  const shared = d.queues.some((q) => q.uid !== uid && q.name.trim() === before);
  const caps =
    before === '' || after === '' || shared
      ? d.budgets.queues
      : d.budgets.queues.map((c) => (c.queue.trim() === before ? { ...c, queue: after } : c));
  return { ...d, queues, budgets: { ...d.budgets, queues: caps } };
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

export interface DraftValidation {
  config: ConfigInput;
  issues: IssueMap;
  paths: Record<string, FieldId>;
  valid: boolean;
}

export function validateDraft(d: ConfigDraft): DraftValidation {
  const built = buildConfig(d);
  const issues: IssueMap = {};
  for (const [k, v] of Object.entries(built.draftIssues)) for (const m of v) add(issues, k, m);
  const r = ConfigSchema.safeParse(built.config);
  if (!r.success)
    for (const i of r.error.issues) {
      const path = i.path.map(String).join('.') || '(root)';
      const keyField = i.code === 'invalid_key' ? built.keyFields[path] : undefined;
      if (keyField) add(issues, keyField, friendlyMessage(i));
      else mapIssues([{ path, message: friendlyMessage(i) }], built.paths, issues);
    }
  if (d.resources.length === 0) add(issues, 'form', 'add at least one resource (an EC2 instance type to launch)');
  if (d.queues.length === 0) add(issues, 'form', 'add at least one queue for the autoscaler to watch');
  return { config: built.config, issues, paths: built.paths, valid: Object.keys(issues).length === 0 };
}
