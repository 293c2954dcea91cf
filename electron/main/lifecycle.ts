/**
 * Close vs quit, and a Quit that always finishes.
 *  - Closing the window hides it to the tray; the first time, a notification says so.
 *  - Quit asks what to do with running EC2 instances (they outlive the app and keep billing), showing the
 *    hourly cost of each option; the decision is the pure `quitPrompt` / `choiceFor` pair.
 *  - A termination the user chose must happen before the app exits: when EC2 refuses it or does not answer in
 *    time, a second question (`terminateFailedPrompt`) says why and what still bills, and the app exits only if the
 *    user says so. Quitting silently would leave those instances billing with nobody watching them.
 *  - Shutdown runs ordered steps under one hard deadline, then exits even if a step hangs.
 */
import type { App, BrowserWindow, Dialog } from 'electron';
import { foreignBurn, foreignRunning, type InstanceView, type Snapshot } from '../../shared/domain.js';
import type { AtStart } from '../../shared/settings.js';
import type { EngineController } from '../engine/controller.js';
import type { MainStore } from '../engine/store.js';
import type { SettingsRepo } from '../engine/service/settings-repo.js';
import { formatRate, runningInstances } from './tray/tray-model.js';
import type { WindowManager } from './window.js';
import { errorText } from '../../shared/error-text.js';
import { withoutRetryPromise } from '../engine/ec2/errors.js';
import { plural } from '../../shared/words.js';

export type QuitChoice = 'keep' | 'terminate-idle' | 'terminate-all' | 'cancel';

export interface QuitPrompt {
  title: string;
  message: string;
  detail: string;
  buttons: string[];
  /** choices[i] is what button i means. */
  choices: QuitChoice[];
  defaultId: number;
  cancelId: number;
  idleIds: string[];
  /** What each terminating choice is for, as listed now (the failure question names them). */
  targets: { 'terminate-idle': InstanceView[]; 'terminate-all': InstanceView[] };
}

/**
 * The question Quit asks, from the snapshot the tray shows; null: quit without asking. Nothing asked when nothing
 * runs; in the demo, whose instances are made up, bill nobody and end with the app; and while attached to a team
 * engine (`remote`), which keeps running and scaling its instances whatever this app does (it is always-on by design,
 * and its roles decide who may terminate them). `atStart`: what the next start does (App preferences).
 */
export function quitPrompt(s: Snapshot, atStart: AtStart = 'as-left'): QuitPrompt | null {
  if (s.demo || s.remote) return null;
  const running = runningInstances(s);
  if (running.length === 0) return null;
  const rate = (list: typeof running) => formatRate(list.reduce((sum, i) => sum + i.hourlyPrice, 0));
  const idle = running.filter((i) => i.phase === 'idle');
  const buttons: string[] = [];
  const choices: QuitChoice[] = [];
  const add = (label: string, choice: QuitChoice) => {
    buttons.push(label);
    choices.push(choice);
  };
  add(`Quit and keep ${running.length === 1 ? 'it' : 'them'} running (${rate(running)})`, 'keep');
  if (idle.length > 0 && idle.length < running.length) {
    add(`Terminate ${plural(idle.length, 'idle instance')} (${rate(idle)}) and quit`, 'terminate-idle');
  }
  add(`Terminate all ${plural(running.length, 'instance')} (${rate(running)}) and quit`, 'terminate-all');
  add('Cancel', 'cancel');
  return {
    title: 'Quit ClearML Tray Autoscaler',
    message: `${plural(running.length, 'EC2 instance')} ${running.length === 1 ? 'is' : 'are'} still running (${rate(running)}).`,
    detail:
      (!s.enabled
        ? 'Autoscaling is off. '
        : atStart === 'as-left'
          ? 'Quitting stops autoscaling until the app starts again, which turns it back on. '
          : 'Quitting stops autoscaling; the app starts with it off (App preferences). ') +
      'Instances you keep are billed until they are terminated; with the lease watchdog on, idle ones power ' +
      `themselves off after their lease expires.${adoptedText(running)}${foreignText(s)}`,
    buttons,
    choices,
    defaultId: 0,
    cancelId: choices.indexOf('cancel'),
    idleIds: idle.map((i) => i.instanceId),
    targets: { 'terminate-idle': idle, 'terminate-all': running },
  };
}

export function choiceFor(prompt: QuitPrompt, response: number): QuitChoice {
  return prompt.choices[response] ?? 'cancel';
}

export type TerminateChoice = Extract<QuitChoice, 'terminate-idle' | 'terminate-all'>;

/** Why the termination chosen at quit did not happen: EC2 refused or failed it, or did not answer in time. */
export type TerminateFailureCause = { code: 'error'; text: string } | { code: 'timeout'; afterMs: number };

export interface TerminateFailure {
  cause: TerminateFailureCause;
  /** The instances it was for: none is known to be terminated. */
  instances: InstanceView[];
}

export type AfterFailureChoice = 'retry' | 'quit' | 'cancel';

export interface TerminateFailedPrompt {
  title: string;
  message: string;
  detail: string;
  buttons: string[];
  choices: AfterFailureChoice[];
  defaultId: number;
  cancelId: number;
}

