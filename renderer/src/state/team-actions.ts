/** The store's team-mode actions: the team server (status, probe, attach, detach) and the leadership lease. */
import type { AppActions, StoreKit } from './app-state.js';

export function teamActions(
  kit: StoreKit,
): Pick<AppActions, 'teamStatus' | 'teamProbe' | 'teamAttach' | 'teamDetach' | 'createLeaseTable' | 'teamDecide'> {
  return {
    teamStatus: () => kit.call(null, () => kit.api['team.status']({}), true),
    teamProbe: (url) => kit.call('teamProbe', () => kit.api['team.probe']({ url }), true),
    teamAttach: (req) => kit.call('teamAttach', () => kit.api['team.attach'](req), true),
    teamDetach: () => kit.call('teamDetach', () => kit.api['team.detach']({}), true),

    async createLeaseTable() {
      return kit.call('createLeaseTable', () => kit.api['leadership.createLeaseTable']({}), true);
    },

    async teamDecide(decision) {
      const r = await kit.call('teamDecide', () => kit.api['leadership.decide']({ decision }));
      if (r.ok)
        kit.notify(
          'info',
          decision === 'act' ? 'This engine acts.' : decision ? 'This engine stands by.' : 'Decision cleared.',
        );
      return r;
    },
  };
}
