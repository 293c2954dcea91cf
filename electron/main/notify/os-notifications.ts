/**
 * Electron side of notifications: feeds store snapshots to the pure `Notifier` and shows what it returns.
 * Shown notifications are kept referenced until closed or clicked, otherwise Electron may garbage-collect
 * them and the click handler never fires.
 */
import type { Notification as NotificationType, NotificationConstructorOptions } from 'electron';
import type { MainStore } from '../../engine/store.js';
import type { SettingsRepo } from '../../engine/service/settings-repo.js';
import type { EventPayload } from '../../../shared/ipc/contract.js';
import type { Notice, Notifier } from '../../../shared/notify/notifier.js';
import { terminalText } from '../../engine/untrusted/terminal-text.js';

export interface NotificationApi {
  new (options: NotificationConstructorOptions): NotificationType;
  isSupported(): boolean;
}

export interface OsNotifier {
  /** For one-off messages (close-to-tray, settings reset); the text must already be free of secrets. */
  show(title: string, body: string, onClick?: () => void): void;
  stop(): void;
}

export function startOsNotifications(deps: {
  Notification: NotificationApi;
  store: MainStore;
  settings: SettingsRepo;
  notifier: Notifier;
  onNavigate: (target: EventPayload<'autoscaler:navigate'>) => void;
}): OsNotifier {
  const live = new Set<NotificationType>();
  const show = (title: string, body: string, onClick?: () => void): void => {
    if (!deps.Notification.isSupported()) return;
    // The text quotes other people's words (an EC2 error, a teammate's host name): shown, never obeyed.
    const n = new deps.Notification({
      title: terminalText(title),
      body: terminalText(body, { newlines: true }),
      silent: false,
    });
    live.add(n);
    const release = () => live.delete(n);
    n.on('click', () => {
      release();
      onClick?.();
    });
    n.on('close', release);
    n.show();
  };
  const showNotice = (notice: Notice) => show(notice.title, notice.body, () => deps.onNavigate(notice.navigate));

  const feed = () => {
    for (const notice of deps.notifier.next(deps.store.getState(), deps.settings.get().notificationMutes)) {
      showNotice(notice);
    }
  };
  feed();
  const unsubscribe = deps.store.subscribe(feed);
  return {
    show,
    stop: () => {
      unsubscribe();
      live.clear();
    },
  };
}
