/**
 * The engine's side of adoption (decisions in adoption.ts): each tick, look up in EC2 the instances of our-prefix
 * workers that are not ours, remember them as capacity; on the user's confirmation, tag them as ours.
 */
import type { Config } from '../../shared/config.js';
import { isLiveState, type AdoptableView } from '../../shared/domain.js';
import {
  adoptableViews,
  adoptionPlan,
  adoptionTags,
  blockerText,
  notAnAutoscalers,
  foreignCandidates,
  lookupsThisTick,
  triageWorkers,
  type ScriptRead,
  type ForeignWorker,
  type WorkerTriage,
} from './adoption.js';
import {
  TAG,
  type ClearmlApi,
  type Clock,
  type Ec2Api,
  type InstanceObs,
  type QueueObs,
  type WorkerObs,
} from './ports.js';
import type { InFlightLaunch } from './policy.js';
import type { EventLog } from './controllers/event-log.js';
import { errorText } from '../../shared/error-text.js';
import {
  idleOurs,
  OUTSIDE_TERMINATION_HOLD_MS,
  otherAutoscalerSigns,
  otherAutoscalerText,
  otherPrefixText,
  otherPrefixWorkers,
  type OtherAutoscalerSign,
} from './other-autoscaler.js';
import { plural } from '../../shared/words.js';
import { parseWorkerId } from './workers.js';

export interface AdoptionResult {
  adopted: string[];
  refused: { instanceId: string; reason: string }[];
}

/** The most startup scripts read per tick (one DescribeInstanceAttribute each; each instance's is read once). */
export const MAX_SCRIPT_READS_PER_TICK = 20;
/** A script that could not be read (a missing permission, say) is asked for again after this long. */
export const SCRIPT_RETRY_MS = 10 * 60_000;

/** A startup script as read, and when (a failed read is retried after SCRIPT_RETRY_MS). */
export type ScriptMemory = Map<string, ScriptRead & { at: number }>;

/**
 * Reads the startup scripts of live instances without our tags that are not read yet (adoption's evidence,
 * `autoscalerEvidence`), at most MAX_SCRIPT_READS_PER_TICK; a failed read is kept, with its error, for the reason.
 */
async function readScripts(ec2: Ec2Api, instances: readonly InstanceObs[], scripts: ScriptMemory, now: number) {
  const due = instances
    .filter((i) => isLiveState(i.state))
    .filter((i) => {
      const s = scripts.get(i.instanceId);
      return !s || ('error' in s && now - s.at >= SCRIPT_RETRY_MS);
    })
    .slice(0, MAX_SCRIPT_READS_PER_TICK);
  await Promise.all(
    due.map(async (i) => {
      if (!ec2.userData) {
        scripts.set(i.instanceId, { error: 'this EC2 client cannot read it', at: now });
        return;
      }
      try {
        scripts.set(i.instanceId, { text: await ec2.userData(i.instanceId), at: now });
      } catch (e) {
        scripts.set(i.instanceId, { error: errorText(e), at: now });
      }
    }),
  );
}

/**
 * Looks the candidates up in EC2, at most MAX_LOOKUPS_PER_TICK of them (`lookupsThisTick`). `absentSince`
 * remembers across ticks when EC2 last said a candidate's instance does not exist; it is updated here. An EC2
 * failure (or a port without the lookup) yields `looked: null`. `scripts` remembers the startup scripts read
 * (`readScripts`), forgotten with their candidate.
 */
