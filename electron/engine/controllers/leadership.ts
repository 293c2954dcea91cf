/**
 * Leadership: whether this engine acts for its (account, region, workers prefix) this tick. With a lease table
 * (`team.leaseTable`) it holds, renews, loses or takes over the leader lease (team/lease-decision.ts decides,
 * team/lease-store.ts writes); without one it detects other engines from the stamps on our instances
 * (team/detection.ts) and holds while another engine acts, until the user decides. Its memory: the lease it holds
 * (when it last renewed) and the other engine's lease version it watches, both rebuilt safely after a restart.
 */
import { effectiveLease, type Config } from '../../../shared/config.js';
import {
  EC2_CALL_TIMEOUT_SEC,
  type LeadershipView,
  type TeamDecision,
  type LeadershipRole,
} from '../../../shared/team.js';
import { errorText } from '../../../shared/error-text.js';
import { ev, type NewEvent } from '../events.js';
import type { Clock, InstanceObs } from '../ports.js';
import { detectionRole, formatStamp, otherEngines, type EngineStamp } from '../team/detection.js';
import type { TeamState } from '../team/identity.js';
import {
  launchMargin,
  leaseValid,
  nextLeaseStep,
  type LaunchMarginHold,
  type LeaseItem,
  type LeaseMemory,
} from '../team/lease-decision.js';
import type { LeaseStore } from '../team/lease-store.js';

export interface LeadershipPorts {
  /** This engine's id and the user's decision (the host opens it from the data folder). */
  team: TeamState | Promise<TeamState>;
  /** The lease store for a config with `team.leaseTable` (the host builds it on the app's AWS credentials). */
  leaseStore?: (config: Config) => LeaseStore | null;
}

export interface LeadershipStep {
  acts: boolean;
  view: LeadershipView;
}

/** What team mode allows this tick: whether to act, the stamp to put on what we launch, and a standby's view. */
export interface TickGate {
  acting: boolean;
  stamp: string | null;
  standby: LeadershipView | null;
}

/**
 * Only the engine that leads (or acts alone) acts; a standby observes and publishes. A dry run never takes the
 * lease (it would keep a real engine from acting) and logs what it would do either way. Without team mode
 * (`leadership` null) the engine acts whenever autoscaling is on.
 */
export async function gateTick(
  leadership: LeadershipController | null,
  config: Config,
  obs: { instances: readonly InstanceObs[]; now: number },
  wantsToAct: boolean,
  emit: (e: NewEvent) => void,
): Promise<TickGate> {
  const { instances, now } = obs;
  const dry = config.scaling.dryRun;
  const lead = await leadership?.step({ config, instances, wantsToAct: wantsToAct && !dry }, emit);
  const acting = wantsToAct && (dry || (lead?.acts ?? true));
  return {
    acting,
    stamp: acting ? (leadership?.stamp(now) ?? null) : null,
    standby: wantsToAct && lead && !lead.acts ? lead.view : null,
  };
}

export class LeadershipController {
  private memory: LeaseMemory = { held: null, seen: null };
  private store: { id: string; store: LeaseStore } | null = null;
  private item: LeaseItem | null = null;
  private role: LeadershipRole | null = null;
  private failing = false;
  private others: EngineStamp[] = [];
  private state: TeamState | null = null;
  private current: LeadershipView | null = null;

  constructor(
    private readonly ports: LeadershipPorts,
    private readonly clock: Clock,
  ) {}

  get view(): LeadershipView | null {
    return this.current;
  }

  /**
   * Re-checked right before acting: a tick slowed down after the lease step (slow EC2 or ClearML answers) must not
   * act once the lease it renewed may have run out.
   */
  stillActs(config: Config): boolean {
    if (!this.current?.acts) return false;
    if (this.current.mode !== 'lease') return true;
    return leaseValid(this.memory.held, this.clock.now(), config.team.leaseSec * 1000);
  }

