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

/** Resolves on the first SIGINT or SIGTERM, or after `afterMs` (null: no limit), whichever comes first. */
export function untilStopped(opts: { afterMs?: number | null; onSignal?: (signal: string) => void } = {}) {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      opts.onSignal?.(signal);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    if (opts.afterMs !== undefined && opts.afterMs !== null) sleepLong(opts.afterMs, resolve);
  });
}

/** While shutting down: a second signal exits at once (130, as after Ctrl+C). */
export function exitOnSecondSignal(): void {
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
}

/** setTimeout caps at about 24.8 days; longer waits are chained. Unref'd: it never keeps the process alive. */
function sleepLong(ms: number, done: () => void): void {
  const step = Math.min(ms, 2 ** 31 - 1);
  setTimeout(() => (ms - step > 0 ? sleepLong(ms - step, done) : done()), step).unref();
}
