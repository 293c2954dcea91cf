/**
 * PURE: what the tray shows, derived from the one main store snapshot and the settings, so the tray can never
 * disagree with the dashboard. The controller turns these plain items into an Electron Menu; the status is in
 * words (first line and tooltip), never only in the icon colour, because icons are unreliable on Linux panels.
 */
import type { EventPayload } from '../../../shared/ipc/contract.js';
import type { CapStatus } from '../../../shared/budget.js';
import { isLiveState, pendingTasks, queuesKnown, type Snapshot, type StatusFix } from '../../../shared/domain.js';
import { roleAllows } from '../../../shared/ipc/roles.js';
import type { InvokeChannel } from '../../../shared/ipc/contract.js';
import { clip, localTimeOfDay, plural } from '../../../shared/words.js';
import { formatMoney, formatRate } from '../../../shared/money.js';
import { heldSummary } from '../../../shared/held.js';
import { stoppedCount } from '../../../shared/stopped.js';

export type TrayIconState = 'off' | 'watching' | 'scaling' | 'paused' | 'error';

export type TrayAction =
  | { type: 'toggle-enabled'; enabled: boolean }
  | { type: 'open-dashboard'; target?: EventPayload<'autoscaler:navigate'> }
  | { type: 'set-launches-paused'; paused: boolean }
  | { type: 'scale-to-zero' }
  | { type: 'set-launch-at-login'; enabled: boolean }
  | { type: 'quit' };

/** A MenuItemConstructorOptions-like plain object; `action` replaces `click`. */
export interface TrayItem {
  id: string;
  type: 'normal' | 'separator' | 'checkbox';
  label?: string;
  checked?: boolean;
  enabled?: boolean;
  action?: TrayAction;
}

export interface TrayModel {
  iconState: TrayIconState;
  /** In full; the first menu line is this, clipped to TRAY_LABEL_MAX (the tooltip has room for more). */
  status: string;
  tooltip: string;
  items: TrayItem[];
}

export interface TraySettings {
  launchAtLogin: boolean;
  /** Electron's login items exist on macOS and Windows only. */
  launchAtLoginSupported: boolean;
  /** A configuration is saved (false on first run, and while an import is still being reviewed). */
  configured: boolean;
}

/**
 * First run: nothing to turn on, so the tray says so and offers the setup instead of an Autoscaling switch that
 * can only fail. Not in the demo (it brings its own configuration) nor attached to a team engine (the engine's is used).
 */
export function needsSetup(s: Snapshot, settings: Pick<TraySettings, 'configured'>): boolean {
  return !settings.configured && !s.demo && !s.remote;
}

export { formatRate } from '../../../shared/money.js';

export function runningInstances(s: Snapshot): Snapshot['instances'] {
  return s.instances.filter((i) => isLiveState(i.state) && i.phase !== 'terminating');
}

export function iconState(s: Snapshot): TrayIconState {
  if (s.status === 'error') return 'error';
  if (!s.enabled || s.status === 'off') return 'off';
  // On, but nothing new launches: the user needs to see that at a glance, more than what is booting.
  if (s.launchesPaused || s.status === 'paused') return 'paused';
  const moving = s.instances.some((i) => i.phase === 'booting' || i.phase === 'terminating');
  return s.status === 'scaling' || moving ? 'scaling' : 'watching';
}

