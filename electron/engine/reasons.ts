/**
 * The one renderer of the policy's reasons: plan() returns codes and data, and every text a person reads about a
 * decision or an action (the event log, the dry-run line, a queue's last decision, the CLI) is written here.
 */
import type {
  Action,
  Blocker,
  CoolingCause,
  DecisionReason,
  Demand,
  QueueDecision,
  TerminateReason,
} from './policy.js';
import type { KeepWarmReason, NextTaskData, PrewarmReason } from './policy/keep-warm.js';
import { plural } from '../../shared/words.js';

export function formatMinutes(sec: number): string {
  if (sec < 90) return `${Math.round(sec)} s`;
  const min = sec / 60;
  return min < 90 ? `${Math.round(min * 10) / 10} min` : `${Math.round((min / 60) * 10) / 10} h`;
}

/** "3 pending, 0 idle, 1 booting" */
export function renderDemand(d: Demand): string {
  const ahead = d.prewarm ? ` (${d.prewarm} expected: pre-warm)` : '';
  const foreign = d.foreign ? `, ${d.foreign} from ClearML's autoscaler (${d.foreignIdle ?? 0} idle)` : '';
  const freeing = d.freeingSoon ? `, ${d.freeingSoon} busy likely free before a boot` : '';
  return `${d.pending} pending${ahead}, ${d.idle} idle, ${d.booting} booting${freeing}${foreign}`;
}

/** Each cause worded as what it is: a bad AMI read "no capacity" for half an hour (the status says the details). */
const COOLING_TEXT: Record<CoolingCause, (resource: string) => string> = {
  capacity: (r) => `${r} has no capacity right now (cooling down)`,
  config: (r) => `EC2 refuses the settings of ${r} (tried again later; the status says why)`,
  'spot-role': (r) => `spot launches of ${r} are refused: the account lacks the AWSServiceRoleForEC2Spot role`,
};

export function renderBlocker(b: Blocker): string {
  switch (b.code) {
    case 'cooling':
      return COOLING_TEXT[b.cause](b.resource);
    case 'resource-cap':
      return `${b.resource} is at its cap of ${b.max}`;
    case 'global-cap':
      return `the global cap of ${plural(b.max, 'instance')} is reached`;
    case 'budget':
      return b.detail;
  }
}

/**
 * Why a tick did not carry out the launches its plan holds: autoscaling is off (the tick only observes), a dry
 * run, or another engine acts for the prefix (team mode). null: it did. The plan is the same either way, so the
 * text must say which, or a queue reads "launched" while nothing was.
 */
const PAUSE_TEXT: Record<Extract<DecisionReason, { code: 'paused' }>['scope'], string> = {
  all: 'launches are paused',
  queue: 'launches are paused for this queue',
  credentials: 'launches are stopped: credentials were refused (the status says which and what to fix)',
  journal: 'launches wait until the launch journal in the data folder can be written (the status says why)',
};

export type LaunchHold = 'off' | 'dry-run' | 'standby' | null;

const HOLD_TEXT: Record<NonNullable<LaunchHold>, string> = {
  off: 'autoscaling is off',
  'dry-run': 'dry run',
  standby: 'another engine acts',
};

export function renderDecisionReason(r: DecisionReason, held: LaunchHold = null): string {
  switch (r.code) {
    case 'clearml-unreadable':
      return 'holding: ClearML could not be read this tick, so nothing is launched or terminated';
    case 'queue-missing':
      return `queue '${r.queue}' does not exist on the ClearML server: create it there or fix the name`;
    case 'no-pending':
      return 'no pending tasks';
    case 'covered':
      return `${renderDemand(r.demand)}: demand covered`;
    case 'paused':
      return `${renderDemand(r.demand)}: would launch ${r.need} but ${PAUSE_TEXT[r.scope]}`;
    case 'scale-up': {
      const parts = r.launched.map((l) => `${l.count} × ${l.instanceType}`).join(' + ');
      const head = !r.launched.length
        ? `${renderDemand(r.demand)}: need ${r.need}`
        : held
          ? `would launch ${parts} (${HOLD_TEXT[held]}): ${renderDemand(r.demand)}`
          : `launched ${parts}: ${renderDemand(r.demand)}`;
      return r.blockers.length && r.notLaunched > 0
        ? `${head}; ${r.notLaunched} not launched: ${r.blockers.map(renderBlocker).join('; ')}`
        : head;
    }
  }
}

