// An OS notification quotes other people's words (an EC2 error message, a teammate engine's host name): a control
// character or a BiDi override in them reaches the notification as its code, never as itself.
import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { MockNotification, Notification, resetElectronMock } from '../mocks/electron.js';
import { publish } from '../../electron/engine/store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { Notifier } from '../../shared/notify/notifier.js';
import { startOsNotifications, type NotificationApi } from '../../electron/main/notify/os-notifications.js';
import { FakeController } from '../service/fixtures.js';
import { ev } from '../../electron/engine/events.js';

describe('OS notifications carry hostile text inert', () => {
  beforeEach(() => resetElectronMock());

  it.each([
    ['a BiDi override', 'gpu\u202efdp.exe', 'gpu\\u202efdp.exe', '\u202e'],
    ['an escape sequence', 'x\x1b]8;;https://evil\x07y', 'x\\u001b]8;;https://evil\\u0007y', '\x1b'],
    ['a carriage return', 'ok\rspoof', 'ok\\u000dspoof', '\r'],
  ])('a launch failure whose EC2 message carries %s', (_, words, shown, raw) => {
    const controller = new FakeController();
    const os = startOsNotifications({
      Notification: Notification as unknown as NotificationApi,
      store: controller.store,
      settings: new MemorySettingsRepo(),
      notifier: new Notifier({ now: () => 0, redact: (t) => t }),
      onNavigate: vi.fn(),
    });
    publish(controller.store, { events: [{ id: 1, at: 0, ...ev.launchFailed('gpu', 'gpu_a', `EC2 said: ${words}`) }] });
    const bodies = MockNotification.shown.map((s) => s.options.body ?? '');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain(shown);
    expect(bodies[0]).not.toContain(raw);
    os.stop();
  });
});
