/**
 * The instance-setup part of the Settings draft: what runs on every instance (init script, extra clearml.conf,
 * whether the instance's shell expands it, docker image, agent version, the agent's queue poll) and where instances get the ClearML keys. Shown read-only
 * until the user chooses to edit; a change is confirmed before it is saved (main refuses it otherwise). Pure.
 */
import { AgentSchema } from '../../../shared/config.js';
import { num } from './draft-values.js';

export interface AgentDraft {
  initScript: string;
  extraClearmlConf: string;
  /** The extra clearml.conf goes through the instance's shell ($VAR and $(cmd) expanded), as ClearML writes it. */
  extraClearmlConfShellExpand: boolean;
  defaultDockerImage: string;
  agentVersion: string;
  /** Seconds, as typed; checked by the config schema. */
  queuePollSec: string;
  clearmlCredentialsFrom: 'user-data' | 'ssm';
  ssmPrefix: string;
}

export const AGENT_DRAFT_KEYS = [
  'initScript',
  'extraClearmlConf',
  'extraClearmlConfShellExpand',
  'defaultDockerImage',
  'agentVersion',
  'queuePollSec',
  'clearmlCredentialsFrom',
  'ssmPrefix',
] as const satisfies readonly (keyof AgentDraft)[];

const DEFAULTS = AgentSchema.parse({});

export function agentDraftFrom(agent: Record<string, unknown>): AgentDraft {
  const s = (k: Exclude<keyof AgentDraft, 'extraClearmlConfShellExpand'>) =>
    typeof agent[k] === 'string' ? agent[k] : String(DEFAULTS[k]);
  return {
    initScript: s('initScript'),
    extraClearmlConf: s('extraClearmlConf'),
    extraClearmlConfShellExpand:
      typeof agent['extraClearmlConfShellExpand'] === 'boolean'
        ? agent['extraClearmlConfShellExpand']
        : DEFAULTS.extraClearmlConfShellExpand,
    defaultDockerImage: s('defaultDockerImage'),
    agentVersion: s('agentVersion'),
    queuePollSec: String(typeof agent['queuePollSec'] === 'number' ? agent['queuePollSec'] : DEFAULTS.queuePollSec),
    clearmlCredentialsFrom: agent['clearmlCredentialsFrom'] === 'ssm' ? 'ssm' : 'user-data',
    ssmPrefix: s('ssmPrefix'),
  };
}

/** The agent object for the config: the draft's fields over the ones this form does not edit (gitUser…). */
export function agentFromDraft(d: AgentDraft, rest: Record<string, unknown>): Record<string, unknown> {
  const { queuePollSec, ...text } = d;
  const poll = num(queuePollSec);
  return {
    ...rest,
    ...text,
    agentVersion: d.agentVersion.trim(),
    ssmPrefix: d.ssmPrefix.trim(),
    ...(poll === undefined ? {} : { queuePollSec: poll }),
  };
}

/** Docker mode anywhere in the config: task containers then need instance metadata one hop further. */
export function usesDocker(d: AgentDraft, resourceImages: readonly string[]): boolean {
  return d.defaultDockerImage.trim() !== '' || resourceImages.some((i) => i.trim() !== '');
}

/** What the credentials-mode choice means for this config, in words for the Settings page. */
export function credentialsAdvice(d: AgentDraft, docker: boolean): { tone: 'info' | 'warn'; text: string } {
  if (!docker) {
    return {
      tone: 'info',
      text:
        'No docker: instances get instance-metadata hop limit 1, so only the host itself can read the user data ' +
        'and the instance role.',
    };
  }
  if (d.clearmlCredentialsFrom === 'ssm') {
    return {
      tone: 'info',
      text:
        'Docker mode: instances get hop limit 2 so task containers reach instance metadata; the user data holds no ' +
        'keys (they come from SSM through the instance role, which needs ssm:GetParameter and kms:Decrypt).',
    };
  }
  return {
    tone: 'warn',
    text:
      'Docker mode: instances get hop limit 2 so task containers reach instance metadata, which also lets task code ' +
      'read the user data, and with it the ClearML keys. Recommended: keys from SSM Parameter Store.',
  };
}

export type DiffLine = { kind: ' ' | '-' | '+'; text: string };

/**
 * A line diff good enough for scripts and config snippets: the common first and last lines stay as context, the
 * lines between are shown removed, then added.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return [
    ...a.slice(0, head).map((text) => ({ kind: ' ' as const, text })),
    ...a.slice(head, a.length - tail).map((text) => ({ kind: '-' as const, text })),
    ...b.slice(head, b.length - tail).map((text) => ({ kind: '+' as const, text })),
    ...a.slice(a.length - tail).map((text) => ({ kind: ' ' as const, text })),
  ];
}