/**
 * A queue's decision as one line ("launched 2 × g4dn.xlarge: 3 pending, 0 idle, 0 booting; ..."; with `held`,
 * "would launch 2 × g4dn.xlarge (autoscaling is off): ...").
 */
export function renderDecision(d: QueueDecision, held: LaunchHold = null): string {
  return renderDecisionReason(d.reason, held);
}

/** Pending work that could not be launched this tick (a cap, a cool-down, a budget stopped it). */
export function leftUnlaunched(d: QueueDecision): boolean {
  return d.reason.code === 'scale-up' && d.reason.notLaunched > 0 && d.reason.blockers.length > 0;
}

export function renderTerminateReason(r: TerminateReason): string {
  switch (r.code) {
    case 'idle':
      return `idle for ${formatMinutes(r.idleSec)} (limit ${formatMinutes(r.maxIdleSec)}) and no pending task on '${r.queue}'`;
    case 'idle-surplus':
      return r.foreignIdle
        ? `idle for ${formatMinutes(r.idleSec)}, no pending task on '${r.queue}', and ${plural(r.foreignIdle, 'idle instance')} of ClearML's autoscaler there take${r.foreignIdle === 1 ? 's' : ''} its next tasks (which this app does not scale down until adopted)`
        : `idle for ${formatMinutes(r.idleSec)}, no pending task on '${r.queue}' and more idle workers than recent demand needs (${r.expected} expected in the next ${formatMinutes(r.maxIdleSec)})`;
    case 'idle-inherited':
      return `idle for ${formatMinutes(r.idleSec)} since the engine started, and for an unknown time before it, with no pending task on '${r.queue}': after a restart an idle worker is kept only ${formatMinutes(r.surplusIdleSec)}`;
    case 'idle-unused': {
      const limit = `was expected (limit ${formatMinutes(r.keptIdleSec)}): workers freeing up take the queue's tasks first`;
      return r.queueIdleWorkers
        ? `${r.queueIdleWorkers} or more idle workers on '${r.queue}' for ${formatMinutes(r.idleSec)} with no pending task, twice as long as the task they were kept for ${limit}`
        : `idle for ${formatMinutes(r.idleSec)} with no pending task on '${r.queue}', twice as long as the task it was kept for ${limit}`;
    }
    case 'idle-ceiling':
      return `idle since before the engine started, with no task or registration known for ${formatMinutes(r.sinceBusySec)} (limit ${formatMinutes(r.maxIdleSec)}) and no pending task on '${r.queue}'`;
    case 'budget':
      return r.detail;
    case 'spin-up':
      return `no ClearML worker registered within the ${r.spinUpMin} min spin-up time: check the AMI, the init script and the instance's console log`;
    case 'worker-lost':
      return `no ClearML worker listed for ${formatMinutes(r.silentSec)} after it had registered (more than the ${r.spinUpMin} min spin-up time while ClearML could be read): the agent stopped or cannot reach the server; check the instance's console log`;
    case 'orphan':
      return `orphan for ${formatMinutes(r.forSec)}: ${r.note ?? 'unexplained'}`;
    case 'stopped':
      return `stopped outside the app for ${formatMinutes(r.stoppedSec)} (not started again within ${formatMinutes(r.graceSec)}): its disks were billing while it did nothing`;
  }
}

/** Why an action is taken, without the action itself. */
export function renderActionReason(a: Action): string {
  switch (a.kind) {
    case 'launch':
      return renderDemand(a.reason.demand);
    case 'terminate':
      return renderTerminateReason(a.reason);
    case 'mark-orphan':
      return `orphan: ${a.reason.note ?? 'unexplained'}`;
    case 'unregister':
      return `worker's instance ${a.reason.instanceId} is gone`;
  }
}

/** The action and its reason, as the dry run logs it. */
export function renderAction(a: Action): string {
  const why = renderActionReason(a);
  switch (a.kind) {
    case 'launch':
      return `launch ${a.count} × ${a.reason.instanceType} (${a.resource}) for '${a.queue}': ${why}`;
    case 'terminate':
      return `terminate ${a.instanceId}: ${why}`;
    case 'mark-orphan':
      return `mark ${a.instanceId} as orphan: ${why}`;
    case 'unregister':
      return `unregister ${a.workerId}: ${why}`;
  }
}

