import { describe, expect, it } from 'vitest';
import { announcementText, Announcer, type Announcement } from '../../renderer/src/model/announce.js';
import { emptySnapshot, type EngineEvent, type Snapshot } from '../../shared/domain.js';

const MIN = 60_000;

/** Snapshots as the page receives them: the event log grows, the rest changes by patch. */
function feed() {
  let now = 1_000_000;
  let id = 10;
  let s: Snapshot = { ...emptySnapshot(), enabled: true, status: 'watching' };
  const a = new Announcer({ now: () => now });
  const said = (): string[] => a.next(s).map(announcementText);
  return {
    said,
    patch(p: Partial<Snapshot>) {
      s = { ...s, ...p, rev: s.rev + 1 };
    },
    event(e: Partial<EngineEvent> & Pick<EngineEvent, 'kind' | 'message'>) {
      s = { ...s, events: [...s.events, { id: ++id, at: now, level: 'info', ...e }], rev: s.rev + 1 };
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('Announcer', () => {
  it('says nothing about the state the page opened in, nor about a tick that changed only numbers', () => {
    const f = feed();
    f.event({ kind: 'launch', message: 'x', queue: 'gpu', count: 2 });
    expect(f.said()).toEqual([]);
    f.patch({ lastTickAt: 5, lastTickOkAt: 5 });
    expect(f.said()).toEqual([]);
    expect(f.said()).toEqual([]);
  });

  it.each<[string, (f: ReturnType<typeof feed>) => void, string[]]>([
    ['autoscaling switched on', (f) => f.patch({ enabled: true }), []],
    ['autoscaling switched off', (f) => f.patch({ enabled: false, status: 'off' }), ['Autoscaling off.']],
    [
      'launches, coalesced per queue',
      (f) => {
        f.event({ kind: 'launch', message: 'x', queue: 'gpu', instanceIds: ['i-1'] });
        f.event({ kind: 'launch', message: 'x', queue: 'gpu', instanceIds: ['i-2', 'i-3'] });
      },
      ['3 instances launched on gpu.'],
    ],
    [
      'a termination',
      (f) => f.event({ kind: 'terminate', message: 'idle', queue: 'cpu', count: 1 }),
      ['1 instance terminated on cpu.'],
    ],
    [
      'a failed launch names the problem',
      (f) => f.event({ kind: 'launch-failed', message: 'InsufficientInstanceCapacity in us-east-1a', queue: 'gpu' }),
      ['Launch failed on gpu: InsufficientInstanceCapacity in us-east-1a.'],
    ],
    [
      'the engine going into error, with its reason',
      (f) => f.patch({ status: 'error', statusReason: 'EC2 could not be read: AuthFailure' }),
      ['Autoscaling error: EC2 could not be read: AuthFailure'],
    ],
    ['an ordinary status change (watching → scaling) is not news', (f) => f.patch({ status: 'scaling' }), []],
  ])('%s', (_name, change, expected) => {
    const f = feed();
    f.said();
    change(f);
    expect(f.said()).toEqual(expected);
    // The next tick repeats nothing.
    f.patch({ lastTickAt: 9 });
    expect(f.said()).toEqual([]);
  });

  it('announces recovery from an error once', () => {
    const f = feed();
    f.patch({ status: 'error', statusReason: 'down' });
    f.said();
    expect(f.said()).toEqual([]);
    f.patch({ status: 'error', statusReason: 'still down' });
    expect(f.said()).toEqual([]);
    f.patch({ status: 'watching', statusReason: null });
    expect(f.said()).toEqual(['Autoscaling recovered: watching the queues.']);
    expect(f.said()).toEqual([]);
  });

  it('keeps the notification cooldown: a second launch within a minute waits, then is told once', () => {
    const f = feed();
    f.said();
    f.event({ kind: 'launch', message: 'x', queue: 'gpu', count: 1 });
    expect(f.said()).toEqual(['1 instance launched on gpu.']);
    f.advance(10_000);
    f.event({ kind: 'launch', message: 'x', queue: 'gpu', count: 2 });
    expect(f.said()).toEqual([]);
    f.advance(MIN);
    expect(f.said()).toEqual(['2 instances launched on gpu.']);
    expect(f.said()).toEqual([]);
  });

  it('renders every announcement as one sentence', () => {
    const cases: [Announcement, string][] = [
      [{ code: 'enabled', enabled: true }, 'Autoscaling on.'],
      [{ code: 'status-error', reason: null }, 'Autoscaling error: see Events'],
      [{ code: 'status-recovered', status: 'off' }, 'Autoscaling recovered: off.'],
    ];
    for (const [a, text] of cases) expect(announcementText(a)).toBe(text);
  });
});
