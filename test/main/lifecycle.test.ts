import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
import { app, BrowserWindow, dialog, MockBrowserWindow, resetElectronMock } from '../mocks/electron.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { classifyEc2Error } from '../../electron/engine/ec2/errors.js';
import {
  choiceFor,
  closeBehaviour,
  failureReason,
  installLifecycle,
  quitPrompt,
  runShutdown,
  terminateFailedPrompt,
  type ShutdownStep,
} from '../../electron/main/lifecycle.js';
import { createWindowManager } from '../../electron/main/window.js';
import { FakeController, instance, snapshot } from '../service/fixtures.js';

const busy = instance({ instanceId: 'i-0000000b', phase: 'busy', hourlyPrice: 1.5 });
const idle1 = instance({ instanceId: 'i-0000001a', phase: 'idle', hourlyPrice: 0.5 });
const idle2 = instance({ instanceId: 'i-0000002a', phase: 'idle', hourlyPrice: 0.41 });
const gone = instance({ instanceId: 'i-0000000d', state: 'shutting-down', phase: 'terminating', hourlyPrice: 9 });

describe('quit decision', () => {
  it('nothing running: quit without asking', () => {
    expect(quitPrompt(snapshot())).toBeNull();
    expect(quitPrompt(snapshot({ instances: [gone] }))).toBeNull();
  });

  it('busy and idle instances: keep / terminate idle / terminate all / cancel, each with its cost', () => {
    const p = quitPrompt(snapshot({ instances: [busy, idle1, idle2, gone] }))!;
    expect(p.message).toBe('3 EC2 instances are still running ($2.41/h).');
    expect(p.buttons).toEqual([
      'Quit and keep them running ($2.41/h)',
      'Terminate 2 idle instances ($0.91/h) and quit',
      'Terminate all 3 instances ($2.41/h) and quit',
      'Cancel',
    ]);
    expect(p.choices).toEqual(['keep', 'terminate-idle', 'terminate-all', 'cancel']);
    expect(p.cancelId).toBe(3);
    expect(p.defaultId).toBe(0);
    expect(p.idleIds).toEqual(['i-0000001a', 'i-0000002a']);
    expect(p.detail).toMatch(/^Autoscaling is off\. Instances you keep are billed until they are terminated/);
    // On, it says that the next start turns it back on (the app keeps it as it was left).
    expect(quitPrompt(snapshot({ enabled: true, instances: [busy] }))!.detail).toMatch(
      /^Quitting stops autoscaling until the app starts again, which turns it back on\. Instances you keep/,
    );
    // Unless App preferences say the app starts with autoscaling off.
    expect(quitPrompt(snapshot({ enabled: true, instances: [busy] }), 'off')!.detail).toMatch(
      /^Quitting stops autoscaling; the app starts with it off \(App preferences\)\. Instances you keep/,
    );
  });

  it('the demo: its instances are made up and bill nobody, so quit does not ask', () => {
    expect(quitPrompt(snapshot({ demo: true, enabled: true, instances: [busy, idle1] }))).toBeNull();
  });

  it('attached to a team engine: its instances are its own to run and scale, so quit does not ask', () => {
    const remote = {
      url: 'wss://team.example:7465',
      actor: { name: 'vic', role: 'viewer' as const },
      state: 'connected' as const,
      since: 0,
      retryAt: null,
      lastError: null,
    };
    expect(quitPrompt(snapshot({ remote, instances: [busy, idle1] }))).toBeNull();
    expect(quitPrompt(snapshot({ remote: { ...remote, state: 'disconnected' }, instances: [busy] }))).toBeNull();
  });

  it('no idle instance (or all idle): no separate "terminate idle" choice', () => {
    expect(quitPrompt(snapshot({ instances: [busy] }))!.choices).toEqual(['keep', 'terminate-all', 'cancel']);
    const allIdle = quitPrompt(snapshot({ instances: [idle1] }))!;
    expect(allIdle.choices).toEqual(['keep', 'terminate-all', 'cancel']);
    expect(allIdle.message).toBe('1 EC2 instance is still running ($0.50/h).');
    expect(allIdle.buttons[0]).toBe('Quit and keep it running ($0.50/h)');
  });

  it('maps dialog responses; anything unexpected is cancel', () => {
    const p = quitPrompt(snapshot({ instances: [busy, idle1] }))!;
    expect([0, 1, 2, 3, 7, -1].map((r) => choiceFor(p, r))).toEqual([
      'keep',
      'terminate-idle',
      'terminate-all',
      'cancel',
      'cancel',
      'cancel',
    ]);
  });

  it('close hides unless quitting', () => {
    expect(closeBehaviour(false)).toBe('hide');
    expect(closeBehaviour(true)).toBe('close');
  });
});

