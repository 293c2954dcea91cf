/**
 * In-process seams between the emulators. The EC2 emulator owns instances; the agent simulator (beside the
 * ClearML emulator) boots a worker on each running instance from its user data, exactly as a real instance
 * would, so the engine under test only ever sees the two HTTP APIs.
 *
 * Emulators are time-driven lazily: they read `clock.now()` on every request and on `step()`, and never keep
 * their own timers, so the simulator can run them in virtual time and demo mode in real time.
 */
import type { InstanceObs } from '../ports.js';

/** What EC2 says of an instance (the engine's `InstanceObs`), plus what only the machine itself knows. */
export interface EmulatedInstance extends InstanceObs {
  /** ms epoch when it reached `running`, null before. */
  runningSince: number | null;
  /** Decoded (plain text) user data. */
  userData: string;
}

export interface Ec2Machines {
  /** Current view of every instance, terminated ones included (for a while, as EC2 does). */
  instances(): EmulatedInstance[];
  /** The instance powered itself off (shutdown behaviour terminate): the agent could not start, or the watchdog fired. */
  powerOff(instanceId: string, reason: string): void;
  /** AWS reclaims a spot instance (state reason Server.SpotInstanceTermination). */
  interruptSpot(instanceId: string): void;
  /** The line the instance's init script dies with (then its agent never starts), or null when it boots fine. */
  bootFailureOf?(instanceId: string): string | null;
}

/** The markers every generated user data script carries, so an emulated instance knows who to be. */
export interface UserDataMarkers {
  /** `<prefix>:<resource>:<instance type>`; the instance appends `:<instance id>`. */
  workerIdPrefix: string;
  queue: string;
  /**
   * How often the agent polls its queue when idle: the script's last `export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=…`
   * (a later one, e.g. in the user's init script, wins as it does in bash). Absent: the agent's own default.
   */
  queuePollSec?: number;
}

const QUEUE_POLL = /^\s*export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=(['"]?)(\d+(?:\.\d+)?)\1\s*$/gm;
/** A marker line's value is one shell-quoted word: `'…'`, with each `'` inside written `'\''`. */
const MARKER = /^CLEARML_AUTOSCALER_(WORKER_ID_PREFIX|QUEUE)='((?:[^']|'\\'')*)'$/gm;

/** ClearML's own autoscaler script (`clearml.automation.cloud_driver`): the worker id it exports, the queue its agent serves. */
const CLEARML_SCRIPT_WORKER = /^export CLEARML_WORKER_ID=(\S+):\$DYNAMIC_INSTANCE_ID$/m;
const CLEARML_SCRIPT_QUEUE = /\bclearml_agent\b.*\bdaemon --queue '([^']+)'/;

/**
 * Reads the marker lines `CLEARML_AUTOSCALER_WORKER_ID_PREFIX='…'` and `CLEARML_AUTOSCALER_QUEUE='…'`; failing
 * those, the same two facts from the startup script ClearML's own autoscaler writes, so an instance it launches
 * boots the agent its script would start. Either way, with the queue poll the script sets, if it sets one.
 */
export function parseUserDataMarkers(userData: string): UserDataMarkers | null {
  const found: Record<string, string> = {};
  for (const m of userData.matchAll(MARKER)) found[m[1]!] = m[2]!.replaceAll(`'\\''`, "'");
  const workerIdPrefix = found['WORKER_ID_PREFIX'];
  const queue = found['QUEUE'];
  const polls = [...userData.matchAll(QUEUE_POLL)].map((m) => Number(m[2]));
  // The agent reads 0 as unset (`value or 5.0`).
  const poll = polls.at(-1);
  const queuePoll = poll ? { queuePollSec: poll } : {};
  if (workerIdPrefix && queue) return { workerIdPrefix, queue, ...queuePoll };
  const clearmlWorker = CLEARML_SCRIPT_WORKER.exec(userData)?.[1];
  const clearmlQueue = CLEARML_SCRIPT_QUEUE.exec(userData)?.[1];
  return clearmlWorker && clearmlQueue ? { workerIdPrefix: clearmlWorker, queue: clearmlQueue, ...queuePoll } : null;
}
