/**
 * Team mode: which engine acts for this account, region and workers prefix. Shown when this engine does not act
 * alone (a leader, a standby, or another engine detected), in the words every UI uses (`leadershipText`); in a
 * conflict without a lease table it asks the user to decide.
 */
import type { LeadershipView } from '../../../shared/team.js';
import { leadershipBannerText } from '../model/team.js';
import { useActions, usePending } from '../state/react.js';

export function LeadershipBanner({ view }: { view: LeadershipView | null | undefined }) {
  const actions = useActions();
  const pending = usePending('teamDecide');
  if (!view || (view.role === 'solo' && view.decision === null)) return null;
  const tone = view.role === 'conflict' || view.role === 'unknown' ? 'error' : view.role === 'standby' ? 'warn' : 'ok';
  const label = {
    leader: 'Leader',
    standby: 'Standby',
    conflict: 'Another engine',
    unknown: 'Leadership unknown',
    solo: 'Acting',
  }[view.role];
  return (
    <section
      className={`card tone-${tone}`}
      aria-labelledby="leadership-heading"
      role={view.role === 'conflict' ? 'alert' : undefined}
    >
      <h2 id="leadership-heading">
        Team: <span className={`pill tone-${tone}`}>{label}</span>
      </h2>
      <p>{leadershipBannerText(view)}</p>
      <p className="muted">
        This engine: {view.host} ({view.engineId}).
        {view.mode === 'detection' &&
          ' No lease table is configured (team.leaseTable): engines only detect each other.'}
      </p>
      {view.mode === 'detection' && view.role !== 'solo' && (
        <div className="button-row">
          <button type="button" disabled={pending} onClick={() => void actions.teamDecide('act')}>
            This engine acts
          </button>
          {view.role !== 'standby' && (
            <button type="button" disabled={pending} onClick={() => void actions.teamDecide('standby')}>
              Stand by
            </button>
          )}
        </div>
      )}
      {view.mode === 'detection' && view.role === 'solo' && view.decision === 'act' && (
        <button type="button" disabled={pending} onClick={() => void actions.teamDecide(null)}>
          Forget my decision
        </button>
      )}
    </section>
  );
}