describe('after the termination chosen at quit failed', () => {
  it('names the reason, the instances still running and their cost; trying again is the default', () => {
    const p = terminateFailedPrompt({
      cause: { code: 'error', text: 'The AWS identity is not allowed to call ec2:TerminateInstances.' },
      instances: [busy, idle1],
    });
    expect(p.message).toBe('Could not terminate 2 instances: they are still running ($2.00/h).');
    expect(p.detail.split('\n')).toEqual([
      'The AWS identity is not allowed to call ec2:TerminateInstances.',
      '',
      `i-0000000b (${busy.instanceType}, ${busy.queue}, $1.50/h)`,
      `i-0000001a (${idle1.instanceType}, ${idle1.queue}, $0.50/h)`,
      '',
      expect.stringMatching(/^If you quit anyway, nobody watches them: they are billed until terminated/),
    ]);
    expect(p.buttons).toEqual(['Try again', 'Quit anyway (they keep running, $2.00/h)', 'Cancel']);
    expect([p.choices[p.defaultId], p.choices[p.cancelId]]).toEqual(['retry', 'cancel']);
  });

  it('a termination not answered in time may have happened: "may still be running"', () => {
    const p = terminateFailedPrompt({ cause: { code: 'timeout', afterMs: 15_000 }, instances: [idle1] });
    expect(p.message).toBe('Terminating 1 instance was not confirmed: it may still be running ($0.50/h).');
    expect(p.detail).toMatch(/^EC2 did not answer within 15 s\.\n/);
    expect(p.buttons[1]).toBe('Quit anyway (it keeps running, $0.50/h)');
  });

  it('the reason never promises the retry at the next poll that a quitting app will not make', () => {
    const texts = [
      classifyEc2Error(Object.assign(new Error('oops'), { name: 'InternalError' }), { action: 'TerminateInstances' }),
      classifyEc2Error(Object.assign(new Error('slow'), { name: 'RequestLimitExceeded' })),
      classifyEc2Error(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
        region: 'eu-west-1',
      }),
    ].map((e) => e.message);
    for (const t of texts) expect(t).toMatch(/tries again on (the next|a later) poll/);
    const reasons = texts.map((text) => failureReason({ code: 'error', text }));
    expect(reasons).toEqual([
      'EC2 TerminateInstances failed (InternalError: oops).',
      expect.stringMatching(/^AWS is throttling EC2 API calls .*\(RequestLimitExceeded\)\. Other tools using/),
      'Cannot reach the EC2 API in eu-west-1 (ECONNREFUSED): check the network connection, proxy and region.',
    ]);
  });
});

