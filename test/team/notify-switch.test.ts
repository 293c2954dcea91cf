/** Attaching shows another engine's event log: the notifier takes it as history, then reports what is new. */
import { describe, expect, it } from 'vitest';
import { redact } from '../../electron/engine/service/redact.js';
import type { EngineEvent } from '../../shared/domain.js';
import { defaultSettings } from '../../shared/settings.js';
import { Notifier } from '../../shared/notify/notifier.js';
import { snapshot } from '../service/fixtures.js';

const mutes = defaultSettings().notificationMutes;
const ev = (id: number, kind: EngineEvent['kind'] = 'launch'): EngineEvent => ({
  id,
  at: id,
  level: 'info',
  kind,
  message: `event ${id}`,
  queue: 'gpu',
  count: 1,
});

describe('Notifier.rebaseline', () => {
  it('ignores the new engine’s placeholder and history, then reports its new events', () => {
    const n = new Notifier({ now: () => 0, redact: (t) => redact(t) });
    n.next(snapshot({ events: [ev(1), ev(2)] }), mutes);
    n.rebaseline();
    // Still connecting: an empty placeholder, then the team engine's history (ids far above ours).
    expect(n.next(snapshot({ events: [] }), mutes)).toEqual([]);
    expect(n.next(snapshot({ events: [ev(200), ev(201), ev(202)] }), mutes)).toEqual([]);
    const fresh = n.next(snapshot({ events: [ev(200), ev(201), ev(202), ev(203)] }), mutes);
    expect(fresh.map((x) => x.body)).toEqual(['1 instance launched on gpu']);
  });

  it('without a rebaseline the same switch would be reported as news (what it prevents)', () => {
    const n = new Notifier({ now: () => 0, redact: (t) => redact(t) });
    n.next(snapshot({ events: [ev(1), ev(2)] }), mutes);
    n.next(snapshot({ events: [] }), mutes);
    expect(n.next(snapshot({ events: [ev(200), ev(201), ev(202)] }), mutes)).not.toEqual([]);
  });
});
