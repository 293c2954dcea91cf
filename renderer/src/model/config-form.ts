/**
 * The Settings form's model: an editable draft of the config (text fields hold what the user typed), its
 * conversion back to our config format, and zod's issues mapped onto the exact field that caused them, worded
 * as what is valid. Pure, so every message is tested in node.
 */
import { ConfigSchema, ScalingSchema, type ConfigInput } from '../../../shared/config.js';
import { dataRecordOf } from '../../../shared/data-record.js';
import { add, friendlyMessage, mapIssues, type FieldId, type IssueMap } from './form-issues.js';
import { AGENT_DRAFT_KEYS, agentDraftFrom, agentFromDraft, type AgentDraft } from './instance-setup.js';
import { list, newUid, num, obj, splitList, str, without } from './draft-values.js';
import {
  budgetsDraftFrom,
  buildBudgets,
  buildLease,
  buildTeam,
  leaseDraftFrom,
  teamDraftFrom,
  type BudgetsDraft,
  type LeaseDraft,
  type TeamDraft,
} from './limits-draft.js';

export { fieldFor, friendlyMessage, issuesFor, mapIssues, type FieldId, type IssueMap } from './form-issues.js';
export { newUid } from './draft-values.js';
export {
  BUDGET_MODE_TEXT,
  BUDGET_MODES,
  emptyQueueCap,
  leaseSummary,
  type BudgetsDraft,
  type LeaseDraft,
  type QueueCapDraft,
  type TeamDraft,
} from './limits-draft.js';

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
  /**
   * The entry's fields this form does not edit, kept as they were: a setting added to the config schema before
   * the form shows it must not be erased by a save of an unrelated field.
   */
  rest: Record<string, unknown>;
}

/** What the form edits of a queue's entry; the rest is kept (`QueueEntryDraft.rest`). */
const QUEUE_ENTRY_KEYS = ['resource', 'maxInstances'] as const;

export interface QueueDraft {
  uid: string;
  name: string;
  entries: QueueEntryDraft[];
}

export const SCALING_FIELDS = [
  'pollingIntervalSec',
  'maxIdleMin',
  'surplusIdleMin',
  'maxSpinUpMin',
  'maxTotalInstances',
] as const;
/** What a scaling field saves as when left empty: the config schema's defaults. */
export const SCALING_DEFAULTS: Readonly<Record<ScalingField, number>> = ScalingSchema.parse({});
export type ScalingField = (typeof SCALING_FIELDS)[number];

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

/** A new (queue, resource) entry as the form offers it. */
export function emptyQueueEntry(resource = ''): QueueEntryDraft {
  return { uid: newUid('e'), resource, maxInstances: '2', rest: {} };
}

export function emptyQueue(name = '', resource = ''): QueueDraft {
  return { uid: newUid('q'), name, entries: [emptyQueueEntry(resource)] };
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
      rest: without(obj(e), QUEUE_ENTRY_KEYS),
    })),
  }));
  return {
    apiHost: str(clearml['apiHost']),
    webHost: str(clearml['webHost']),
    filesHost: str(clearml['filesHost']),
    region: str(aws['region']),
    budgets: budgetsDraftFrom(obj(c['budgets'])),
    lease: leaseDraftFrom(obj(c['lease'])),
    team: teamDraftFrom(obj(c['team'])),
    scaling: Object.fromEntries(SCALING_FIELDS.map((f) => [f, str(scaling[f] ?? SCALING_DEFAULTS[f])])) as Record<
      ScalingField,
      string
    >,
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
  const resources = dataRecordOf<unknown>([]);
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
  // Keyed by the user's names: a queue may be called `__proto__`.
  const queues = dataRecordOf<unknown>([]);
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
      return { ...e.rest, resource: e.resource, maxInstances: num(e.maxInstances) };
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

/**
 * What a resource's config sets that the form does not edit (kept in `rest`), in words: a user who imported a
 * ClearML config must be able to see that the IAM instance profile and the tags came across. Pure; empty when none.
 */
export function keptResourceSettings(rest: Record<string, unknown>): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  const iam = obj(rest['iamInstanceProfile']);
  const profile = [iam['name'], iam['arn']].filter((v): v is string => typeof v === 'string' && v !== '');
  if (profile.length) out.push({ label: 'IAM instance profile', value: profile.join(', ') });
  const tags = Object.entries(obj(rest['tags'])).filter(([, v]) => typeof v === 'string');
  if (tags.length) out.push({ label: 'Tags', value: tags.map(([k, v]) => `${k}=${String(v)}`).join(', ') });
  const ebs = obj(rest['ebs']);
  const disk = [
    typeof ebs['volumeType'] === 'string' ? `type ${ebs['volumeType']}` : null,
    typeof ebs['snapshotId'] === 'string' ? `from snapshot ${ebs['snapshotId']}` : null,
    typeof ebs['deviceName'] === 'string' ? `on ${ebs['deviceName']}` : null,
  ].filter((v): v is string => v !== null);
  if (disk.length) out.push({ label: 'Disk', value: disk.join(', ') });
  if (rest['enableMonitoring'] === true) out.push({ label: 'Detailed monitoring', value: 'on' });
  return out;
}
