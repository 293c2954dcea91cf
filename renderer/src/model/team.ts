/**
 * Team mode in the dashboard: what the attached role may not do (with the reason to show beside the disabled
 * control) and the connection line. Both read `snapshot.remote`, which only an app attached to a team engine
 * sets; without it every control is allowed and no line is shown.
 */
import type { Snapshot } from '../../../shared/domain.js';
import type { InvokeChannel } from '../../../shared/ipc/contract.js';
import { checkRole } from '../../../shared/ipc/roles.js';
import { leadershipText, type LeadershipView } from '../../../shared/team.js';
import { localTimeOfDay } from '../../../shared/words.js';
import { formatDuration } from './format.js';

type Remote = Snapshot['remote'];

/** Why this app may not call `channel` on the team engine it is attached to; null when it may. */
export function roleLimit(remote: Remote, channel: InvokeChannel): string | null {
  if (!remote) return null;
  if (!remote.actor) return 'Waiting for the team engine to say what your token may do.';
  const refusal = checkRole(remote.actor.role, channel);
  if (!refusal) return null;
  const who = { viewer: 'a viewer', operator: 'an operator', admin: 'an admin' };
  return `Your token (${remote.actor.name}) is ${who[refusal.role]} on the team engine: this needs ${who[refusal.needs]}.`;
}

/**
 * The team card's sentence, its time on the 24-hour clock every other time in the app uses (events, the chart, the
 * tray, notifications), in the viewer's zone: the browser locale's own format would read "02:02 PM" in en-US and
 * "٠٢:٠٢ م" in ar-EG beside an event log at "14:02".
 */
export function leadershipBannerText(view: LeadershipView): string {
  return leadershipText(view, localTimeOfDay);
}

/** The line under the title while attached: where, as whom, and the connection in plain words. */
export function remoteLine(remote: Remote, now: number): { text: string; tone: 'ok' | 'warn' | 'error' } | null {
  if (!remote) return null;
  const since = formatDuration(Math.max(0, (now - remote.since) / 1000));
  const as = remote.actor ? ` as ${remote.actor.name} (${remote.actor.role})` : '';
  if (remote.state === 'connected')
    return { text: `Team engine ${remote.url}${as}: connected for ${since}.`, tone: 'ok' };
  if (remote.state === 'connecting') return { text: `Connecting to the team engine ${remote.url}…`, tone: 'warn' };
  const retry =
    remote.retryAt !== null
      ? ` Retrying in ${Math.max(0, Math.ceil((remote.retryAt - now) / 1000))} s.`
      : ' Not retrying: this needs you (see the reason).';
  return {
    text: `Disconnected from the team engine ${remote.url} for ${since}.${remote.lastError ? ` ${remote.lastError}` : ''}${retry}`,
    tone: 'error',
  };
}

/**
 * What the connection's live region says: the line without its ticking figures ("for 5s", "Retrying in 4 s"), so
 * a screen reader speaks when the connection changes (up, down, the reason, retrying or not) and not at every
 * second the visible line counts; the visible line carries the figures for whoever looks. Null when not attached.
 */
export function remoteAnnouncement(remote: Remote): string | null {
  if (!remote) return null;
  const as = remote.actor ? ` as ${remote.actor.name} (${remote.actor.role})` : '';
  if (remote.state === 'connected') return `Team engine ${remote.url}${as}: connected.`;
  if (remote.state === 'connecting') return `Connecting to the team engine ${remote.url}…`;
  const retry = remote.retryAt !== null ? ' Retrying.' : ' Not retrying: this needs you (see the reason).';
  return `Disconnected from the team engine ${remote.url}.${remote.lastError ? ` ${remote.lastError}` : ''}${retry}`;
}
