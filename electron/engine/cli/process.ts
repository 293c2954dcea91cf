/**
 * What the command-line entry points (`npm run headless`, `npm run preview:web`) do with their process: run a main
 * function to an exit code, and wait for Ctrl+C, a supervisor's SIGTERM or a time limit.
 */
import { errorText } from '../../../shared/error-text.js';

/** Runs `main` and exits with its code; an unexpected error is printed (with its stack when asked) and exits 1. */
export function runMain(main: () => Promise<number>, opts: { stack?: boolean } = {}): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(opts.stack && e instanceof Error ? (e.stack ?? e.message) : errorText(e));
      process.exit(1);
    },
  );
}

/**
 * The signals that stop a headless run cleanly. SIGHUP too: closing the SSH session a run was started from must not
 * kill it mid-launch and leave its lock.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * A Ctrl+C reaches every process of the terminal's group, and tsx (like npm) relays the one it gets to the engine:
 * one key press can arrive twice within milliseconds. A second SIGINT this soon after the first is that same press.
 */
export const SAME_PRESS_MS = 1000;

/** What a stop signal does, with what decided it. */
export type SignalAction =
  | { code: 'stop'; signal: string }
  | { code: 'force'; signal: string }
  | { code: 'already-stopping'; signal: string }
  | { code: 'ignore'; signal: string; why: 'already-said' | 'same-key-press' };

/** Why the run is stopping (a signal's name, or another cause such as a closed output), and since when. */
export interface StopState {
  first: { cause: string; at: number } | null;
  saidAlreadyStopping: boolean;
}

/**
 * What a signal does during a run. The first stops cleanly. While stopping, a repeated SIGTERM is ignored (said
 * once): a supervisor signals every process of the unit and tsx relays its own copy, so a second one is normal and
 * must not cut the stop short (the lock, the summary, a launch in flight). A second Ctrl+C is the person at the
 * terminal insisting: it quits at once. Pure.
 */
export function signalAction(state: StopState, signal: string, now: number): SignalAction {
  if (!state.first) return { code: 'stop', signal };
  if (signal === 'SIGINT') {
    if (state.first.cause === 'SIGINT' && now - state.first.at < SAME_PRESS_MS)
      return { code: 'ignore', signal, why: 'same-key-press' };
    return { code: 'force', signal };
  }
  return state.saidAlreadyStopping
    ? { code: 'ignore', signal, why: 'already-said' }
    : { code: 'already-stopping', signal };
}

export interface StopWatch {
  /** Resolves with the cause on the first stop signal or `stop()`, or with null when `afterMs` has passed. */
  readonly stopped: Promise<string | null>;
  /** Stops as a signal would (a closed output, for one). */
  stop(cause: string): void;
  /** Removes the signal listeners: call it once the stop is done, just before the process exits. */
  dispose(): void;
}

/**
 * Waits for a stop and keeps listening while the run stops: `onSignal` hears every signal's action; a `force`
 * exits 130 at once (the exit handlers still run, so the data folder's lock is released).
 */
export function watchForStop(
  opts: { afterMs?: number | null; onSignal?: (action: SignalAction) => void; now?: () => number } = {},
): StopWatch {
  const now = opts.now ?? Date.now;
  const state: StopState = { first: null, saidAlreadyStopping: false };
  let settle!: (cause: string | null) => void;
  const stopped = new Promise<string | null>((resolve) => (settle = resolve));
  const stop = (cause: string) => {
    if (state.first) return;
    state.first = { cause, at: now() };
    settle(cause);
  };
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      const action = signalAction(state, signal, now());
      if (action.code === 'already-stopping') state.saidAlreadyStopping = true;
      if (action.code === 'stop') stop(signal);
      opts.onSignal?.(action);
      if (action.code === 'force') process.exit(130);
    };
    process.on(signal, listener);
    return { signal, listener };
  });
  if (opts.afterMs !== undefined && opts.afterMs !== null) sleepLong(opts.afterMs, () => settle(null));
  return {
    stopped,
    stop,
    dispose: () => {
      for (const { signal, listener } of listeners) process.off(signal, listener);
    },
  };
}

/** setTimeout caps at about 24.8 days; longer waits are chained. Unref'd: it never keeps the process alive. */
function sleepLong(ms: number, done: () => void): void {
  const step = Math.min(ms, 2 ** 31 - 1);
  setTimeout(() => (ms - step > 0 ? sleepLong(ms - step, done) : done()), step).unref();
}
