/**
 * Team mode: what each role may call. Every channel of the IPC contract is classified here, once; the team
 * server refuses a call whose channel needs more than the caller's role, and the renderer disables the controls
 * the attached role cannot use (with the reason), both reading this one table. Pure: no node, no electron.
 */
import { TeamRoleSchema } from '../domain.js';
import type { InvokeChannel } from './contract.js';

/** viewer reads; operator also switches autoscaling on/off, pauses and scales down; admin may do everything. */
export const ROLES = TeamRoleSchema.options;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Who did something: a teammate's token name and role, or "local" for the person at this machine. */
export type Actor = { name: string; role: Role } | 'local';

/**
 * The role each channel needs. A `Record` over the channel union: a new channel that is not classified here
 * fails the typecheck (and test/team/roles.test.ts checks the table against the contract at run time).
 */
export const CHANNEL_ROLES: Record<InvokeChannel, Role> = {
  // Reading: the snapshot, history, details, the config without secrets, whether credentials are set.
  'autoscaler:state.getSnapshot': 'viewer',
  'autoscaler:instances.detail': 'viewer',
  'autoscaler:timeline.get': 'viewer',
  'autoscaler:config.get': 'viewer',
  'autoscaler:config.validate': 'viewer',
  'autoscaler:config.export': 'viewer',
  'autoscaler:credentials.status': 'viewer',
  'autoscaler:settings.get': 'viewer',
  // Served engines print links instead of opening them; an attached app opens them on its own machine.
  'autoscaler:app.openExternal': 'viewer',
  // Operating: on/off, pause launches or a queue, scale down.
  'autoscaler:engine.setEnabled': 'operator',
  'autoscaler:engine.setLaunchesPaused': 'operator',
  'autoscaler:engine.scaleToZero': 'operator',
  'autoscaler:queue.setPaused': 'operator',
  'autoscaler:instances.terminate': 'operator',
  // Team mode without a lease table: whether this engine acts or stands by, like turning it on or off.
  'autoscaler:leadership.decide': 'operator',
  // Administering: what the engine is, what it may use and what it owns.
  'autoscaler:engine.stopEverything': 'admin',
  'autoscaler:instances.adopt': 'admin',
  'autoscaler:config.save': 'admin',
  'autoscaler:config.import': 'admin',
  'autoscaler:credentials.set': 'admin',
  'autoscaler:credentials.clear': 'admin',
  'autoscaler:credentials.test': 'admin',
  'autoscaler:credentials.importClearmlConf': 'admin',
  'autoscaler:demo.start': 'admin',
  'autoscaler:demo.stop': 'admin',
  'autoscaler:settings.patch': 'admin',
  // Creates an AWS resource (the DynamoDB lease table).
  'autoscaler:leadership.createLeaseTable': 'admin',
  // Attaching is the desktop app's own business (handled locally, never forwarded); a served engine refuses it.
  'autoscaler:team.status': 'viewer',
  'autoscaler:team.probe': 'admin',
  'autoscaler:team.attach': 'admin',
  'autoscaler:team.detach': 'admin',
};

/**
 * Channels whose success changes something: each one is written to the event log with who did it. Everything
 * else only reads (config.validate/import parse and return; credentials.test only calls out).
 */
export const CHANGING_CHANNELS: ReadonlySet<InvokeChannel> = new Set<InvokeChannel>([
  'autoscaler:engine.setEnabled',
  'autoscaler:engine.setLaunchesPaused',
  'autoscaler:engine.scaleToZero',
  'autoscaler:engine.stopEverything',
  'autoscaler:queue.setPaused',
  'autoscaler:instances.terminate',
  'autoscaler:instances.adopt',
  'autoscaler:config.save',
  'autoscaler:credentials.set',
  'autoscaler:credentials.clear',
  'autoscaler:credentials.importClearmlConf',
  'autoscaler:demo.start',
  'autoscaler:demo.stop',
  'autoscaler:settings.patch',
  'autoscaler:leadership.decide',
  'autoscaler:leadership.createLeaseTable',
]);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAllows(role: Role, channel: InvokeChannel): boolean {
  return RANK[role] >= RANK[CHANNEL_ROLES[channel]];
}

/** Why a role may not call a channel, as a structured reason (text is rendered where it is shown). */
export interface RoleRefusal {
  code: 'role_too_low';
  role: Role;
  needs: Role;
  channel: InvokeChannel;
}

export function checkRole(role: Role, channel: InvokeChannel): RoleRefusal | null {
  return roleAllows(role, channel) ? null : { code: 'role_too_low', role, needs: CHANNEL_ROLES[channel], channel };
}

export function renderRoleRefusal(r: RoleRefusal): string {
  return `Your role (${r.role}) cannot do this: ${r.channel.replace(/^autoscaler:/, '')} needs ${r.needs}. Ask an admin of the team engine for a token with that role.`;
}

export function actorLabel(actor: Actor): string {
  return actor === 'local' ? 'local' : `${actor.name} (${actor.role})`;
}