export async function observeForeignWorkers(
  ec2: Ec2Api,
  input: Omit<Parameters<typeof triageWorkers>[0], 'looked' | 'asked' | 'scripts'>,
  absentSince: Map<string, number>,
  now: number,
  scripts: ScriptMemory = new Map(),
  /**
   * Instances this app terminated (EC2 accepted the call): their idle workers are zombies without asking EC2 again,
   * so the workers of a mass termination, unregistered a few a tick, do not cost lookups meanwhile.
   */
  terminatedByUs: ReadonlyMap<string, number> = new Map(),
): Promise<WorkerTriage & { lookupError: string | null }> {
  const all = foreignCandidates(
    input.workers,
    input.config.scaling.workersPrefix,
    new Set(input.ours.map((i) => i.instanceId)),
    input.inFlightIds,
  );
  const candidates = all.filter((id) => !terminatedByUs.has(id));
  const triaged = await lookUpAndTriage(ec2, input, candidates, absentSince, now, scripts);
  if (candidates.length === all.length) return triaged;
  const prefix = input.config.scaling.workersPrefix;
  for (const w of input.workers) {
    const p = parseWorkerId(w.id);
    if (p && p.prefix === prefix && !w.task && terminatedByUs.has(p.instanceId)) triaged.zombies.add(w.id);
  }
  return triaged;
}

async function lookUpAndTriage(
  ec2: Ec2Api,
  input: Omit<Parameters<typeof triageWorkers>[0], 'looked' | 'asked' | 'scripts'>,
  candidates: readonly string[],
  absentSince: Map<string, number>,
  now: number,
  scripts: ScriptMemory,
): Promise<WorkerTriage & { lookupError: string | null }> {
  const current = new Set(candidates);
  for (const id of absentSince.keys()) if (!current.has(id)) absentSince.delete(id);
  for (const id of scripts.keys()) if (!current.has(id)) scripts.delete(id);
  if (!candidates.length) return { ...triageWorkers({ ...input, looked: new Map() }), lookupError: null };
  const ids = lookupsThisTick([...candidates], absentSince);
  let looked: Map<string, InstanceObs> | null = null;
  let lookupError: string | null = null;
  if (ec2.describeInstancesById) {
    try {
      looked = new Map((await ec2.describeInstancesById(ids)).map((i) => [i.instanceId, i]));
      for (const id of ids) {
        if (looked.has(id)) absentSince.delete(id);
        else absentSince.set(id, now);
      }
    } catch (e) {
      lookupError = errorText(e);
    }
  }
  const prefix = input.config.scaling.workersPrefix;
  if (looked)
    await readScripts(
      ec2,
      [...looked.values()].filter((i) => i.tags[TAG.prefix] !== prefix),
      scripts,
      now,
    );
  return { ...triageWorkers({ ...input, looked, asked: new Set(ids), scripts }), lookupError };
}

/** How often, at most, workers of every prefix are listed (while tasks wait). */
export const OTHER_PREFIX_EVERY_MS = 10 * 60_000;

export class AdoptionController {
  /** As of the last tick. */
  private foreign: ForeignWorker[] = [];
  /** Candidates EC2 last answered absent for, and when (see `lookupsThisTick`). */
  private readonly absentSince = new Map<string, number>();
  /** Their startup scripts, read once each (adoption's evidence). */
  private readonly scripts: ScriptMemory = new Map();
  /** Whether ClearML's autoscaler still runs (other-autoscaler.ts): the first tick, and what the last one saw. */
  private startedAt: number | null = null;
  private idleBefore = new Set<string>();
  /** Outside terminations seen, held for OUTSIDE_TERMINATION_HOLD_MS; the warning is said once while any sign holds. */
  private readonly outside = new Map<string, OtherAutoscalerSign>();
  private holding: OtherAutoscalerSign | null = null;
  /** Workers of other prefixes: when they were last listed, and the prefixes already said (once each). */
  private otherPrefixesAt: number | null = null;
  private readonly otherPrefixesSaid = new Set<string>();

  constructor(
    private readonly deps: {
      ec2: Ec2Api;
      /** For the workers of other prefixes (`otherPrefixWorkers`); without `listAllWorkers`, not looked for. */
      clearml?: Pick<ClearmlApi, 'listAllWorkers'>;
      clock: Clock;
      /** `emitOnce` says a repeated message once in a while only. */
      log: Pick<EventLog, 'emit' | 'emitOnce'>;
    },
  ) {}

