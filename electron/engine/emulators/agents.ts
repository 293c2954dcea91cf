/**
 * What `clearml-agent` does on each emulated instance, driven by the instance's user data exactly as a real
 * instance would be: after a boot delay it registers worker `<workerIdPrefix>:<instanceId>` on its queue, polls
 * the queue (while idle every CLEARML_AGENT_QUEUE_POLL_FREQ_SEC its script exports, else every `pollSec`; at once
 * after a task), runs each task for its `durationSec`, and aborts a task the server asked to stop. A lost instance
 * leaves its worker silent (listed until the register timeout) and its task stranded `in_progress`. An instance
 * without markers, or whose queue does not exist, powers itself off after the boot delay, as our startup script
 * does when the agent cannot start. An instance with no user data at all runs no agent (a database host, a build
 * machine launched by hand): it is left running, as such a host would be.
 *
 * `step()` replays every event due up to `clock.now()` in time order, each at its own time, so stepping in big
 * jumps gives the same history as stepping every second: a task that ends at t frees its worker at t.
 * One exception, for lack of a timestamp in what EC2 shows: an instance seen not running is taken to have been
 * lost right after the previous step (step right after changing the emulators to make that exact).
 */
import { AGENT_DEFAULT_QUEUE_POLL_SEC } from '../../../shared/config.js';
import type { Clock } from '../ports.js';
import type { ClearmlEmulator } from './clearml-emulator.js';
import { parseUserDataMarkers, type Ec2Machines, type EmulatedInstance, type UserDataMarkers } from './seams.js';

export interface AgentSimulatorOptions {
  ec2: Ec2Machines;
  clearml: ClearmlEmulator;
  clock: Clock;
  /** Launch → worker registered. Default 60–150 s. */
  bootSec?: { min: number; max: number };
  /** Boot delays are drawn from this, in launch order. */
  random?: () => number;
  /**
   * When set, an instance for a queue draws its boot delay from this queue's stream instead (in launch order within
   * the queue), so one queue's launches do not change the boots of another's; `random` serves the rest.
   */
  randomForQueue?: (queue: string) => () => number;
  /**
   * Idle agents whose script does not set CLEARML_AGENT_QUEUE_POLL_FREQ_SEC poll their queue this often. Default
   * AGENT_DEFAULT_QUEUE_POLL_SEC (clearml-agent's own default).
   */
  pollSec?: number;
}

type Phase = 'booting' | 'running' | 'gone';

interface Agent {
  instanceId: string;
  launchedAt: number;
  bootDelayMs: number;
  markers: UserDataMarkers | null;
  phase: Phase;
  workerId: string | null;
  taskId: string | null;
  taskStartedAt: number;
  taskEndsAt: number;
  /** From its script when the script sets it (CLEARML_AGENT_QUEUE_POLL_FREQ_SEC), else the simulator's `pollSec`. */
  pollMs: number;
  /** The next poll at or after which an idle agent looks at its queue (polls are `pollMs` apart). */
  nextPollAt: number;
}

type EventKind = 'register' | 'power-off' | 'complete' | 'abort' | 'release' | 'poll';
interface AgentEvent {
  at: number;
  kind: EventKind;
}

const LOST_STATES = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

export class AgentSimulator {
  private readonly agents = new Map<string, Agent>();
  private readonly ec2: Ec2Machines;
  private readonly clearml: ClearmlEmulator;
  private readonly clock: Clock;
  private readonly boot: { min: number; max: number };
  private readonly random: () => number;
  private readonly randomForQueue: ((queue: string) => () => number) | undefined;
  private readonly pollMs: number;
  private lastStepAt: number | null = null;

  constructor(opts: AgentSimulatorOptions) {
    this.ec2 = opts.ec2;
    this.clearml = opts.clearml;
    this.clock = opts.clock;
    this.boot = opts.bootSec ?? { min: 60, max: 150 };
    if (!(this.boot.min >= 0 && this.boot.max >= this.boot.min)) {
      throw new Error(`bootSec must satisfy 0 <= min <= max, got ${this.boot.min}..${this.boot.max}`);
    }
    this.random = opts.random ?? Math.random;
    this.randomForQueue = opts.randomForQueue;
    this.pollMs = (opts.pollSec ?? AGENT_DEFAULT_QUEUE_POLL_SEC) * 1000;
    if (!(this.pollMs > 0)) throw new Error('pollSec must be > 0');
  }

  step(): void {
    const now = this.clock.now();
    const instances = new Map(this.ec2.instances().map((i) => [i.instanceId, i]));
    this.discover([...instances.values()]);
    this.loseInstances(instances, now);

    for (;;) {
      let best: { agent: Agent; event: AgentEvent } | null = null;
      for (const agent of this.agents.values()) {
        const event = this.nextEvent(agent, instances.get(agent.instanceId));
        if (event && event.at <= now && (!best || event.at < best.event.at)) best = { agent, event };
      }
      if (!best) break;
      this.apply(best.agent, best.event);
    }
    this.lastStepAt = now;
  }

