/**
 * Leading + trailing throttle: the first trigger runs at once, later ones within `intervalMs` collapse into one
 * run at the end of the interval. So a burst of store writes becomes at most one push per interval, and the
 * last state is always pushed.
 */
export interface ThrottleTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: ThrottleTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface Throttle {
  trigger(): void;
  cancel(): void;
}

export function createThrottle(run: () => void, intervalMs: number, timers: ThrottleTimers = realTimers): Throttle {
  let last = -Infinity;
  let timer: unknown = null;
  const fire = () => {
    timer = null;
    last = timers.now();
    run();
  };
  return {
    trigger() {
      if (timer !== null) return;
      const wait = last + intervalMs - timers.now();
      if (wait <= 0) fire();
      else timer = timers.setTimeout(fire, wait);
    },
    cancel() {
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}
