/**
 * Virtual time for the simulator and tests: `now()` only moves when told to. `sleep()` jumps time forward instead of
 * waiting, so code that backs off (throttling, retries) runs instantly and deterministically; the only thing that
 * costs real time is real I/O on loopback.
 */
import type { Clock } from '../ports.js';

export class VirtualClock implements Clock {
  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  /** Virtual time never steps back (`set` only moves forward), so it is its own monotonic clock. */
  monotonic(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }

  set(ms: number): void {
    this.t = Math.max(this.t, ms);
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.t += Math.max(0, ms);
  }
}
