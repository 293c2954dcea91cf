import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { BrowserWindow, resetElectronMock, type MockBrowserWindow } from '../mocks/electron.js';
import { createMainStore, publish, type MainStore } from '../../electron/engine/store.js';
import { createStatePublisher, type Timers } from '../../electron/main/ipc/publisher.js';
import { createChangeFeed, watchSettings } from '../../electron/engine/service/changes.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';

/** Manual clock + timer queue: time only moves when the test says so. */
function fakeTimers() {
  let now = 0;
  let queue: { at: number; fn: () => void; id: number }[] = [];
  let seq = 0;
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      queue.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h) => {
      queue = queue.filter((t) => t.id !== h);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (;;) {
      const due = queue.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      queue = queue.filter((t) => t !== due);
      due.fn();
    }
  };
  return { timers, advance, pending: () => queue.length };
}

const revs = (w: MockBrowserWindow) =>
  w.webContents.sent.filter(([c]) => c === 'autoscaler:state.changed').map(([, s]) => (s as { rev: number }).rev);

describe('state publisher', () => {
  let store: MainStore;
  let win: MockBrowserWindow;
  beforeEach(() => {
    resetElectronMock();
    store = createMainStore();
    win = new BrowserWindow({ show: true });
  });

  it('sends at most 4 per second, always ending with the latest snapshot', () => {
    const t = fakeTimers();
    const p = createStatePublisher({ store, windows: () => [win], timers: t.timers });
    for (let i = 0; i < 10; i++) publish(store, { enabled: i % 2 === 0 });
    expect(revs(win)).toEqual([1]); // leading edge
    t.advance(249);
    expect(revs(win)).toEqual([1]);
    t.advance(1);
    expect(revs(win)).toEqual([1, 10]); // trailing edge carries the newest rev
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < 5; i++) publish(store, {});
      t.advance(250);
    }
    // One second of bursts: 4 sends, none closer than 250 ms.
    expect(revs(win)).toHaveLength(6);
    expect(revs(win).at(-1)).toBe(store.getState().rev);
    p.dispose();
  });

  it('skips hidden windows and catches them up when shown', () => {
    const t = fakeTimers();
    const hidden = new BrowserWindow({ show: false });
    const p = createStatePublisher({ store, windows: () => [win, hidden], timers: t.timers });
    p.attach(hidden);
    publish(store, { enabled: true });
    t.advance(1000);
    publish(store, { enabled: false });
    expect(revs(win)).toEqual([1, 2]);
    expect(revs(hidden)).toEqual([]);
    hidden.show();
    expect(revs(hidden)).toEqual([2]);
    p.dispose();
  });

  it('stops after dispose (no pending timer fires)', () => {
    const t = fakeTimers();
    const p = createStatePublisher({ store, windows: () => [win], timers: t.timers });
    publish(store, {});
    publish(store, {});
    expect(t.pending()).toBe(1);
    p.dispose();
    expect(t.pending()).toBe(0);
    publish(store, {});
    t.advance(1000);
    expect(revs(win)).toEqual([1]);
  });

  it('ignores destroyed windows', () => {
    const t = fakeTimers();
    const p = createStatePublisher({ store, windows: () => [win], timers: t.timers });
    win.destroy();
    expect(() => publish(store, {})).not.toThrow();
    p.dispose();
  });

  it('tells every window, hidden ones too, what changed: a tray setting reaches an open window', () => {
    const hidden = new BrowserWindow({ show: false });
    const settings = new MemorySettingsRepo();
    const changes = createChangeFeed();
    const unwatch = watchSettings(settings, changes);
    const p = createStatePublisher({ store, changes, windows: () => [win, hidden], timers: fakeTimers().timers });
    const topics = (w: MockBrowserWindow) =>
      w.webContents.sent.filter(([c]) => c === 'autoscaler:changed').map(([, x]) => (x as { topic: string }).topic);
    // What the tray's "Start at login" does (Settings' switch of the same name).
    settings.patch({ launchAtLogin: true });
    expect(topics(win)).toEqual(['settings']);
    expect(topics(hidden)).toEqual(['settings']);
    changes.emit('credentials');
    expect(topics(win)).toEqual(['settings', 'credentials']);
    p.dispose();
    changes.emit('config');
    expect(topics(win)).toEqual(['settings', 'credentials']);
    unwatch();
  });
});
