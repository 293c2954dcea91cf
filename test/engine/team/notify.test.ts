// Team mode's events reach the desktop notifications (category 'team', mutable in Settings) when they need the
// user: leadership gained or lost, another engine on the prefix, the lease unreachable; standing by is only logged.
import { describe, expect, it } from 'vitest';
import { ev } from '../../../electron/engine/events.js';
import { emptySnapshot, type EngineEvent } from '../../../shared/domain.js';
import { classifyEvent, Notifier } from '../../../shared/notify/notifier.js';
import { defaultSettings } from '../../../shared/settings.js';

const asEvent = (e: ReturnType<(typeof ev)[keyof typeof ev]>, id = 1): EngineEvent => ({ ...e, id, at: 0 });
const other = { engineId: 'eng-aaaaaaaaaaaa', host: 'gpu-host' };

describe('team notifications', () => {
  it.each([
    ['another engine', ev.otherEngine([other]), 'team'],
    ['leadership gained', ev.leadershipGained('leases'), 'team'],
    ['leadership lost', ev.leadershipLost(other, 60_000), 'team'],
    ['lease unreachable', ev.leaseUnavailable('leases', 'DynamoDB is throttling'), 'team'],
    ['standing by', ev.standingBy(other, 90), null],
    ['lease back', ev.leaseBack('leases'), null],
  ] as const)('%s → %s', (_, e, want) => {
    expect(classifyEvent(asEvent(e))).toBe(want);
  });

  it('another engine is a notification that opens the Overview, unless muted', () => {
    const make = () => new Notifier({ now: () => 0, redact: (t) => t });
    const mutes = defaultSettings().notificationMutes;
    const n = make();
    n.next(emptySnapshot(), mutes);
    const notices = n.next({ ...emptySnapshot(), events: [asEvent(ev.otherEngine([other]), 7)] }, mutes);
    expect(notices).toEqual([
      expect.objectContaining({ kind: 'team', title: 'Team: which engine acts', navigate: { view: 'overview' } }),
    ]);
    expect(notices[0]?.body).toMatch(/another engine acts on this workers prefix \(gpu-host, eng-aaaaaaaaaaaa\)/);
    const muted = make();
    muted.next(emptySnapshot(), { ...mutes, team: true });
    expect(
      muted.next({ ...emptySnapshot(), events: [asEvent(ev.otherEngine([other]), 7)] }, { ...mutes, team: true }),
    ).toEqual([]);
  });
});
