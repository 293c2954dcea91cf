// Quit as the desktop app wires it (electron/main/index.ts: the lifecycle over the local engine host, its prompt from
// what the tray shows), against the test world's real ClearML and EC2 emulators: what the user is asked, what EC2
// does, and whether the app exits. The dialog answers when the test says, so "does not exit until the user answers"
// is checked, not assumed.
import { afterEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import type { MessageBoxOptions, MessageBoxReturnValue } from 'electron';
import { app, BrowserWindow, resetElectronMock } from '../mocks/electron.js';
import type { EngineHost } from '../../electron/engine/host.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import type { MainStore } from '../../electron/engine/store.js';
import { installLifecycle } from '../../electron/main/lifecycle.js';
import { formatRate } from '../../electron/main/tray/tray-model.js';
import { createWindowManager } from '../../electron/main/window.js';
import { addTasks, baseConfig } from '../fixtures/index.js';
import { localApp, serveDemoEngine, until } from '../fixtures/team.js';
import { launchClearmlAutoscalerInstances } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { startWorld, type World } from '../fixtures/world.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A message box that stays open until the test answers it (by button label). */
function openDialogs() {
  const boxes: MessageBoxOptions[] = [];
  const pending: ((response: number) => void)[] = [];
  return {
    boxes,
    showMessageBox: (options: MessageBoxOptions) =>
      new Promise<MessageBoxReturnValue>((resolve) => {
        boxes.push(options);
        pending.push((response) => resolve({ response, checkboxChecked: false }));
      }),
    /** Clicks the button of the open box whose label starts with `label`. */
    click(label: string) {
      const box = boxes.at(-1)!;
      const i = box.buttons!.findIndex((b) => b.startsWith(label));
      if (i < 0) throw new Error(`no button '${label}' in ${JSON.stringify(box.buttons)}`);
      pending.shift()!(i);
    },
  };
}

async function world(opts: Parameters<typeof startWorld>[0] = {}): Promise<World> {
  const w = await startWorld({ queues: ['gpu', 'cpu'], ...opts });
  cleanups.push(() => w.close());
  return w;
}

/** The local engine host with autoscaling on, two instances launched for two gpu tasks and listed. */
async function twoRunning(w: World): Promise<EngineHost> {
  const host = w.host({ watchWhileOff: true });
  host.configure(baseConfig({ clearml: { apiHost: w.clearml.url } }), { clearml: w.clearmlKeys, aws: w.awsKeys });
  await host.setEnabled(true);
  addTasks(w.clearml, 'gpu', 2, 3600);
  await host.tickNow();
  await host.refresh();
  return host;
}

/** `store`: what the tray shows (index.ts: the attachment switch's store); the local host's by default. */
function quitFlow(host: EngineHost, store: MainStore = host.store) {
  resetElectronMock();
  const dialogs = openDialogs();
  const log: string[] = [];
  installLifecycle({
    app: app as never,
    windows: createWindowManager({ BrowserWindow: BrowserWindow as never, isPackaged: true, preload: '', url: '' }),
    dialog: dialogs as never,
    controller: host,
    store,
    settings: new MemorySettingsRepo(),
    notify: () => undefined,
    teardown: () => [],
    log: (m) => void log.push(m),
  });
  return { dialogs, log };
}

describe("quit with instances of ClearML's autoscaler", () => {
  it('names the adopted one apart (no watchdog) and the one not adopted (nothing terminates it), with its $/h', async () => {
    const w = await world();
    const ids = await launchClearmlAutoscalerInstances({
      endpoint: w.ec2.url,
      region: 'us-east-1',
      credentials: w.awsKeys,
      apiHost: w.clearml.url,
      instances: [0, 1].map(() => ({ prefix: 'dyn', resource: 'gpu_a', instanceType: 'g4dn.xlarge', queue: 'gpu' })),
    });
    const host = w.host({ watchWhileOff: true });
    // As a ClearML import sets it (surplusIdleMin = max_idle_time_min): the adopted idle one is not ended as surplus
    // beside the other idle one of ClearML's before the quit.
    const scaling = {
      workersPrefix: 'dyn',
      maxTotalInstances: 20,
      maxIdleMin: 15,
      surplusIdleMin: 15,
      maxSpinUpMin: 30,
    };
    host.configure(baseConfig({ clearml: { apiHost: w.clearml.url }, scaling }), {
      clearml: w.clearmlKeys,
      aws: w.awsKeys,
    });
    await host.setEnabled(true);
    // Their agents boot and register (the world's 60 s) while the app watches.
    for (let t = 0; t < 8; t++) {
      w.clock.advance(15_000);
      w.agents.step();
      await host.tickNow();
    }
    expect((await host.adopt([ids[0]!])).adopted).toEqual([ids[0]]);
    addTasks(w.clearml, 'cpu', 1, 3600);
    await host.tickNow();
    await host.refresh();
    const { dialogs } = quitFlow(host);

    app.quit();
    await until('the quit question', () => dialogs.boxes.length === 1);
    const box = dialogs.boxes[0]!;
    // The adopted one and the one just launched for 'cpu': this app's; the other of ClearML's, priced as ours are.
    expect(box.message).toMatch(/^2 EC2 instances are still running \(\$\d+\.\d\d\/h\)\.$/);
    const [other] = host.store.getState().adoptable ?? [];
    expect(other).toMatchObject({ instanceId: ids[1], live: true });
    expect(box.detail).toContain(
      `Except the one adopted from ClearML's autoscaler (${ids[0]}): it has no lease watchdog and never powers off; ` +
        "terminate it, or restart ClearML's autoscaler to scale it down.",
    );
    expect(box.detail).toContain(
      `Besides, 1 instance from ClearML's autoscaler (${ids[1]}, ${formatRate(other!.hourlyPrice!)}) keeps running, not adopted: nothing ` +
        'terminates it until adopted.',
    );
    dialogs.click('Cancel');
    await until('the quit to be over', () => !host.store.getState().launchesPaused);
    expect(app.exit).not.toHaveBeenCalled();
  });
});

describe('quit: terminate all while EC2 refuses TerminateInstances', () => {
  it('does not exit: a second question names the permission and the instances still billing', async () => {
    const w = await world();
    const host = await twoRunning(w);
    expect(w.live()).toHaveLength(2);
    const rate = `$${host.store.getState().costs.burnPerHour.toFixed(2)}/h`;
    const { dialogs, log } = quitFlow(host);
    w.ec2.faults.push({ action: 'TerminateInstances', code: 'UnauthorizedOperation', count: 1 });

    app.quit();
    await until('the quit question', () => dialogs.boxes.length === 1);
    dialogs.click('Terminate all 2 instances');
    await until('the question after the failure', () => dialogs.boxes.length === 2);
    const again = dialogs.boxes[1]!;
    expect(again.message).toBe(`Could not terminate 2 instances: they are still running (${rate}).`);
    expect(again.detail).toContain('not allowed to call ec2:TerminateInstances (UnauthorizedOperation)');
    for (const i of w.live()) expect(again.detail).toContain(i.instanceId);
    expect(again.buttons).toEqual(['Try again', `Quit anyway (they keep running, ${rate})`, 'Cancel']);
    expect(app.exit).not.toHaveBeenCalled();
    expect(w.live()).toHaveLength(2);
    expect(log.join('\n')).not.toMatch(/tries again/);

    // The fault was for one request: trying again terminates both, and only then does the app exit.
    dialogs.click('Try again');
    await until('exit', () => app.exit.mock.calls.length > 0);
    expect(app.exit).toHaveBeenCalledWith(0);
    expect(w.live()).toHaveLength(0);
  });

  it('EC2 failing (InternalError): the reason promises no retry; Cancel keeps the app and launches as they were', async () => {
    const w = await world();
    const host = await twoRunning(w);
    const { dialogs, log } = quitFlow(host);
    w.ec2.faults.push({ action: 'TerminateInstances', code: 'InternalError' });

    app.quit();
    await until('the quit question', () => dialogs.boxes.length === 1);
    dialogs.click('Terminate all');
    await until('the question after the failure', () => dialogs.boxes.length === 2);
    expect(dialogs.boxes[1]!.detail).toMatch(/^EC2 TerminateInstances failed \(InternalError[^\n]*\)\.\n/);
    expect(`${dialogs.boxes[1]!.detail}\n${log.join('\n')}`).not.toMatch(/tries again/);

    dialogs.click('Cancel');
    await until('the quit to be over', () => log.some((l) => l.startsWith('quit cancelled')));
    expect(app.exit).not.toHaveBeenCalled();
    expect(w.live()).toHaveLength(2);
    // "Terminate all" paused launches for the quit; cancelled, the app goes on as it was.
    expect(host.store.getState().launchesPaused).toBe(false);

    // Quit anyway: the app exits, and the instances are left as the dialog said.
    app.quit();
    await until('the quit question again', () => dialogs.boxes.length === 3);
    dialogs.click('Terminate all');
    await until('the question after the failure', () => dialogs.boxes.length === 4);
    dialogs.click('Quit anyway');
    await until('exit', () => app.exit.mock.calls.length > 0);
    expect(w.live()).toHaveLength(2);
  });
});

describe('quit while attached to a team engine', () => {
  it('as a viewer, with the local engine still seeing instances of the same prefix: no question, EC2 untouched', async () => {
    const w = await world();
    const host = await twoRunning(w);
    const served = await serveDemoEngine('quit-team-');
    cleanups.push(() => served.stop());
    const local = localApp({ homeDir: served.dataDir, host });
    cleanups.push(() => local.stop());
    const { token } = served.tokens.issue('vic', 'viewer');
    const r = await local.sw.dispatch(
      'autoscaler:team.attach',
      { url: served.url, token, fingerprint: served.serving.tls.fingerprint },
      { transport: 'ipc', caller: 'test' },
    );
    expect(r.ok).toBe(true);
    await until('connected', () => local.sw.store.getState().remote?.actor?.role === 'viewer');
    // The local engine (off, still watching) lists the two instances; the tray shows the team engine.
    await host.refresh();
    expect(host.store.getState().instances).toHaveLength(2);

    const { dialogs, log } = quitFlow(host, local.sw.store);
    app.quit();
    await until('exit', () => app.exit.mock.calls.length > 0);
    expect(dialogs.boxes).toEqual([]);
    expect(app.exit).toHaveBeenCalledWith(0);
    expect(w.live()).toHaveLength(2);
    expect(w.ec2.instances().every((i) => i.state !== 'shutting-down' && i.state !== 'terminated')).toBe(true);
    expect(log).toEqual([]);
  });
});

describe('quit right after a launch', () => {
  it('asks about the instances just launched, before any poll listed them, and terminates them', async () => {
    const w = await world();
    const host = w.host({ watchWhileOff: true });
    host.configure(baseConfig({ clearml: { apiHost: w.clearml.url } }), { clearml: w.clearmlKeys, aws: w.awsKeys });
    addTasks(w.clearml, 'gpu', 2, 3600);
    await host.setEnabled(true);
    // The loop's first tick launches; its next poll is a polling interval away (virtual time stands still).
    await until('the launching tick', () => host.store.getState().status === 'scaling');
    expect(w.live()).toHaveLength(2);

    const { dialogs } = quitFlow(host);
    app.quit();
    await until('the quit question', () => dialogs.boxes.length === 1);
    expect(dialogs.boxes[0]!.message).toMatch(/^2 EC2 instances are still running/);
    dialogs.click('Terminate all 2 instances');
    await until('exit', () => app.exit.mock.calls.length > 0);
    expect(w.live()).toHaveLength(0);
  });
});