  /**
   * Re-checked before each batch of launches (lease mode): null when a launch call sent now is over before a
   * standby may take over, else why this engine launches nothing more this tick.
   */
  launchHold(config: Config): LaunchMarginHold | null {
    if (this.current?.mode !== 'lease') return null;
    const timing = { leaseMs: config.team.leaseSec * 1000, graceMs: config.team.graceSec * 1000 };
    return launchMargin(this.memory.held, this.clock.now(), timing, EC2_CALL_TIMEOUT_SEC * 1000);
  }

  /** The tag value this engine stamps on the instances it launches and renews (null until its id is known). */
  stamp(now: number): string | null {
    return this.state ? formatStamp({ ...this.state.identity, at: now }) : null;
  }

  async step(
    input: { config: Config; instances: readonly InstanceObs[]; wantsToAct: boolean },
    emit: (e: NewEvent) => void,
  ): Promise<LeadershipStep> {
    const state = (this.state ??= await this.ports.team);
    const notice = state.takeNotice?.();
    if (notice) emit(ev.teamIdentity(notice));
    const store = this.storeFor(input.config);
    const result = store
      ? await this.leaseStep(input.config, store, input.wantsToAct, emit)
      : await this.detectionStep(input.config, input.instances, state, emit);
    this.current = result.view;
    return result;
  }

  /** Hands the lease over at once (autoscaling turned off, the app quits); a failure only delays the takeover. */
  async release(): Promise<void> {
    const store = this.store?.store;
    if (!store || !this.memory.held || !this.state) return;
    this.memory.held = null;
    await store.release(this.state.identity.engineId).catch(() => undefined);
  }

  /** The user's decision in detection mode: covers the engines seen now (a new one raises a conflict again). */
  async decide(decision: TeamDecision | null, config: Config): Promise<void> {
    const state = (this.state ??= await this.ports.team);
    if (config.team.leaseTable)
      throw new Error(`the lease table '${config.team.leaseTable}' decides which engine acts; no decision is needed`);
    await state.setDecision(
      decision
        ? {
            decision,
            engines: this.others.length ? this.others.map((o) => o.engineId) : null,
            at: this.clock.now(),
          }
        : null,
    );
  }

  private storeFor(config: Config): LeaseStore | null {
    const table = config.team.leaseTable;
    if (!table || !this.ports.leaseStore) {
      this.closeStore();
      return null;
    }
    const id = `${table}|${config.team.leaseRegion ?? config.aws.region}|${config.scaling.workersPrefix}`;
    if (this.store?.id === id) return this.store.store;
    this.closeStore();
    const store = this.ports.leaseStore(config);
    if (store) this.store = { id, store };
    return store;
  }

  private closeStore(): void {
    if (!this.store) return;
    this.store.store.close();
    this.store = null;
    this.memory = { held: null, seen: null };
    this.item = null;
  }