/** The first line of the menu and the tooltip, in words. */
export function statusLine(s: Snapshot): string {
  const running = runningInstances(s).length;
  // Stopped outside the app: not running (no compute billed), but its disks bill until the engine terminates it.
  const stopped = stoppedCount(s.instances, localTimeOfDay);
  const billing = `${running} running, ${formatRate(s.costs.burnPerHour)}`;
  const burn = stopped ? `${billing}; ${stopped}` : billing;
  const tags = [
    s.demo ? 'demo' : null,
    s.dryRun ? 'dry run' : null,
    s.leadership?.role === 'leader' ? 'team leader' : null,
  ].filter(Boolean);
  const suffix = tags.length ? ` (${tags.join(', ')})` : '';
  if (s.status === 'error') {
    // The short form when there is one: a tooltip ends at 127 characters, before a long reason gets to the point.
    const reason = s.statusSummary ?? s.statusReason ?? 'see the dashboard';
    return `Autoscaling error: ${reason}${suffix}`;
  }
  if (!s.enabled || s.status === 'off') {
    // Off still says what is billing (instances outlive the autoscaler) and what waits (nothing launches for it);
    // while ClearML is unread the queue counts are not counts, so they are left out rather than read as none.
    const pending = queuesKnown(s) ? pendingTasks(s) : 0;
    const parts = [
      running > 0 ? `${billing} still billing` : null,
      stopped,
      pending > 0 ? `${plural(pending, 'task')} waiting` : null,
    ].filter(Boolean);
    return `Autoscaling off${parts.length ? `: ${parts.join('; ')}` : ''}${suffix}`;
  }
  if (s.status === 'starting') return `Autoscaling starting…${suffix}`;
  // Team mode: on, but another engine acts for this prefix; the dashboard says since when and when this one takes over.
  const lead = s.leadership;
  if (lead && !lead.acts) {
    const who =
      lead.leader && lead.leader.engineId !== lead.engineId ? `${lead.leader.host} leads` : 'another engine leads';
    return `Standby (${who}): ${burn}${suffix}`;
  }
  const reached = (s.costs.budgets ?? []).find((c) => c.state === 'reached');
  const cap = reached ? `, ${reached.label} reached` : '';
  if (s.status === 'paused' || s.launchesPaused) return `Launches paused: ${burn}${cap}${suffix}`;
  // Tasks wait though autoscaling is on: the line says why, or it reads as all is well.
  const held = heldSummary(s);
  return `Autoscaling on: ${burn}${cap}${held ? `; ${held}` : ''}${suffix}`;
}

/**
 * `known`: the pending count is ClearML's answer at the last poll; otherwise it reads "pending unknown", not 0, and
 * no queue is called missing (an unread server lists none: every queue would be, while the keys or host are wrong).
 */