  /** New instances get their boot delay in launch order, so given random streams always give the same run. */
  private discover(instances: EmulatedInstance[]): void {
    const fresh = instances
      .filter((i) => !this.agents.has(i.instanceId) && i.userData !== '')
      .sort((a, b) => a.launchedAt - b.launchedAt || (a.instanceId < b.instanceId ? -1 : 1));
    for (const i of fresh) {
      const { min, max } = this.boot;
      const markers = parseUserDataMarkers(i.userData);
      const draw = markers && this.randomForQueue ? this.randomForQueue(markers.queue) : this.random;
      this.agents.set(i.instanceId, {
        instanceId: i.instanceId,
        launchedAt: i.launchedAt,
        bootDelayMs: Math.round((min + (max - min) * draw()) * 1000),
        markers,
        pollMs: markers?.queuePollSec ? markers.queuePollSec * 1000 : this.pollMs,
        phase: LOST_STATES.has(i.state) ? 'gone' : 'booting',
        workerId: markers ? `${markers.workerIdPrefix}:${i.instanceId}` : null,
        taskId: null,
        taskStartedAt: 0,
        taskEndsAt: 0,
        nextPollAt: 0,
      });
    }
  }

  /** The agent dies with its instance: its worker stops reporting and its task stays in_progress. */
  private loseInstances(instances: Map<string, EmulatedInstance>, now: number): void {
    for (const agent of this.agents.values()) {
      if (agent.phase === 'gone') continue;
      const inst = instances.get(agent.instanceId);
      if (inst && !LOST_STATES.has(inst.state)) continue;
      if (agent.phase === 'running' && agent.workerId) {
        this.clearml.dropWorker(agent.workerId, Math.min(now, this.lastStepAt ?? now));
      }
      agent.phase = 'gone';
    }
  }

  private nextEvent(agent: Agent, inst: EmulatedInstance | undefined): AgentEvent | null {
    if (agent.phase === 'gone' || !inst) return null;
    if (agent.phase === 'booting') {
      if (inst.state !== 'running' || inst.runningSince === null) return null;
      // The init script died: no agent ever starts (the engine's spin-up limit deals with it).
      if (this.ec2.bootFailureOf?.(agent.instanceId)) return null;
      const at = Math.max(agent.launchedAt + agent.bootDelayMs, inst.runningSince);
      const ok = agent.markers !== null && this.clearml.hasQueue(agent.markers.queue);
      return { at, kind: ok ? 'register' : 'power-off' };
    }
    if (agent.taskId) {
      const task = this.clearml.task(agent.taskId);
      // Someone else changed the task (stopped, failed, requeued it): the agent lets it go at that moment.
      if (!task || task.status !== 'in_progress' || task.lastWorker !== agent.workerId) {
        return { at: Math.max(agent.taskStartedAt, task?.statusChanged ?? agent.taskStartedAt), kind: 'release' };
      }
      if (task.statusMessage === 'stopping' && task.stoppingSince !== null) {
        const at = Math.max(agent.taskStartedAt, task.stoppingSince);
        if (at < agent.taskEndsAt) return { at, kind: 'abort' };
      }
      return { at: agent.taskEndsAt, kind: 'complete' };
    }
    const head = this.clearml.peekTask(agent.markers!.queue);
    if (!head) return null;
    const wait = Math.max(0, head.added - agent.nextPollAt);
    return { at: agent.nextPollAt + Math.ceil(wait / agent.pollMs) * agent.pollMs, kind: 'poll' };
  }

  private apply(agent: Agent, e: AgentEvent): void {
    const workerId = agent.workerId!;
    switch (e.kind) {
      case 'register':
        this.clearml.registerWorker(workerId, [agent.markers!.queue], e.at);
        agent.phase = 'running';
        agent.nextPollAt = e.at;
        return;
      case 'power-off':
        this.ec2.powerOff(
          agent.instanceId,
          agent.markers
            ? `clearml-agent could not start: queue '${agent.markers.queue}' does not exist`
            : 'clearml-agent could not start: the user data has no autoscaler markers',
        );
        agent.phase = 'gone';
        return;
      case 'complete':
        this.clearml.completeTask(agent.taskId!, e.at);
        this.goIdle(agent, e.at);
        return;
      case 'abort':
        this.clearml.abortTask(agent.taskId!, e.at);
        this.goIdle(agent, e.at);
        return;
      case 'release':
        this.clearml.setWorkerTask(workerId, null, e.at);
        this.goIdle(agent, e.at);
        return;
      case 'poll': {
        const taskId = this.clearml.popTask(agent.markers!.queue, e.at);
        agent.nextPollAt = e.at + agent.pollMs;
        const task = taskId ? this.clearml.task(taskId) : null;
        if (!taskId || !task) return;
        this.clearml.setWorkerTask(workerId, taskId, e.at);
        agent.taskId = taskId;
        agent.taskStartedAt = e.at;
        agent.taskEndsAt = e.at + Math.max(0, task.durationSec) * 1000;
        return;
      }
    }
  }

  /** After a task the agent polls again at once (it sleeps only after an empty poll). */
  private goIdle(agent: Agent, at: number): void {
    agent.taskId = null;
    agent.nextPollAt = at;
  }
}

/** Demo mode: steps the simulation on a real timer. Returns a function that stops it. */
export function startRealtimeDriver(step: () => void, everyMs: number, onError?: (err: unknown) => void): () => void {
  const timer = setInterval(() => {
    try {
      step();
    } catch (err) {
      // A failing step must not take the demo (or the app) down with an uncaught timer exception.
      (onError ?? ((e: unknown) => console.error('agent simulator step failed:', e)))(err);
    }
  }, everyMs);
  return () => clearInterval(timer);
}