  private async leaseStep(
    config: Config,
    store: LeaseStore,
    wantsToAct: boolean,
    emit: (e: NewEvent) => void,
  ): Promise<LeadershipStep> {
    const me = this.state!.identity;
    const timing = { leaseMs: config.team.leaseSec * 1000, graceMs: config.team.graceSec * 1000 };
    let problem: string | null = null;
    try {
      if (!wantsToAct) {
        // Observe-only (autoscaling off): read who leads, never write.
        this.item = await store.read();
      } else {
        const item = this.memory.held ? undefined : await store.read();
        if (item !== undefined) this.item = item;
        const now = this.clock.now();
        const { step, seen } = nextLeaseStep({ now, me: me.engineId, item, memory: this.memory, timing });
        this.memory.seen = seen;
        if (step.kind === 'write') {
          const sentAt = this.clock.now();
          const w = await store.write(
            {
              holderId: me.engineId,
              holderHost: me.host,
              acquiredAt: step.acquiredAt,
              expiresAt: sentAt + timing.leaseMs,
            },
            step.condition,
          );
          if (w.ok) {
            this.memory.held = { sentAt, acquiredAt: step.acquiredAt };
            this.memory.seen = null;
            this.item = {
              holderId: me.engineId,
              holderHost: me.host,
              acquiredAt: step.acquiredAt,
              expiresAt: sentAt + timing.leaseMs,
              rvn: w.rvn,
            };
          } else {
            // Another engine wrote first (a renewal between our read and our write, or it took our lease over).
            this.memory.held = null;
            this.item = await store.read();
          }
        }
      }
      if (this.failing) emit(ev.leaseBack(store.table));
      this.failing = false;
    } catch (e) {
      problem = errorText(e);
      if (!this.failing) emit(ev.leaseUnavailable(store.table, problem));
      this.failing = true;
    }
    const now = this.clock.now();
    const valid = leaseValid(this.memory.held, now, timing.leaseMs);
    if (this.memory.held && !valid) this.memory.held = null;
    const holder = this.item && this.item.holderId !== me.engineId ? this.item : null;
    const role: LeadershipRole = valid
      ? 'leader'
      : holder
        ? 'standby'
        : problem
          ? 'unknown'
          : wantsToAct
            ? 'unknown'
            : 'standby';
    this.noteRole(role, holder, timing, emit);
    return {
      acts: valid && wantsToAct,
      view: {
        role,
        acts: valid && wantsToAct,
        mode: 'lease',
        engineId: me.engineId,
        host: me.host,
        leader: valid ? { ...me } : holder ? { engineId: holder.holderId, host: holder.holderHost } : null,
        since: valid ? this.memory.held!.acquiredAt : (holder?.acquiredAt ?? null),
        expiresAt: valid ? this.memory.held!.sentAt + timing.leaseMs : (holder?.expiresAt ?? null),
        takeoverAfterSec: (timing.leaseMs + timing.graceMs) / 1000,
        decision: null,
        problem,
      },
    };
  }

  private noteRole(
    role: LeadershipRole,
    holder: LeaseItem | null,
    timing: { leaseMs: number; graceMs: number },
    emit: (e: NewEvent) => void,
  ): void {
    const was = this.role;
    this.role = role;
    if (was === role) return;
    if (role === 'leader') emit(ev.leadershipGained(this.store?.store.table ?? ''));
    else if (was === 'leader')
      emit(ev.leadershipLost(holder ? { engineId: holder.holderId, host: holder.holderHost } : null, timing.leaseMs));
    else if (role === 'standby' && holder)
      emit(
        ev.standingBy({ engineId: holder.holderId, host: holder.holderHost }, (timing.leaseMs + timing.graceMs) / 1000),
      );
  }

  private async detectionStep(
    config: Config,
    instances: readonly InstanceObs[],
    state: TeamState,
    emit: (e: NewEvent) => void,
  ): Promise<LeadershipStep> {
    const me = state.identity;
    const now = this.clock.now();
    this.others = otherEngines({ now, me: me.engineId, instances, windowMs: effectiveLease(config).leaseMin * 60_000 });
    let decision = state.decision();
    const outcome = detectionRole(this.others, decision);
    if (outcome.role === 'solo' && outcome.bind && decision) {
      decision = { ...decision, engines: outcome.bind };
      await state.setDecision(decision).catch(() => undefined);
    }
    const other = this.others[0] ?? null;
    const was = this.role;
    this.role = outcome.role;
    if (was !== outcome.role) {
      if (outcome.role === 'conflict') {
        // A new id after a lost team.json sees this folder's own earlier stamps, with this host's name, as another's.
        const reset = state.reset && !state.reset.recoveredFrom ? state.reset.cause : null;
        emit(ev.otherEngine(this.others, reset && this.others.some((o) => o.host === me.host) ? reset : null));
      } else if (outcome.role === 'standby') emit(ev.standingByDecided(other));
      else if (was === 'conflict' || was === 'standby') emit(ev.actingAgain(outcome.reason));
    }
    return {
      acts: outcome.acts,
      view: {
        role: outcome.role,
        acts: outcome.acts,
        mode: 'detection',
        engineId: me.engineId,
        host: me.host,
        leader: other ? { engineId: other.engineId, host: other.host } : null,
        since: other?.at ?? null,
        expiresAt: null,
        takeoverAfterSec: null,
        decision: decision?.decision ?? null,
        problem: null,
      },
    };
  }
}