// ---------------------------------------------------------------- keep-warm (policy/keep-warm.ts)

function aboutSec(sec: number): string {
  if (!Number.isFinite(sec)) return 'no time soon';
  if (sec < 90) return `~${Math.round(sec)} s`;
  if (sec < 5400) return `~${Math.round(sec / 60)} min`;
  return `~${Math.round(sec / 360) / 10} h`;
}

const usd = (n: number) => `$${n < 0.1 ? n.toFixed(3) : n.toFixed(2)}`;

/** What a relaunch's price stands for: at the cost preference the boot alone, otherwise the boot and its wait. */
function relaunchWhat(d: NextTaskData): string {
  return d.waitValued ? 'for a boot and its wait' : 'for a boot';
}

/** The event-log line for a keep-warm decision. */
export function keepWarmText(queue: string, r: KeepWarmReason): string {
  switch (r.code) {
    case 'none-idle':
      return `no idle worker on '${queue}' to keep`;
    case 'no-history':
      return r.data.kept > 0
        ? `kept ${r.data.kept} idle on '${queue}' up to the idle limit: too few tasks seen yet to forecast the next`
        : `not keeping idle workers on '${queue}': too few tasks seen yet to forecast the next, and the preference is cost`;
    case 'next-task-soon':
      return `kept ${r.data.kept} idle on '${queue}': next task expected in ${aboutSec(r.data.expectedInSec)}, a relaunch costs more (${usd(r.data.keepUsd)} to keep vs ${usd(r.data.relaunchUsd)} ${relaunchWhat(r.data)})`;
    case 'next-task-far': {
      const go = `letting idle workers on '${queue}' go: next task expected in ${aboutSec(r.data.expectedInSec)}`;
      const by = r.data.stoppedBy;
      if (by?.code === 'idle-limit')
        return `${go}, after the idle limit (${formatMinutes(by.limitSec)}) would stop one kept for it`;
      if (by?.code === 'recent-demand')
        return `${go}, but lately the queue never needed more workers than are busy now`;
      return `${go}, keeping one costs more (${usd(r.data.keepUsd)} vs ${usd(r.data.relaunchUsd)} ${relaunchWhat(r.data)})`;
    }
    case 'busy-queue-margin':
      return `kept ${r.data.kept} idle on '${queue}': its tasks keep about ${Math.round(r.data.loadWorkers)} workers busy on average (${r.data.busy} now), so ${r.data.staffed} stay up while tasks keep coming, the average and its square root for the ups and downs`;
    case 'keep-all':
      return `kept ${r.data.kept} idle on '${queue}' up to the idle limit: tasks are still coming and the preference is shortest waits`;
    case 'stream-paused':
      return `letting idle workers on '${queue}' go: no task for ${aboutSec(r.data.silenceSec)} where one came every ${aboutSec(r.data.meanGapSec)}, so the run of tasks looks over`;
    case 'foreign-covers': {
      const { kept, forecast, foreignIdle } = r.data;
      const theirs = `${plural(foreignIdle, 'idle instance')} of ClearML's autoscaler there take${foreignIdle === 1 ? 's' : ''}`;
      const next =
        forecast === 1
          ? 'the next task the forecast would keep one for'
          : `${foreignIdle === 1 ? 'the first' : `${foreignIdle}`} of the ${forecast} tasks the forecast would keep workers for`;
      return kept === 0
        ? `not keeping idle workers on '${queue}' beside ClearML's: ${theirs} ${next}, so this app's are surplus and go after the surplus idle time`
        : `kept ${kept} idle on '${queue}': ${theirs} ${next}, so this app's beyond ${kept} are surplus and go after the surplus idle time`;
    }
    case 'prewarm-cheaper':
      return `releasing idle workers on '${queue}' now: tasks arrive every ${aboutSec(r.data.periodSec)} and the next is due in ${aboutSec(r.data.expectedInSec)}; starting one again ${aboutSec(r.data.leadSec)} plus a boot ahead of it costs less (${usd(r.data.prewarmUsd)} vs ${usd(r.data.keepUsd)} to keep one)`;
  }
}

export function prewarmText(queue: string, r: PrewarmReason): string {
  return `pre-warming ${r.data.count} on '${queue}': tasks arrive every ${aboutSec(r.data.periodSec)}, the next is due in ${aboutSec(Math.max(0, r.data.dueInSec))}`;
}