  async observe(
    config: Config,
    workers: readonly WorkerObs[],
    ours: readonly InstanceObs[],
    inFlight: readonly InFlightLaunch[],
    /** The tick's time (AWS's, as launch times are) and what this app terminated; only while the engine acts. */
    tick?: { now: number; terminatedByUs: ReadonlyMap<string, number> },
  ): Promise<WorkerTriage> {
    // A launch EC2 does not list yet is ours, not a stranger's.
    const inFlightIds = new Set(inFlight.flatMap((f) => (f.instanceId ? [f.instanceId] : [])));
    const t = await observeForeignWorkers(
      this.deps.ec2,
      { config, workers, ours, inFlightIds },
      this.absentSince,
      this.deps.clock.now(),
      this.scripts,
      tick?.terminatedByUs,
    );
    if (t.lookupError)
      this.deps.log.emitOnce('foreign-lookup', {
        level: 'warn',
        kind: 'error',
        message: `workers without an instance of ours could not be looked up in EC2 (${t.lookupError}): none is unregistered until they can`,
      });
    // Only instances not shown to be someone else's are said to be ClearML's; the others are named apart, once each.
    const launched = t.foreign.filter((f) => !notAnAutoscalers(f));
    const one = launched.length === 1;
    if (launched.length)
      this.deps.log.emitOnce(`foreign|${launched.map((f) => f.instanceId).join(',')}`, {
        level: 'info',
        kind: 'engine',
        instanceIds: launched.map((f) => f.instanceId),
        message: `${plural(launched.length, 'worker')} of prefix '${config.scaling.workersPrefix}' ${one ? 'runs on an instance' : 'run on instances'} ClearML's autoscaler launched: counted as capacity and never unregistered; adopt ${one ? 'it' : 'them'} to let this app scale ${one ? 'it' : 'them'} down`,
      });
    for (const f of t.foreign)
      if (notAnAutoscalers(f))
        this.deps.log.emitOnce(`stranger|${f.instanceId}`, {
          level: 'warn',
          kind: 'engine',
          instanceIds: [f.instanceId],
          message: `worker ${f.workerId} names instance ${f.instanceId}, which no autoscaler launched: ${blockerText(f.blocker!)}; the worker counts as capacity, but this app never adopts, tags or terminates that instance`,
        });
    this.foreign = t.foreign;
    if (tick) await this.watchOtherAutoscaler(config, workers, ours, tick.now, tick.terminatedByUs);
    // Not watching: what was idle then says nothing about an instance gone by the next watched tick.
    else this.idleBefore.clear();
    return t;
  }

  /** Says once, while its signs hold, that ClearML's autoscaler seems to run still; cleared when none holds. */
  private async watchOtherAutoscaler(
    config: Config,
    workers: readonly WorkerObs[],
    ours: readonly InstanceObs[],
    now: number,
    terminatedByUs: ReadonlyMap<string, number>,
  ): Promise<void> {
    const startedAt = (this.startedAt ??= now);
    // The listing leaves terminated instances out, and shutting-down lasts seconds: an idle one of ours gone from
    // it that this app did not end is looked up by id (rare, a few ids), for how it ended.
    const listed = new Set(ours.map((i) => i.instanceId));
    const vanished = [...this.idleBefore].filter((id) => !listed.has(id) && !terminatedByUs.has(id));
    let ended: InstanceObs[] = [];
    // A failed lookup says nothing: the warning is a hint, and the next outside termination gives it again.
    if (vanished.length && this.deps.ec2.describeInstancesById)
      ended = await this.deps.ec2.describeInstancesById(vanished, { includeTerminated: true }).catch(() => []);
    const signs = otherAutoscalerSigns({
      now,
      startedAt,
      // A stranger's instance named by a worker of our prefix says nothing about ClearML's autoscaler.
      foreign: this.foreign.filter((f) => !notAnAutoscalers(f)),
      ours: [...ours, ...ended],
      idleBefore: this.idleBefore,
      terminatedByUs,
    });
    this.idleBefore = idleOurs(ours, workers, config.scaling.workersPrefix);
    for (const s of signs) if (s.code === 'idle-ours-terminated-outside') this.outside.set(s.instanceId, s);
    for (const [id, s] of this.outside)
      if (s.code === 'idle-ours-terminated-outside' && now - s.seenAt > OUTSIDE_TERMINATION_HOLD_MS)
        this.outside.delete(id);
    const holding = signs[0] ?? [...this.outside.values()][0] ?? null;
    if (holding && !this.holding)
      this.deps.log.emit({
        level: 'warn',
        kind: 'engine',
        instanceIds: [holding.instanceId],
        message: otherAutoscalerText(holding),
      });
    this.holding = holding;
  }