describe('runShutdown', () => {
  it('runs steps in order and records failures without stopping', async () => {
    const order: string[] = [];
    const steps: ShutdownStep[] = [
      { name: 'a', run: () => void order.push('a') },
      { name: 'b', run: async () => Promise.reject(new Error('boom')) },
      { name: 'c', run: async () => void order.push('c') },
    ];
    const r = await runShutdown(steps, new Promise(() => undefined));
    expect(order).toEqual(['a', 'c']);
    expect(r).toEqual({ completed: ['a', 'c'], failed: [{ name: 'b', message: 'boom' }], timedOut: null });
  });

  it('stops waiting for a hung step at the deadline', async () => {
    let expire!: () => void;
    const deadline = new Promise<void>((r) => (expire = r));
    const later = vi.fn();
    const done = runShutdown(
      [
        { name: 'fast', run: () => undefined },
        { name: 'hangs', run: () => new Promise<void>(() => undefined) },
        { name: 'later', run: later },
      ],
      deadline,
    );
    await new Promise((r) => setImmediate(r));
    expire();
    expect(await done).toEqual({ completed: ['fast'], failed: [], timedOut: 'hangs' });
    expect(later).not.toHaveBeenCalled();
  });
});

describe('installLifecycle', () => {
  let controller: FakeController;
  let settings: MemorySettingsRepo;
  let notify: Mock<(title: string, body: string) => void>;
  let teardown: Mock<() => void>;
  let windows: ReturnType<typeof createWindowManager>;

  beforeEach(() => {
    resetElectronMock();
    controller = new FakeController();
    settings = new MemorySettingsRepo();
    notify = vi.fn<(title: string, body: string) => void>();
    teardown = vi.fn<() => void>();
    windows = createWindowManager({
      BrowserWindow: BrowserWindow as never,
      isPackaged: true,
      preload: '/p.cjs',
      url: 'app://autoscaler/index.html',
    });
    installLifecycle({
      app: app as never,
      windows,
      dialog: dialog,
      controller,
      store: controller.store,
      settings,
      notify,
      teardown: () => [{ name: 'teardown', run: teardown }],
      sleep: () => new Promise(() => undefined),
    });
  });

  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  it('closing hides to the tray; the explanation is shown once', () => {
    const win = windows.show() as unknown as MockBrowserWindow;
    win.close();
    expect(win.isDestroyed()).toBe(false);
    expect(win.isVisible()).toBe(false);
    expect(notify).toHaveBeenCalledOnce();
    expect(notify.mock.calls[0]?.[0]).toBe('Still running in the tray');
    expect(settings.get().closeToTrayNoticeShown).toBe(true);
    win.show();
    win.close();
    expect(notify).toHaveBeenCalledOnce();
  });

  it('quit with nothing running: no dialog, engine stopped, modules torn down, exit', async () => {
    app.quit();
    await settle();
    expect(dialog.showMessageBox).not.toHaveBeenCalled();
    expect(controller.callsTo('stop')).toHaveLength(1);
    expect(teardown).toHaveBeenCalledOnce();
    expect(app.exit).toHaveBeenCalledWith(0);
  });

  it('quit with instances: asks; cancel keeps everything running', async () => {
    controller.store.setState({ ...controller.store.getState(), instances: [busy, idle1] });
    dialog.responses = [3];
    app.quit();
    await settle();
    expect(dialog.showMessageBox).toHaveBeenCalledOnce();
    expect(controller.calls).toEqual([]);
    expect(app.exit).not.toHaveBeenCalled();
  });

  it('quitting the demo: no question about its made-up instances; the engine stops and the app exits', async () => {
    controller.store.setState({ ...controller.store.getState(), demo: true, instances: [busy, idle1] });
    app.quit();
    await settle();
    expect(dialog.showMessageBox).not.toHaveBeenCalled();
    expect(controller.calls.map((c) => c.method)).toEqual(['stop']);
    expect(app.exit).toHaveBeenCalledWith(0);
  });

  it('terminate idle: only the idle ids, then stop, then exit', async () => {
    controller.store.setState({ ...controller.store.getState(), instances: [busy, idle1] });
    dialog.responses = [1];
    app.quit();
    await settle();
    expect(controller.calls.map((c) => c.method)).toEqual(['terminate', 'stop']);
    expect(controller.callsTo('terminate')[0]?.[0]).toEqual(['i-0000001a']);
    expect(app.exit).toHaveBeenCalledWith(0);
  });

  it('terminate all scales to zero before stopping', async () => {
    controller.store.setState({ ...controller.store.getState(), instances: [busy, idle1] });
    dialog.responses = [2];
    app.quit();
    await settle();
    expect(controller.calls.map((c) => c.method)).toEqual(['scaleToZero', 'stop']);
  });

  it('terminate all failing: asks again and does not exit; "Try again" until it works, then exits', async () => {
    controller.store.setState({ ...controller.store.getState(), instances: [busy, idle1] });
    let fail = true;
    controller.scaleToZero = async () => {
      controller.calls.push({ method: 'scaleToZero', args: [] });
      if (fail) throw new Error('The AWS identity is not allowed to call ec2:TerminateInstances.');
      return 2;
    };
    dialog.responses = [2, 0, 2]; // terminate all → fails → try again → fails → cancel
    app.quit();
    await settle();
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(3);
    // Cancelled: launches (which "terminate all" pauses) are as they were before the quit.
    expect(controller.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['scaleToZero'],
      ['scaleToZero'],
      ['setLaunchesPaused', false],
    ]);
    expect(app.exit).not.toHaveBeenCalled();
    controller.calls.length = 0;
    fail = false;
    dialog.responses = [2];
    app.quit();
    await settle();
    expect(controller.calls.map((c) => c.method)).toEqual(['scaleToZero', 'stop']);
    expect(app.exit).toHaveBeenCalledWith(0);
  });

  it('a termination that never answers is not taken for done: asked again after the deadline', async () => {
    resetElectronMock();
    const c = new FakeController();
    c.store.setState({ ...c.store.getState(), instances: [busy, idle1] });
    c.terminate = () => new Promise(() => undefined);
    let expire!: () => void;
    installLifecycle({
      app: app as never,
      windows,
      dialog,
      controller: c,
      store: c.store,
      settings,
      notify,
      teardown: () => [],
      sleep: () => new Promise<void>((r) => (expire = r)),
    });
    dialog.responses = [1, 1];
    app.quit();
    await settle();
    expect(dialog.showMessageBox).toHaveBeenCalledOnce();
    expire();
    await settle();
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(2);
    const second = dialog.showMessageBox.mock.calls[1]![0] as { message: string };
    expect(second.message).toBe('Terminating 1 instance was not confirmed: it may still be running ($0.50/h).');
    // "Quit anyway": now the engine stops and the app exits (after the shutdown steps' own deadline).
    expire();
    await settle();
    expect(app.exit).toHaveBeenCalledWith(0);
  });

  it('once quitting, closing the window really closes it and a second quit does not ask again', async () => {
    const win = windows.show() as unknown as MockBrowserWindow;
    controller.store.setState({ ...controller.store.getState(), instances: [busy] });
    dialog.responses = [0];
    app.quit();
    await settle();
    win.close();
    expect(win.isDestroyed()).toBe(true);
    app.quit();
    await settle();
    expect(dialog.showMessageBox).toHaveBeenCalledOnce();
  });
});

describe('a hung engine cannot block quit', () => {
  beforeEach(() => resetElectronMock());

  it('exits at the deadline', async () => {
    const controller = new FakeController();
    controller.stopImpl = () => new Promise(() => undefined);
    let expire!: () => void;
    const windows = createWindowManager({
      BrowserWindow: BrowserWindow as never,
      isPackaged: true,
      preload: '',
      url: 'app://autoscaler/',
    });
    const log = vi.fn();
    installLifecycle({
      app: app as never,
      windows,
      dialog: dialog,
      controller,
      store: controller.store,
      settings: new MemorySettingsRepo(),
      notify: vi.fn(),
      teardown: () => [],
      log,
      sleep: () => new Promise<void>((r) => (expire = r)),
    });
    app.quit();
    await new Promise((r) => setImmediate(r));
    expect(app.exit).not.toHaveBeenCalled();
    expire();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(app.exit).toHaveBeenCalledWith(0);
    expect(log.mock.calls.flat().join(' ')).toMatch(/deadline reached during 'stop the engine'/);
  });
});
