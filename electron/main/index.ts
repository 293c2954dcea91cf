/**
 * Composition root: creates each module and hands it its dependencies. Decisions live in the modules
 * (tray-model, notifier, lifecycle, security, router); nothing here is worth a unit test on its own, and the
 * Electron e2e suite (test/electron/) launches exactly this file.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  net,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
} from 'electron';
import { DataDirBusyError, LOCK_FILE, lockDataDir, tightenDataDir, tightenedText } from '../engine/data-dir-lock.js';
import { createEngineHost } from '../engine/host.js';
import { composeService } from '../engine/service/compose.js';
import { useNetworkFromEnvOrSystem } from '../engine/net/network.js';
import { systemProxyUrls } from '../engine/net/system-proxy.js';
import { createAttachmentSwitch } from '../engine/team/attachment.js';
import type { InvokeChannel, InvokeRequest } from '../../shared/ipc/contract.js';
import { configuredHosts } from '../engine/service/links.js';
import { createLogger, knownSecrets, redact } from '../engine/service/redact.js';
import { APP_ID, KEYCHAIN_SERVICE } from './app-info.js';
import { registerIpcRouter } from './ipc/router.js';
import { createStatePublisher } from './ipc/publisher.js';
import { installLifecycle } from './lifecycle.js';
import { Notifier } from '../../shared/notify/notifier.js';
import { startOsNotifications } from './notify/os-notifications.js';
import { installPowerHooks } from './power.js';
import { errorText } from '../../shared/error-text.js';
import { applyLoginItem, loginItemsSupported, startCommand, startsHidden } from './login-item.js';
import { APP_ENTRY_URL, APP_ORIGIN, PRIVILEGED_SCHEMES, registerAppProtocol } from './protocol.js';
import { chooseSecretStore } from './secrets/choose-store.js';
import { KeychainSecretStore, loadKeytar } from './secrets/keychain-store.js';
import { SafeStorageSecretStore } from './secrets/safe-storage-store.js';
import { createOpenExternal, installSecurity, originOf } from './security.js';
import { ElectronSettingsRepo } from './settings/electron-settings-repo.js';
import { startFailureText } from './start-failure.js';
import { createTrayController } from './tray/tray-controller.js';
import { createWindowManager, defaultPreloadPath } from './window.js';

const log = createLogger({ scope: 'main' });
const demo = process.argv.includes('--demo') || process.env['AUTOSCALER_DEMO'] === '1';
// Tests and side-by-side profiles: a private user-data folder (must be set before 'ready').
if (process.env['AUTOSCALER_USER_DATA']) app.setPath('userData', process.env['AUTOSCALER_USER_DATA']);
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // A failure of start itself too (not only of whenReady): a data folder or settings file that cannot be used
  // must end in a dialog and an exit, not in a process without a tray that later launches only wake.
  void app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      log.error('startup failed', err);
      const { message, detail } = startFailureText(err, app.getPath('userData'));
      dialog.showErrorBox('ClearML Tray Autoscaler', `${message}\n\n${redact(detail)}`);
      app.exit(1);
    });
}

async function start(): Promise<void> {
  const userData = app.getPath('userData');
  const engineDir = path.join(userData, 'engine');
  // One engine per data folder: a headless engine pointed at this app's folder (or a second app profile sharing it)
  // would launch twice for the same tasks. Released on exit by the lock itself.
  try {
    lockDataDir(engineDir);
  } catch (e) {
    if (!(e instanceof DataDirBusyError)) throw e;
    const { pid, host, startedAt } = e.owner;
    dialog.showMessageBoxSync({
      type: 'error',
      title: 'ClearML Tray Autoscaler',
      message: 'Another autoscaler engine uses this app’s data folder',
      detail:
        `An engine (pid ${pid} on ${host}, since ${new Date(startedAt).toLocaleString()}) uses ${engineDir}. Two ` +
        'engines on one folder launch twice for the same tasks, so the app does not start. Stop that engine (a ' +
        'headless engine started with this folder as its --data-dir, or another copy of the app started with ' +
        `AUTOSCALER_USER_DATA set to it), then start the app again. If no such process runs, delete ` +
        `${path.join(engineDir, LOCK_FILE)}.`,
      buttons: ['Quit'],
    });
    log.error(e.message);
    app.exit(1);
    return;
  }
  // A folder an older version made is 0755 where a fresh one is 0700 (its files are 0644 in both: the folder keeps
  // other users out of them).
  for (const l of tightenedText(tightenDataDir(engineDir, { files: false })))
    if (l.level === 'info') log.info(l.message);
    else log.warn(l.message);
  const settings = ElectronSettingsRepo.open({ dir: userData });
  // Before any request: ClearML, EC2 and the lease table are reached through the proxy, and with the certificate
  // authorities, the environment names; with no proxy there, through the one the system settings name for them.
  const network = await useNetworkFromEnvOrSystem(process.env, {
    resolve: (url) => session.defaultSession.resolveProxy(url),
    urls: () => systemProxyUrls(settings.get().config, process.env),
  });
  for (const n of network.notes) log.info(n);
  for (const p of network.problems) log.warn(p);
  // A saved ClearML host or region: the system settings may send it another way.
  settings.onChange(() => {
    void network.refresh().then(
      (changed) => {
        if (changed) for (const n of network.notes) log.info(n);
      },
      (err: unknown) => log.warn('could not resolve the system proxy again', err),
    );
  });
  const { store: secrets, skipped } = await chooseSecretStore([
    {
      name: 'keychain',
      open: async () => {
        const store = new KeychainSecretStore(await loadKeytar(), { service: KEYCHAIN_SERVICE });
        await store.probe();
        return store;
      },
    },
    {
      name: 'safeStorage',
      open: async () =>
        SafeStorageSecretStore.open({
          safeStorage,
          file: path.join(userData, 'credentials.enc.json'),
          platform: process.platform,
        }),
    },
  ]);
  for (const s of skipped) log.warn(`credential store ${s.name} unavailable: ${s.reason}`);

  const host = createEngineHost({ dataDir: engineDir, watchWhileOff: true });

  registerAppProtocol(protocol, fileURLToPath(new URL('../renderer', import.meta.url)));
  const devUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
  const devOrigin = devUrl ? originOf(devUrl) : null;
  const trustedOrigins = () => (devOrigin ? [APP_ORIGIN, devOrigin] : [APP_ORIGIN]);
  const windows = createWindowManager({
    BrowserWindow,
    isPackaged: app.isPackaged,
    preload: defaultPreloadPath(),
    url: devUrl ?? APP_ENTRY_URL,
  });

  const openExternal = createOpenExternal(
    shell,
    () => configuredHosts(settings.get().config),
    (m) => log.warn(m),
  );
  installSecurity({ app, session: session.defaultSession, trustedOrigins, openExternal, cspHeader: !devUrl });

  // Team mode: everything below reads this switch's store and calls its dispatcher, which point at the local
  // engine or, when attached, at the team engine (the local engine then stays off).
  const team = createAttachmentSwitch({ host, settings, secrets, log: (m) => log.warn(m) });
  const service = composeService({
    host,
    settings,
    secrets,
    knownSecrets,
    openUrl: openExternal,
    log: (m) => log.warn(m),
    team: team.control,
    network,
  });
  team.setLocal(service);
  if (demo) await host.startDemo();
  else if (!(await team.resume())) await service.configure();
  /** Tray actions go through the same dispatcher as the dashboard: audited, and limited by the role when attached. */
  const act = async <C extends InvokeChannel>(channel: C, args: InvokeRequest<C>) => {
    const r = await team.dispatch(channel, args, { transport: 'ipc', caller: 'tray' });
    if (!r.ok) throw new Error(r.error.message);
  };

  const unregisterRouter = registerIpcRouter(ipcMain, {
    dispatch: team.dispatch,
    windows: () => windows.all(),
    trustedOrigins,
    log: (m) => log.warn(m),
  });
  const publisher = createStatePublisher({ store: team.store, changes: team.changes, windows: () => windows.all() });
  windows.onCreated((w) => publisher.attach(w));
  const unnavigate = team.onNavigate((target) => windows.navigate(target));

  const notifier = new Notifier({ now: Date.now, redact: (t) => redact(t) });
  // Attaching or detaching shows another engine's event log: history, not news.
  const unswitch = team.onSwitch(() => notifier.rebaseline());
  // Resumed at start: the first snapshots are a placeholder while connecting, then the team engine's history.
  if (team.attached()) notifier.rebaseline();
  const notifications = startOsNotifications({
    Notification,
    store: team.store,
    settings,
    notifier,
    onNavigate: (target) => windows.navigate(target),
  });
  if (settings.notice) notifications.show('Settings were reset', settings.notice, () => windows.show());
  if (secrets.warning) log.warn(secrets.warning);

  const loginItemDeps = {
    platform: process.platform,
    setLoginItemSettings: (s: { openAtLogin: boolean; args?: string[] }) => app.setLoginItemSettings(s),
    command: startCommand({
      execPath: process.execPath,
      isPackaged: app.isPackaged,
      appPath: app.getAppPath(),
      appImage: process.env['APPIMAGE'],
    }),
    configHome: process.env['XDG_CONFIG_HOME'] || path.join(app.getPath('home'), '.config'),
  };
  const loginItemChange = (on: boolean) => {
    try {
      applyLoginItem(on, loginItemDeps);
    } catch (e) {
      // Shown on with nothing registered would be worse than off: the user would expect autoscaling after a reboot.
      const why = errorText(e);
      log.warn(`start at login could not be ${on ? 'set up' : 'removed'}: ${why}`);
      notifications.show('Start at login', `It could not be ${on ? 'set up' : 'removed'}: ${why}.`, () =>
        windows.show(),
      );
      if (on) void settings.patch({ launchAtLogin: false });
    }
  };
  // Applied at every start (the app may have moved since: an upgrade, another AppImage), then on each change.
  let loginItemOn = settings.get().launchAtLogin;
  loginItemChange(loginItemOn);
  const unwatchLogin = settings.onChange((s) => {
    if (s.launchAtLogin === loginItemOn) return;
    loginItemOn = s.launchAtLogin;
    loginItemChange(loginItemOn);
  });

  const tray = createTrayController({
    Tray,
    Menu,
    nativeImage,
    store: team.store,
    settings,
    platform: process.platform,
    // Packaged: extraResources (build/electron-builder.yml); unpackaged: the repo's build/ next to out/.
    iconDir: app.isPackaged
      ? path.join(process.resourcesPath, 'tray')
      : fileURLToPath(new URL('../../build/icons/tray', import.meta.url)),
    launchAtLoginSupported: loginItemsSupported(process.platform),
    actions: {
      setEnabled: (enabled) => act('autoscaler:engine.setEnabled', { enabled }),
      openDashboard: (target) => (target ? windows.navigate(target) : void windows.show()),
      setLaunchesPaused: (paused) => act('autoscaler:engine.setLaunchesPaused', { paused }),
      scaleToZero: () => act('autoscaler:engine.scaleToZero', {}),
      setLaunchAtLogin: (on) => void settings.patch({ launchAtLogin: on }),
      quit: () => app.quit(),
      confirm: async (p) => {
        const { response } = await dialog.showMessageBox({
          type: 'warning',
          title: p.title,
          message: p.message,
          detail: p.detail,
          buttons: p.buttons,
          defaultId: p.cancelId,
          cancelId: p.cancelId,
          noLink: true,
        });
        return response === p.confirmId;
      },
      reportError: (message) => dialog.showErrorBox('ClearML Tray Autoscaler', redact(message)),
    },
  });

  let disposePower: () => void = () => undefined;
  const lifecycle = installLifecycle({
    app,
    windows,
    dialog,
    controller: host,
    // What the tray shows: attached, the team engine's instances, which are not this app's to terminate at quit.
    store: team.store,
    settings,
    notify: (title, body) => notifications.show(title, body, () => windows.show()),
    teardown: () => [
      { name: 'stop power hooks', run: () => disposePower() },
      { name: 'stop notifications', run: () => notifications.stop() },
      { name: 'remove the tray', run: () => tray.destroy() },
      { name: 'stop publishing', run: () => publisher.dispose() },
      { name: 'unregister IPC', run: () => unregisterRouter() },
      { name: 'stop watching settings', run: () => unwatchLogin() },
      { name: 'stop the service', run: () => service.dispose() },
      { name: 'detach from the team engine', run: () => (unnavigate(), unswitch(), team.dispose()) },
    ],
    log: (m) => log.warn(m),
  });
  disposePower = installPowerHooks({
    powerMonitor,
    controller: host,
    isOnline: () => net.isOnline(),
    onShutdown: () => void lifecycle.quitNow(),
    onResume: () => notifier.resumed(),
  });

  app.on('second-instance', () => windows.show());
  app.on('activate', () => windows.show());
  if (!startsHidden(process.argv, process.platform, () => app.getLoginItemSettings().wasOpenedAtLogin)) windows.show();

  // The Electron e2e suite reads the tray through this hook (a Tray's menu cannot be read back from Electron).
  if (process.env['AUTOSCALER_E2E'] === '1') {
    Object.assign(globalThis, {
      __autoscalerE2E: { tray, store: team.store, settings },
    });
  }
  log.info(`started (${demo ? 'demo' : 'normal'} mode, credentials in ${secrets.backendName})`);
}