  /**
   * While tasks wait on a configured queue, at most every OTHER_PREFIX_EVERY_MS (one extra ClearML call): idle
   * workers there named as ClearML's autoscaler names them under another prefix, said once per prefix.
   */
  async watchOtherPrefixes(config: Config, queues: readonly QueueObs[]): Promise<void> {
    const list = this.deps.clearml?.listAllWorkers;
    const now = this.deps.clock.now();
    if (!list || !queues.some((q) => q.entries.length)) return;
    if (this.otherPrefixesAt !== null && now - this.otherPrefixesAt < OTHER_PREFIX_EVERY_MS) return;
    this.otherPrefixesAt = now;
    let workers: WorkerObs[];
    try {
      workers = await list.call(this.deps.clearml);
    } catch {
      return; // A hint only: the next check tries again.
    }
    const prefix = config.scaling.workersPrefix;
    for (const o of otherPrefixWorkers(workers, prefix, new Set(Object.keys(config.queues)))) {
      if (this.otherPrefixesSaid.has(o.prefix)) continue;
      this.otherPrefixesSaid.add(o.prefix);
      this.deps.log.emit({
        level: 'warn',
        kind: 'engine',
        ...(o.queues.length === 1 ? { queue: o.queues[0] } : {}),
        instanceIds: o.workerIds.map((id) => id.slice(id.lastIndexOf(':') + 1)),
        message: otherPrefixText(o, prefix),
      });
    }
  }

  /** The warning while ClearML's autoscaler seems to run still, for the status; null otherwise. */
  otherAutoscalerWarning(): string | null {
    return this.holding && otherAutoscalerText(this.holding);
  }

  /** `price`: an instance's hourly price, so what keeps running unadopted is named with what it costs. */
  views(price?: (i: InstanceObs) => number): AdoptableView[] {
    const byId = new Map(this.foreign.map((f) => [f.instanceId, f.instance]));
    return adoptableViews(this.foreign).map((v) => {
      const i = byId.get(v.instanceId)!;
      return { ...v, live: isLiveState(i.state), ...(price ? { hourlyPrice: price(i) } : {}) };
    });
  }

  /** Tags the requested instances as ours (the user confirmed); only workers seen at the last tick qualify. */
  async adopt(config: Config, requested: readonly string[] | 'all'): Promise<AdoptionResult> {
    const { adopt, refused } = adoptionPlan(this.foreign, requested);
    const adopted: string[] = [];
    // AWS's time, as the tick's (aws-clock.ts): the lease tag written here is read on the instance's clock.
    const now = this.deps.clock.now() + (this.deps.ec2.awsClockOffsetMs?.() ?? 0);
    for (const f of adopt) {
      try {
        await this.deps.ec2.createTags([f.instanceId], adoptionTags(config, f, now));
        adopted.push(f.instanceId);
      } catch (e) {
        refused.push({
          instanceId: f.instanceId,
          reason: `tagging failed: ${errorText(e)}`,
        });
      }
    }
    if (adopted.length) {
      this.foreign = this.foreign.filter((f) => !adopted.includes(f.instanceId));
      this.deps.log.emit({
        level: 'info',
        kind: 'engine',
        count: adopted.length,
        instanceIds: adopted,
        message: `adopted ${plural(adopted.length, 'instance')} launched by ClearML's autoscaler (${adopted.join(', ')}): from now on they are scaled like this app's own`,
      });
    }
    return { adopted, refused };
  }
}