function queueLine(q: Snapshot['queues'][number], known: boolean): string {
  const running = q.resources.reduce((n, r) => n + r.running, 0);
  const flags = [q.paused ? 'paused' : null, q.exists || !known ? null : 'missing on server'].filter(Boolean);
  const pending = known ? `${q.pending} pending` : 'pending unknown';
  return `${q.name}: ${pending} / ${running} running${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

/** "Monthly cap $500 for queue gpu: $123.40 spent (25 %), $480.00 projected" — spend against the cap, in words. */
export function budgetLine(c: CapStatus): string {
  const pct = `${Math.round(c.share * 100)} %`;
  const label = c.label.charAt(0).toUpperCase() + c.label.slice(1);
  const flag = c.state === 'reached' ? ' — reached' : c.state === 'near' ? ' — near' : '';
  // Its spend is unknown, and the label says what that does to launches: a "$0.00 spent (0 %)" would read as fine.
  if (c.state === 'unknown') return label;
  return c.kind === 'hourly'
    ? `${label}: ${formatRate(c.spent)} now (${pct})${flag}`
    : `${label}: ${formatMoney(c.spent)} spent (${pct}), ${formatMoney(c.projectedMonth)} projected${flag}`;
}

/** Windows truncates tray tooltips at 127 characters. */
const TOOLTIP_MAX = 127;

/**
 * The menu's bounds. A tray menu taller than the screen scrolls (or, on some Linux panels, is cut off), and a wide
 * one covers half of it: a 1080p laptop shows about 30 menu rows, and the fixed items take about 15 (status, fixes,
 * switch, actions, team, app, separators). So at most 6 queue lines and 2 cap lines, each with one "… and K more"
 * line, keep the menu near 25 items whatever the config holds; 80 characters keep a label readable without the
 * menu spanning the screen. The dashboard has everything in full.
 */
export const TRAY_QUEUE_LINES = 6;
export const TRAY_CAP_LINES = 2;
export const TRAY_LABEL_MAX = 80;

/** Attached to a team engine: whether this token's role may do it (the engine refuses otherwise). */
function allowed(s: Snapshot, channel: InvokeChannel): boolean {
  if (!s.remote) return true;
  return s.remote.actor !== null && roleAllows(s.remote.actor.role, channel);
}

/** The team line: where this app is attached and as whom, or the way to attach. */
function teamItems(s: Snapshot): TrayItem[] {
  const target = { view: 'settings', id: 'team' } as const;
  if (!s.remote) {
    return [
      {
        id: 'team',
        type: 'normal',
        label: 'Connect to a team engine…',
        action: { type: 'open-dashboard', target },
      },
    ];
  }
  const r = s.remote;
  const who = r.actor ? ` as ${r.actor.name} (${r.actor.role})` : '';
  const state = r.state === 'connected' ? '' : r.state === 'connecting' ? ' (connecting…)' : ' (disconnected)';
  const items: TrayItem[] = [
    { id: 'team', type: 'normal', label: `Team engine${who}${state}…`, action: { type: 'open-dashboard', target } },
  ];
  if (r.actor && r.actor.role !== 'admin') {
    items.push({
      id: 'team-role',
      type: 'normal',
      label: r.actor.role === 'viewer' ? 'Viewer: read only' : 'Operator: on/off, pause, scale to zero',
      enabled: false,
    });
  }
  return items;
}

/**
 * Where the status's error is fixed, one item per place. Attached to a team engine, the keys and settings are the
 * engine's, changed there by an admin: a token whose role may not change them gets one disabled line saying whom
 * to ask, not a screen whose save the engine refuses.
 */
function fixItems(s: Snapshot, setup: boolean): TrayItem[] {
  if (s.status !== 'error' || setup) return [];
  const fixes = s.statusFix ?? [];
  const channel = (view: StatusFix) =>
    view === 'credentials' ? 'autoscaler:credentials.set' : 'autoscaler:config.save';
  const mine = fixes.filter((view) => allowed(s, channel(view)));
  const items = mine.map((view): TrayItem => ({
    id: `fix:${view}`,
    type: 'normal',
    label: view === 'credentials' ? 'Open Credentials…' : 'Open Settings…',
    action: { type: 'open-dashboard', target: { view } },
  }));
  if (mine.length < fixes.length)
    items.push({
      id: 'fix:ask-admin',
      type: 'normal',
      label: 'Fixed on the team engine: ask its admin',
      enabled: false,
    });
  return items;
}

export function buildTrayModel(s: Snapshot, settings: TraySettings): TrayModel {
  const setup = needsSetup(s, settings);
  const status = setup ? 'Not set up' : s.remote ? `Team: ${statusLine(s)}` : statusLine(s);
  const running = runningInstances(s);
  const sep = (id: string): TrayItem => ({ id, type: 'separator' });
  const items: TrayItem[] = [
    { id: 'status', type: 'normal', label: status, enabled: false },
    // An error names where it is fixed: one item per place, opening the dashboard there.
    ...fixItems(s, setup),
    setup
      ? // The window shows the first-run screen while nothing is set up, and the settings editor once it was left.
        {
          id: 'set-up',
          type: 'normal',
          label: 'Set up…',
          action: { type: 'open-dashboard', target: { view: 'settings' } },
        }
      : {
          id: 'enabled',
          type: 'checkbox',
          label: 'Autoscaling',
          checked: s.enabled,
          ...(allowed(s, 'autoscaler:engine.setEnabled') ? {} : { enabled: false }),
          action: { type: 'toggle-enabled', enabled: !s.enabled },
        },
  ];
  if (s.queues.length > 0) {
    items.push(sep('sep-queues'));
    const known = queuesKnown(s);
    for (const q of shownQueues(s.queues)) {
      items.push({
        id: `queue:${q.name}`,
        type: 'normal',
        label: queueLine(q, known),
        action: { type: 'open-dashboard', target: { view: 'queues', id: q.name } },
      });
    }
    if (s.queues.length > TRAY_QUEUE_LINES)
      items.push(moreItem('queues', s.queues.length - TRAY_QUEUE_LINES, { view: 'queues' }));
  }
  const caps = s.costs.budgets ?? [];
  if (caps.length > 0) {
    items.push(sep('sep-budgets'));
    for (const c of shownCaps(caps))
      items.push({ id: `budget:${c.id}`, type: 'normal', label: budgetLine(c), enabled: false });
    if (caps.length > TRAY_CAP_LINES) items.push(moreItem('caps', caps.length - TRAY_CAP_LINES, { view: 'costs' }));
  }
  items.push(
    sep('sep-actions'),
    { id: 'open', type: 'normal', label: 'Open dashboard', action: { type: 'open-dashboard' } },
    {
      id: 'pause-launches',
      type: 'checkbox',
      label: 'Pause new launches',
      checked: s.launchesPaused,
      enabled: s.enabled && allowed(s, 'autoscaler:engine.setLaunchesPaused'),
      action: { type: 'set-launches-paused', paused: !s.launchesPaused },
    },
    {
      id: 'scale-to-zero',
      type: 'normal',
      label: 'Scale to zero…',
      enabled: running.length > 0 && allowed(s, 'autoscaler:engine.scaleToZero'),
      action: { type: 'scale-to-zero' },
    },
    sep('sep-team'),
    ...teamItems(s),
    sep('sep-app'),
    {
      id: 'launch-at-login',
      type: 'checkbox',
      label: 'Start at login',
      checked: settings.launchAtLogin,
      enabled: settings.launchAtLoginSupported,
      action: { type: 'set-launch-at-login', enabled: !settings.launchAtLogin },
    },
    { id: 'quit', type: 'normal', label: 'Quit', action: { type: 'quit' } },
  );
  const tooltip = `ClearML autoscaler: ${status}`;
  return {
    iconState: iconState(s),
    status,
    tooltip: clip(tooltip, TOOLTIP_MAX),
    items: items.map((i) => (i.label === undefined ? i : { ...i, label: clip(i.label, TRAY_LABEL_MAX) })),
  };
}

/**
 * The queues with a line: all, in the config's order, when they fit; otherwise those with the most tasks waiting
 * (then the most running), since what waits is what the user looks at the tray for.
 */
function shownQueues(queues: Snapshot['queues']): Snapshot['queues'] {
  if (queues.length <= TRAY_QUEUE_LINES) return queues;
  const running = (q: Snapshot['queues'][number]) => q.resources.reduce((n, r) => n + r.running, 0);
  return [...queues].sort((a, b) => b.pending - a.pending || running(b) - running(a)).slice(0, TRAY_QUEUE_LINES);
}

/** The caps with a line: all when they fit; otherwise the closest to their limit (reached ones first). */
function shownCaps(caps: CapStatus[]): CapStatus[] {
  if (caps.length <= TRAY_CAP_LINES) return caps;
  return [...caps].sort((a, b) => b.share - a.share).slice(0, TRAY_CAP_LINES);
}

function moreItem(what: 'queues' | 'caps', more: number, target: EventPayload<'autoscaler:navigate'>): TrayItem {
  return {
    id: `more-${what}`,
    type: 'normal',
    label: `… and ${more} more (Open dashboard)`,
    action: { type: 'open-dashboard', target },
  };
}

export interface ConfirmPrompt {
  title: string;
  message: string;
  detail: string;
  buttons: string[];
  /** Index of the button that confirms. */
  confirmId: number;
  cancelId: number;
}

/** The "Scale to zero…" confirmation: says how many instances and what they cost. */
export function scaleToZeroPrompt(s: Snapshot): ConfirmPrompt {
  const running = runningInstances(s);
  const perHour = running.reduce((sum, i) => sum + i.hourlyPrice, 0);
  const busy = running.filter((i) => i.phase === 'busy').length;
  return {
    title: 'Scale to zero',
    message: `Terminate all ${plural(running.length, 'instance')} (${formatRate(perHour)})?`,
    detail:
      (busy > 0
        ? `${plural(busy, 'instance')} ${busy === 1 ? 'is' : 'are'} running a task; terminating interrupts it. `
        : '') +
      'Autoscaling stays on and will launch again when tasks are queued; turn it off or pause launches to stop that.',
    buttons: ['Terminate all', 'Cancel'],
    confirmId: 0,
    cancelId: 1,
  };
}