/** The reason in words, without promising a retry nobody makes (the app is about to exit). */
export function failureReason(cause: TerminateFailureCause): string {
  return cause.code === 'timeout'
    ? `EC2 did not answer within ${Math.round(cause.afterMs / 1000)} s.`
    : withoutRetryPromise(cause.text);
}

/**
 * The second question, after the termination the user chose at quit failed: what failed and why, which instances
 * still run and what they cost, and what now. Trying again is the default: the user asked for them to end.
 */
export function terminateFailedPrompt(f: TerminateFailure): TerminateFailedPrompt {
  const n = f.instances.length;
  const rate = formatRate(f.instances.reduce((sum, i) => sum + i.hourlyPrice, 0));
  const they = n === 1 ? 'it' : 'they';
  const message =
    f.cause.code === 'timeout'
      ? `Terminating ${plural(n, 'instance')} was not confirmed: ${they} may still be running (${rate}).`
      : `Could not terminate ${plural(n, 'instance')}: ${they} ${n === 1 ? 'is' : 'are'} still running (${rate}).`;
  const list = f.instances.map((i) => `${i.instanceId} (${i.instanceType}, ${i.queue}, ${formatRate(i.hourlyPrice)})`);
  return {
    title: 'Instances still running',
    message,
    detail:
      `${failureReason(f.cause)}\n\n${list.join('\n')}\n\n` +
      `If you quit anyway, nobody watches ${n === 1 ? 'it' : 'them'}: ${they} ${n === 1 ? 'is' : 'are'} billed until ` +
      `terminated (with the lease watchdog on, an idle one powers itself off after its lease expires).`,
    buttons: ['Try again', `Quit anyway (${they} keep${n === 1 ? 's' : ''} running, ${rate})`, 'Cancel'],
    choices: ['retry', 'quit', 'cancel'],
    defaultId: 0,
    cancelId: 2,
  };
}

export interface ShutdownStep {
  name: string;
  run(): Promise<void> | void;
}

export interface ShutdownReport {
  completed: string[];
  failed: { name: string; message: string }[];
  /** The step that was still running at the deadline, if any. */
  timedOut: string | null;
}

/**
 * Adopted instances run ClearML's startup script, which has no lease watchdog: kept, they bill until someone
 * terminates them, whatever the lease setting.
 */
function adoptedText(running: readonly InstanceView[]): string {
  const ids = running.filter((i) => i.adopted).map((i) => i.instanceId);
  if (!ids.length) return '';
  const one = ids.length === 1;
  return (
    ` Except ${one ? 'the one' : `the ${ids.length}`} adopted from ClearML's autoscaler (${ids.join(', ')}): ` +
    `${one ? 'it has' : 'they have'} no lease watchdog and never power${one ? 's' : ''} off; terminate ` +
    `${one ? 'it' : 'them'}, or restart ClearML's autoscaler to scale ${one ? 'it' : 'them'} down.`
  );
}

/** ClearML's instances not adopted: not in the counts above, billed, and this app never terminates them. */
function foreignText(s: Snapshot): string {
  const foreign = foreignRunning(s.adoptable);
  if (!foreign.length) return '';
  const one = foreign.length === 1;
  const rate = formatRate(foreignBurn(foreign).perHour);
  return (
    ` Besides, ${plural(foreign.length, 'instance')} from ClearML's autoscaler (${foreign.map((a) => a.instanceId).join(', ')}, ` +
    `${rate}) ${one ? 'keeps' : 'keep'} running, not adopted: nothing terminates ${one ? 'it' : 'them'} until adopted.`
  );
}

/** Runs steps in order; stops waiting at the deadline (the process exits anyway, so a hang cannot block quit). */
export async function runShutdown(steps: readonly ShutdownStep[], deadline: Promise<void>): Promise<ShutdownReport> {
  const report: ShutdownReport = { completed: [], failed: [], timedOut: null };
  let expired = false;
  const expiry = deadline.then(() => {
    expired = true;
    return 'timeout' as const;
  });
  for (const step of steps) {
    if (expired) {
      report.timedOut ??= step.name;
      break;
    }
    const outcome = await Promise.race([
      Promise.resolve()
        .then(() => step.run())
        .then(
          () => 'done' as const,
          (err: unknown) => {
            report.failed.push({ name: step.name, message: errorText(err) });
            return 'failed' as const;
          },
        ),
      expiry,
    ]);
    if (outcome === 'timeout') {
      report.timedOut = step.name;
      break;
    }
    if (outcome === 'done') report.completed.push(step.name);
  }
  return report;
}

/** What the window's close button does: hide to the tray unless the app is quitting. */
export function closeBehaviour(quitting: boolean): 'hide' | 'close' {
  return quitting ? 'close' : 'hide';
}

export interface LifecycleDeps {
  app: Pick<App, 'on' | 'exit'>;
  windows: WindowManager;
  dialog: Pick<Dialog, 'showMessageBox'>;
  /** The local engine: what Quit terminates (when the user chooses to) and stops. */
  controller: EngineController;
  /**
   * What the tray shows, which the quit question is built from: the local engine's snapshot, or the team engine's
   * while attached (the attachment switch's store).
   */
  store: MainStore;
  settings: SettingsRepo;
  notify(title: string, body: string): void;
  /** Module teardown after the engine stopped (tray, publisher, router…), in order. */
  teardown: () => ShutdownStep[];
  timeoutMs?: number;
  log?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface Lifecycle {
  /** Quit without asking (OS shutdown/logout): instances are kept. */
  quitNow(): Promise<void>;
  isQuitting(): boolean;
}

export function installLifecycle(deps: LifecycleDeps): Lifecycle {
  let quitting = false;
  let asking = false;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  deps.windows.onCreated((win: BrowserWindow) => {
    win.on('close', (event) => {
      if (closeBehaviour(quitting) === 'close') return;
      event.preventDefault();
      win.hide();
      if (!deps.settings.get().closeToTrayNoticeShown) {
        deps.notify(
          'Still running in the tray',
          'Autoscaling continues in the background. Use the tray icon to open the dashboard or to quit.',
        );
        deps.settings.patch({ closeToTrayNoticeShown: true });
      }
    });
  });

  // With a listener here Electron no longer quits when the last window closes: we live in the tray.
  deps.app.on('window-all-closed', () => undefined);

  /** Stops the engine, tears the modules down and exits, whatever hangs (nothing is left to ask). */
  const shutdown = async () => {
    quitting = true;
    const steps: ShutdownStep[] = [{ name: 'stop the engine', run: () => deps.controller.stop() }];
    steps.push(...deps.teardown());
    const report = await runShutdown(steps, sleep(deps.timeoutMs ?? 15_000));
    for (const f of report.failed) deps.log?.(`shutdown step '${f.name}' failed: ${f.message}`);
    if (report.timedOut) deps.log?.(`shutdown deadline reached during '${report.timedOut}'; exiting anyway`);
    deps.app.exit(0);
  };

  /** One try at the termination the user chose, bounded by the deadline (a hang must not look like success). */
  const attempt = async (choice: TerminateChoice, prompt: QuitPrompt): Promise<TerminateFailureCause | null> => {
    const afterMs = deps.timeoutMs ?? 15_000;
    const run =
      choice === 'terminate-idle'
        ? deps.controller.terminate(prompt.idleIds, 'quit: terminate idle')
        : deps.controller.scaleToZero();
    return Promise.race([
      run.then(
        () => null,
        (err: unknown): TerminateFailureCause => ({ code: 'error', text: errorText(err) }),
      ),
      sleep(afterMs).then((): TerminateFailureCause => ({ code: 'timeout', afterMs })),
    ]);
  };

  /**
   * Terminates what the user chose before anything stops; on a failure asks again until it works, the user quits
   * anyway, or cancels the quit. True: go on quitting.
   */
  const terminateFirst = async (choice: TerminateChoice, prompt: QuitPrompt): Promise<boolean> => {
    const launchesWerePaused = deps.controller.store.getState().launchesPaused;
    const instances = prompt.targets[choice];
    for (;;) {
      const cause = await attempt(choice, prompt);
      if (!cause) return true;
      deps.log?.(
        `quit: terminating ${plural(instances.length, 'instance')} (${instances.map((i) => i.instanceId).join(', ')}) ` +
          `failed: ${failureReason(cause)} Asking what to do; nothing is retried unless the user says so.`,
      );
      const again = terminateFailedPrompt({ cause, instances });
      const { response } = await deps.dialog.showMessageBox({
        type: 'warning',
        title: again.title,
        message: again.message,
        detail: again.detail,
        buttons: again.buttons,
        defaultId: again.defaultId,
        cancelId: again.cancelId,
        noLink: true,
      });
      const next = again.choices[response] ?? 'cancel';
      if (next === 'retry') continue;
      if (next === 'quit') {
        deps.log?.(`quit anyway: ${plural(instances.length, 'instance')} keep running unwatched`);
        return true;
      }
      // The app goes on as it was: "terminate all" paused launches so nothing new started during the quit.
      if (choice === 'terminate-all' && !launchesWerePaused) deps.controller.setLaunchesPaused(false);
      deps.log?.('quit cancelled after the termination failed; the app keeps running');
      return false;
    }
  };

  deps.app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    if (asking) return;
    asking = true;
    void (async () => {
      try {
        const prompt = quitPrompt(deps.store.getState(), deps.settings.get().autoscalingAtStart);
        let choice: QuitChoice = 'keep';
        if (prompt) {
          const { response } = await deps.dialog.showMessageBox({
            type: 'question',
            title: prompt.title,
            message: prompt.message,
            detail: prompt.detail,
            buttons: prompt.buttons,
            defaultId: prompt.defaultId,
            cancelId: prompt.cancelId,
            noLink: true,
          });
          choice = choiceFor(prompt, response);
        }
        if (choice === 'cancel') return;
        if (prompt && choice !== 'keep' && !(await terminateFirst(choice, prompt))) return;
        await shutdown();
      } finally {
        asking = false;
      }
    })();
  });

  return {
    quitNow: () => shutdown(),
    isQuitting: () => quitting,
  };
}
