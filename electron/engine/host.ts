/**
 * Hosts one engine for a process (Electron main, the browser preview, the headless CLI): builds the real clients
 * from the config and credentials, runs ticks one at a time on the polling interval, and implements the
 * EngineController the UI talks to. Demo mode points the same clients at the in-process emulators.
 */
import path from 'node:path';
import { z } from 'zod';
import { effectiveLease, type Config } from '../../shared/config.js';
import {
  emptySnapshot,
  EngineEventSchema,
  isLiveState,
  type EngineEvent,
  type InstanceView,
} from '../../shared/domain.js';
import { awayReport } from './away.js';
import { dataDirFault, faultWords } from './data-dir-fault.js';
import { credentialsCode, ev } from './events.js';
import { createClearmlClient } from './clearml/client.js';
import type { ClearmlCredentials, EngineController, ResolvedCredentials } from './controller.js';
import type { DemoEmulation } from './demo.js';
import { createEc2Provider } from './ec2/provider.js';
import { TokenBucket } from './ec2/throttle.js';
import { Engine, type EngineDeps, type TickResult } from './engine.js';
import { historylessText } from './controllers/costs.js';
import { EventLog, MAX_EVENTS, SNAPSHOT_EVENTS } from './controllers/event-log.js';
import { KeptFileWriter, readKeptFileSync, type KeptFileOptions } from './kept-file.js';
import { KeptWarmSchema } from './policy/warm-memory.js';
import { errorText } from '../../shared/error-text.js';
import { systemClock, type ClearmlApi, type Clock, type Ec2Api } from './ports.js';
import { CostHistory } from './cost/history.js';
import { PriceBook } from './cost/price-book.js';
import { createPricingSource } from './cost/pricing-client.js';
import { CostTracker } from './cost/tracker.js';
import { createPriceLookup } from './prices.js';
import { createMainStore, publish, type MainStore } from './store.js';
import { userDataBuilder } from './userdata/userdata.js';
import { createCrashSafety } from './reliability/recovery.js';
import { buildInstanceDetail, tailLines, wantsConsole } from './timeline/instance-detail.js';
import { markerOf, sampleOf } from './timeline/from-snapshot.js';
import { TimelineRecorder } from './timeline/recorder.js';
import type { ConsoleTail, InstanceDetail } from '../../shared/instance-detail.js';
import type { Timeline, TimelineRange } from '../../shared/timeline.js';
import { stopEverything, type StopEverythingReport } from './reliability/regions.js';
import { memoryTeamState, openTeamState, type TeamState } from './team/identity.js';
import { createDynamoLeaseStore, type LeaseStore } from './team/lease-store.js';
import { ensureLeaseTable } from './team/lease-table.js';
import { plural } from '../../shared/words.js';
import { redact } from '../../shared/ipc/redact.js';
import { createRunTempDir, type RunTempDir } from './temp-dir.js';

export interface EngineHostOptions {
  store?: MainStore;
  clock?: Clock;
  onEvent?: (e: EngineEvent) => void;
  /** Where the engine keeps its small durable state (price cache, launch intents). */
  dataDir?: string;
  /**
   * While autoscaling is off, go on observing (read-only) every polling interval, so a window and a tray stay true
   * about the queues and about what still runs and bills. Hosts with someone watching (the desktop app, the browser
   * preview, a served team engine) turn it on; a headless run or a test that counts ticks leaves it off (default).
   */
  watchWhileOff?: boolean;
  /** Test seams; default to the real clients. */
  /** `missing`: with no credentials, why (the error every call reports). */
  makeClearml?: (config: Config, creds: ClearmlCredentials | null, missing?: string) => ClearmlApi;
  makeEc2?: (config: Config, creds: ResolvedCredentials['aws']) => Ec2Api;
  /**
   * This install's engine id and team decision (default: `team.json` in `dataDir`, else new in memory). A harness
   * that restarts "the same install" without a data folder passes one and keeps it.
   */
  teamState?: TeamState | Promise<TeamState>;
  /** Test seam: the leader lease store of a config with `team.leaseTable` (default: DynamoDB). */
  makeLeaseStore?: (config: Config, creds: ResolvedCredentials['aws']) => LeaseStore | null;
  /**
   * Runs once after every configure, before the first tick of the new engine: crash recovery (resolve launch
   * intents a previous process left open and seed them as in-flight) goes here.
   */
  recover?: (engine: Engine, clients: { clearml: ClearmlApi; ec2: Ec2Api }, config: Config) => Promise<void>;
  /**
   * Crash-safe launches (intent journal) and the launch-region registry, in `dataDir`. Default: on when a data
   * folder is given.
   */
  crashSafety?: boolean;
  /** How the engine words connection problems (default: for the app's Settings screens). */
  reporting?: EngineDeps['reporting'];
  /** Extra engine dependencies (crash-safe launch journal, budget check). */
  engineExtras?: Partial<Pick<EngineDeps, 'beforeLaunchAttempt' | 'afterLaunch' | 'launchConcurrency'>>;
}

export interface EngineHost extends EngineController {
  readonly demo: boolean;
  readonly config: Config | null;
  startDemo(opts?: { enable?: boolean; dryRun?: boolean }): Promise<void>;
  /**
   * Ends the demo while the app runs: its world and everything it made up are dropped, and the host is as it was
   * before the demo (nothing configured, the data folder's files in use again). The caller applies the saved
   * config, if there is one.
   */
  stopDemo(): Promise<void>;
  /**
   * Turn autoscaling off and terminate every instance carrying our prefix in every region the app ever launched in
   * (the demo: its emulated region only).
   */
  stopEverything(): Promise<StopEverythingReport>;
  /** Run one tick now (the loop's own tick if one is running). */
  tickNow(): Promise<TickResult | null>;
  /** Observe and publish now (acting only if autoscaling is on): after out-of-band changes. */
  refresh(): Promise<void>;
  timeline(hours: TimelineRange, after?: number): Promise<Timeline>;
  instanceDetail(instanceId: string): Promise<InstanceDetail>;
  /** The demo's emulated world (null outside the demo): for tests and tools that stage a scenario. */
  readonly demoEmulation: DemoEmulation | null;
  readonly engine: Engine | null;
  readonly clients: { clearml: ClearmlApi; ec2: Ec2Api } | null;
}

const PRICE_REFRESH_MS = 3600_000;
/** The event log is written at most this often (and when the host stops). */
const EVENTS_FLUSH_MS = 5_000;
const EventsFileSchema = z.object({ version: z.literal(1), events: z.array(EngineEventSchema).max(MAX_EVENTS) });
/** The keep-warm memory is written at most this often (and when the host stops). */
const WARM_FLUSH_MS = 15_000;
/** How long `stop` lets a price read in flight finish. */
const STOP_PRICE_WAIT_MS = 3_000;

/** A real-time wait that does not keep the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** How long after a failed open the cost history is tried again. */
const HISTORY_RETRY_MS = 60_000;
const HISTORY_OPENED_AGAIN = 'the cost history opened: spend is recorded and every budget cap is enforced again';
const RECOVERED = 'the data folder can be written again: the launch journal is up to date and launches resume';

/**
 * What a failed recovery means, in words: which file or folder, and what to do. A full or read-only disk names the
 * data folder (the system's message names only the call); launches wait, scale-down does not.
 */
export function recoveryProblem(err: unknown, dataDir: string | undefined): string {
  const fault = dataDirFault(err);
  const why = fault ? faultWords(fault, dataDir ? `the data folder ${dataDir}` : 'the data folder') : null;
  const text = errorText(err);
  // The journal's own message already says what it means for launches and what to check.
  if (!why && text.startsWith('the launch journal')) return `${text} (idle instances are still scaled down)`;
  const detail = why ? `${why} (${text})` : text;
  return `${detail}: nothing is launched until the launch journal there is up to date (idle instances are still scaled down); free some space or fix the folder's permissions`;
}

export function createEngineHost(opts: EngineHostOptions = {}): EngineHost {
  const store = opts.store ?? createMainStore();
  const clock = opts.clock ?? systemClock;
  let config: Config | null = null;
  let engine: Engine | null = null;
  /** The engine that ran the last tick: the next config's engine takes over its memory (`Engine.carryFrom`). */
  let lastTicked: Engine | null = null;
  let clients: { clearml: ClearmlApi; ec2: Ec2Api } | null = null;
  let demoEmulation: DemoEmulation | null = null;
  let enabled = false;
  let loop: Promise<void> | null = null;
  let wake: AbortController | null = null;
  let current: Promise<TickResult> | null = null;
  /** The observe-only loop while autoscaling is off (`watchWhileOff`), and what wakes it to end. */
  let watching: Promise<void> | null = null;
  let watchWake: AbortController | null = null;
  let stopping = false;
  let stopped: Promise<void> | null = null;
  let priceRefresh: (() => void) | null = null;
  /** The price refresh a tick started and nobody awaits; `stop` lets it finish (briefly) before closing. */
  let priceRefreshing: Promise<void> | null = null;
  let pendingRecovery: (() => Promise<void>) | null = null;
  /** Why the last recovery failed (launches held until one succeeds), said once when it starts and when it ends. */
  let recoveryFailing: string | null = null;
  let lastCreds: ResolvedCredentials | null = null;
  const openCrashSafety = () =>
    opts.dataDir && (opts.crashSafety ?? true) ? createCrashSafety({ dir: opts.dataDir, clock }) : null;
  let crash = openCrashSafety();
  // The cost history is one append-only journal per data folder, opened once and shared by every engine.
  let historyP: Promise<CostHistory | null> | null = null;
  /** Where the cost history is: the data folder, or the demo's own temporary folder once the demo runs. */
  let historyDir = opts.dataDir;
  /** The demo's folder (its made-up spend), removed when the host stops. */
  let demoDir: RunTempDir | null = null;
  /** The data folder's history, if it was open when the demo started: closed when the host stops. */
  let retiredHistory: Promise<CostHistory | null> | null = null;
  /**
   * Why the history last failed to open (the file and the error) and when: the engines judge the budgets without it
   * meanwhile (`HistorylessBudgets`), and it is opened again a minute later (a file fixed by the user, a disk
   * remounted), not only at the next restart.
   */
  let historyFailure: { problem: string; at: number } | null = null;
  /** Each engine's price book (its config's region), for the tracker of a history opened after its start. */
  const books = new WeakMap<Engine, PriceBook>();
  const openHistory = () => {
    if (historyP && historyFailure && historyDir && clock.now() - historyFailure.at >= HISTORY_RETRY_MS)
      historyP = null;
    const file = historyDir && path.join(historyDir, 'cost-history.jsonl');
    return (historyP ??= file
      ? CostHistory.open({
          file,
          clock,
          onProblem: (message) => log.emit({ level: 'warn', kind: 'engine', message }),
        }).then(
          (h) => {
            if (historyFailure) log.emit({ level: 'info', kind: 'engine', message: HISTORY_OPENED_AGAIN });
            historyFailure = null;
            return h;
          },
          (e: unknown) => {
            const problem = `${file}: ${errorText(e)}`;
            // Said once per distinct failure, not every minute it is tried again.
            if (historyFailure?.problem !== problem)
              log.emit({ level: 'error', kind: 'error', message: historylessText(problem) });
            historyFailure = { problem, at: clock.now() };
            return null;
          },
        )
      : Promise.resolve(null));
  };
  /** Before a tick: an engine without its history gets it once it opens, else is told why it has none. */
  const attachHistory = async (e: Engine) => {
    const history = await openHistory();
    const book = books.get(e);
    if (history && book) e.attachCosts(new CostTracker(history, book));
    else if (historyFailure) e.costsUnavailable(historyFailure.problem);
  };
  // This install's engine id and the user's team decision: one per data folder, shared by every engine it hosts.
  const teamState: Promise<TeamState> = opts.teamState
    ? Promise.resolve(opts.teamState)
    : opts.dataDir
      ? openTeamState(opts.dataDir).catch(() => memoryTeamState())
      : Promise.resolve(memoryTeamState());
  // One token bucket per region for the whole process, so the EC2 rate limit is app-wide, not per client.
  const limiters = new Map<string, TokenBucket>();
  const limiterFor = (region: string) => {
    let l = limiters.get(region);
    if (!l) limiters.set(region, (l = new TokenBucket({ ratePerSec: 5, burst: 10, clock })));
    return l;
  };

  // The scaling timeline records what is published (a sample per successful poll, a marker per event), so it needs
  // nothing from inside the tick; kept in timeline.json in the data folder.
  const timelineProblem = (message: string) => log.emit({ level: 'warn', kind: 'engine', message });
  const openTimeline = () =>
    TimelineRecorder.open({
      ...(opts.dataDir ? { file: path.join(opts.dataDir, 'timeline.json') } : {}),
      clock,
      onProblem: timelineProblem,
    });
  let timelineP = openTimeline();
  store.subscribe((s, prev) => {
    if (s.lastTickOkAt !== null && s.lastTickOkAt !== prev.lastTickOkAt) {
      const sample = sampleOf(s, s.lastTickOkAt);
      void timelineP.then((t) => t.add(sample));
    }
  });
  const recordEvent = (e: EngineEvent) => {
    // The store still holds the snapshot from before this tick, which lists an instance that just vanished.
    const listed = store.getState().instances;
    const marker = markerOf(e, (id) => listed.find((i) => i.instanceId === id)?.market);
    if (marker) void timelineP.then((t) => t.mark(marker));
    eventsWriter?.touch();
    opts.onEvent?.(e);
  };
  /** A file the host keeps in the data folder (none without one); a problem with it is logged once in 10 min. */
  const keptFile = (name: string, what: string, flushMs: number): KeptFileOptions | null =>
    opts.dataDir
      ? {
          file: path.join(opts.dataDir, name),
          clock,
          what,
          flushMs,
          onProblem: (message) => log.emitOnce(`kept-file|${name}`, { level: 'warn', kind: 'engine', message }),
        }
      : null;
  // One event log for the host's life, kept in events.json in the data folder: a new config's engine and the next
  // start go on with the same history.
  const eventsFile = keptFile('events.json', 'the event log', EVENTS_FLUSH_MS);
  let unreadable: string | null = null;
  const kept = eventsFile
    ? readKeptFileSync({ ...eventsFile, onProblem: (m) => (unreadable = m) }, EventsFileSchema)
    : undefined;
  const log = new EventLog(() => clock.now(), recordEvent, kept?.events ?? []);
  const openEventsWriter = () =>
    eventsFile
      ? new KeptFileWriter(eventsFile, () =>
          // Event texts are built to carry no secret; on disk they are masked for the secret shapes anyway.
          JSON.stringify({
            version: 1,
            events: log.recent(MAX_EVENTS).map((e) => ({ ...e, message: redact(e.message) })),
          }),
        )
      : null;
  let eventsWriter: KeptFileWriter | null = openEventsWriter();
  if (unreadable) log.emit({ level: 'warn', kind: 'engine', message: unreadable });
  // What the keep-warm rule learnt (arrivals, boot and task times), kept in keep-warm.json across restarts: taken
  // back by the first engine that ticks (`Engine.resumeMemory`), written from the latest one as it ticks.
  const warmFile = keptFile('keep-warm.json', 'the keep-warm memory', WARM_FLUSH_MS);
  const readKeptWarm = () => (warmFile ? (readKeptFileSync(warmFile, KeptWarmSchema) ?? null) : null);
  let keptWarm = readKeptWarm();
  const openWarmWriter = () =>
    warmFile ? new KeptFileWriter(warmFile, () => JSON.stringify(lastTicked?.keptMemory() ?? keptWarm)) : null;
  let warmWriter: KeptFileWriter | null = openWarmWriter();

  // Errors name where the user changes keys: the Credentials tab, or on the command line the environment.
  const surface = opts.reporting?.surface;
  const makeClearml =
    opts.makeClearml ??
    ((cfg: Config, creds: ClearmlCredentials | null, missing?: string) =>
      createClearmlClient({
        apiHost: cfg.clearml.apiHost,
        credentials: creds,
        clock,
        ...(missing ? { missingCredentials: missing } : {}),
        ...(surface ? { surface } : {}),
      }));
  const makeEc2 =
    opts.makeEc2 ??
    ((cfg: Config, creds: ResolvedCredentials['aws']) =>
      createEc2Provider({
        region: cfg.aws.region,
        credentials: creds,
        clock,
        limiter: limiterFor(cfg.aws.region),
        ...(surface ? { surface } : {}),
      }));

  function configure(cfg: Config, creds: ResolvedCredentials, override?: { clearml: ClearmlApi; ec2: Ec2Api }): void {
    config = cfg;
    lastCreds = creds;
    clients = override ?? {
      clearml: makeClearml(cfg, creds.clearml, creds.clearmlMissing),
      ec2: makeEc2(cfg, creds.aws),
    };
    const ec2 = clients.ec2;
    const book = new PriceBook({
      region: cfg.aws.region,
      clock,
      // Not the demo's: its spot prices come from the emulator.
      ...(opts.dataDir && !demoEmulation
        ? { cacheFile: path.join(opts.dataDir, `prices-${cfg.aws.region}.json`) }
        : {}),
      // The Pricing API is skipped in demo mode: the bundled table is the honest answer there.
      ...(override ? {} : { pricing: createPricingSource(creds.aws ? { credentials: creds.aws } : {}) }),
      spot: (types) => ec2.spotPrices(types),
    });
    const deps: EngineDeps = {
      config: cfg,
      clearml: clients.clearml,
      ec2: clients.ec2,
      clock,
      store,
      prices: createPriceLookup(cfg.aws.region, { clock, book }),
      userData: userDataBuilder(creds.gitUser ? { ...cfg, agent: { ...cfg.agent, gitUser: creds.gitUser } } : cfg, {
        clearml: creds.clearml,
        gitPassword: creds.gitPassword,
      }),
      log,
      team: {
        team: teamState,
        // The leader lease on the app's own AWS credentials; the SDK resolves the endpoint (AWS_ENDPOINT_URL_*).
        leaseStore: (c) =>
          opts.makeLeaseStore
            ? opts.makeLeaseStore(c, creds.aws)
            : c.team.leaseTable && !override
              ? createDynamoLeaseStore({
                  region: c.team.leaseRegion ?? c.aws.region,
                  credentials: creds.aws,
                  table: c.team.leaseTable,
                  prefix: c.scaling.workersPrefix,
                })
              : null,
      },
      ...(opts.reporting ? { reporting: opts.reporting } : {}),
      ...crash?.engineExtras,
      ...opts.engineExtras,
    };
    const previous = engine;
    engine = new Engine(deps);
    if (previous) engine.pauses.copyFrom(previous.pauses);
    const [e, c] = [engine, clients];
    books.set(e, book);
    const types = [...new Set(Object.values(cfg.resources).map((r) => r.instanceType))];
    pendingRecovery = async () => {
      const history = await openHistory();
      if (history) e.attachCosts(new CostTracker(history, book));
      else if (historyFailure) e.costsUnavailable(historyFailure.problem);
      await crash?.recover(e, c, cfg, { userData: deps.userData });
      await opts.recover?.(e, c, cfg);
    };
    priceRefresh = () => {
      const last = book.refreshedAt();
      if (last === null || clock.now() - last > PRICE_REFRESH_MS) {
        const p: Promise<void> = book
          .refresh(types)
          .catch(() => undefined)
          .finally(() => {
            if (priceRefreshing === p) priceRefreshing = null;
          });
        priceRefreshing = p;
      }
    };
    publish(store, { dryRun: cfg.scaling.dryRun, demo: demoEmulation !== null });
    wake?.abort();
  }

  /** One tick at a time: a caller that finds one running waits for it, then runs its own. */
  async function runTick(act = true): Promise<TickResult | null> {
    while (current) await current;
    if (!engine) return null;
    const e = engine;
    const recovering = pendingRecovery;
    pendingRecovery = null;
    current = (async () => {
      // Here, not at configure: a tick of the engine before may still be running then, and what it launches or
      // sees belongs in the memory handed on.
      if (lastTicked !== e) {
        // Starting the demo is not a move: the real config's instances are not the demo's to account for.
        if (lastTicked && !e.carryFrom(lastTicked) && !demoEmulation) void e.sayLeftBehind(lastTicked);
        else if (!lastTicked && keptWarm) e.resumeMemory(keptWarm);
        keptWarm = null;
        lastTicked = e;
      }
      let unrecovered: string | null = null;
      if (recovering) {
        try {
          await recovering();
        } catch (err) {
          // Never launch on an unrecovered journal (an open launch of the run before could be repeated): try the
          // recovery again before the next tick. Everything else goes on: a full or read-only disk must not keep
          // idle instances billing, nor hide what runs.
          pendingRecovery ??= recovering;
          unrecovered = recoveryProblem(err, opts.dataDir);
        }
      }
      // Only while it failed: an await more in every tick would move the loop's first tick after `setEnabled`.
      if (!recovering && historyFailure && !e.hasCosts) await attachHistory(e);
      priceRefresh?.();
      const result = await e.tick({ act, ...(unrecovered ? { launches: false } : {}) });
      warmWriter?.touch();
      if (unrecovered !== recoveryFailing) {
        if (unrecovered) e.emit({ level: 'error', kind: 'error', message: unrecovered });
        else if (recoveryFailing) e.emit({ level: 'info', kind: 'engine', message: RECOVERED });
        recoveryFailing = unrecovered;
      }
      if (unrecovered) {
        result.errors.push(unrecovered);
        publish(store, { status: 'error', statusReason: unrecovered, statusFix: [] });
      }
      return result;
    })().catch((err: unknown) => {
      e.emit({ level: 'error', kind: 'error', message: `tick failed: ${errorText(err)}`, ...credentialsCode(err) });
      publish(store, { status: 'error', statusReason: `The last tick failed: ${errorText(err)}`, statusFix: [] });
      return { ok: false, plan: null, launched: [], terminated: [], errors: [errorText(err)] };
    });
    try {
      return await current;
    } finally {
      current = null;
    }
  }

  async function loopBody(): Promise<void> {
    let away: Parameters<typeof sayAway>[0] | null = null;
    while (enabled) {
      await runTick(true);
      if (away) sayAway(away);
      if (!enabled) break;
      wake = new AbortController();
      away = await sleepPoll(wake.signal);
    }
  }

  /**
   * One polling interval's sleep, measured: the snapshot's instances before it and how long it took, so that a wake
   * far later than asked (the computer slept, the process was stopped) is said after the next poll (`sayAway`).
   */
  async function sleepPoll(signal: AbortSignal) {
    const pollMs = (config?.scaling.pollingIntervalSec ?? 15) * 1000;
    const before = store.getState().instances;
    const from = awsNow();
    await clock.sleep(pollMs, signal);
    return { from, pollMs, before };
  }

  /**
   * On AWS's time (the engine's, corrected by the offset its EC2 answers show), not this machine's: a clock stepped a
   * day ahead between two polls is a wrong clock (said as such), not a day without polls. Read after the poll back,
   * whose answers re-estimate the offset after a step.
   */
  function awsNow(): number {
    return engine?.awsNow() ?? clock.now();
  }

  function sayAway(s: { from: number; pollMs: number; before: InstanceView[] }): void {
    const report = awayReport({ ...s, to: awsNow() }, s.before, store.getState().instances);
    if (!report || !engine || !config) return;
    engine.emit(ev.away(report, config.lease.enabled ? effectiveLease(config) : null));
    // Shown now, not at the next poll's publish: it is about the poll that just ran.
    publish(store, { events: log.recent(SNAPSHOT_EVENTS) });
  }

  /** `hostStopping`: the host is stopping, so a demo's emulated world ends with it (nothing keeps running). */
  async function setEnabled(on: boolean, hostStopping = false): Promise<void> {
    if (on && !engine) {
      publish(store, {
        enabled: false,
        status: 'error',
        statusReason: 'Nothing to run yet: finish the setup (ClearML, AWS, a queue and a resource) or try the demo.',
        statusFix: ['settings'],
      });
      return;
    }
    if (on === enabled) return;
    enabled = on;
    watchWake?.abort();
    // An observe-only tick still running would publish "off" after "starting": let it finish first.
    while (on && current) await current;
    if (on) {
      publish(store, { enabled: true, status: 'starting', statusReason: null, statusFix: [] });
      engine?.emit({ level: 'info', kind: 'engine', message: 'autoscaling turned on' });
      loop = loopBody();
    } else {
      wake?.abort();
      await loop;
      loop = null;
      // Off means this engine no longer acts: a standby takes the lease over at its next tick.
      await engine?.leadership?.release();
      engine?.emit({
        level: 'info',
        kind: 'engine',
        message:
          hostStopping && demoEmulation
            ? 'autoscaling turned off: the demo world and its emulated instances end with this run'
            : 'autoscaling turned off: running instances keep running',
      });
      publish(store, {
        enabled: false,
        status: 'off',
        statusReason: 'Autoscaling is off: nothing is launched or terminated.',
        statusFix: [],
      });
      if (!hostStopping) watchWhileOff();
    }
  }

  /** While autoscaling is off, observe now (read-only) so the tray and window show what still runs and bills. */
  function refreshIfOff(): void {
    if (!enabled && engine) void runTick(false);
    watchWhileOff();
  }

  /**
   * With `watchWhileOff`, keep observing every polling interval until autoscaling is turned on or the host stops:
   * queues fill and drain, instances started or stopped elsewhere come and go, and the spend of what still runs
   * is recorded while nothing is launched or terminated.
   */
  function watchWhileOff(): void {
    if (!opts.watchWhileOff || watching || enabled || stopping || !engine) return;
    watching = (async () => {
      while (!enabled && !stopping) {
        watchWake = new AbortController();
        const slept = await sleepPoll(watchWake.signal);
        if (enabled || stopping) break;
        await runTick(false);
        sayAway(slept);
      }
    })().finally(() => {
      watching = null;
    });
  }

  /**
   * The demo's world is made up, so none of it goes into the data folder the real engine reads at its next start:
   * from here on the launch journal and region registry are off, the timeline, the event log and prices are kept in
   * memory only, and the spend in a temporary folder removed when the host stops (the files in the data folder keep
   * what they held before the demo).
   */
  async function keepTheDemoApart(): Promise<void> {
    // A tick of the engine before the demo finishes with the files it started with.
    while (current) await current;
    await eventsWriter?.flush();
    eventsWriter = null;
    await warmWriter?.flush();
    warmWriter = null;
    const recorder = await timelineP;
    await recorder.flush();
    timelineP = TimelineRecorder.open({ clock, onProblem: timelineProblem });
    demoDir = createRunTempDir('autoscaler-demo-');
    historyDir = demoDir.path;
    retiredHistory = historyP;
    historyP = null;
    await crash?.close();
    crash = null;
  }

  /**
   * The way back from `keepTheDemoApart`: autoscaling off, the demo's engine, world and made-up files dropped, and
   * the data folder's journal, history, timeline, event log and keep-warm memory in use again, as they were before
   * the demo (none of the demo reached them). The event log keeps counting up, so no window mistakes an old id for
   * a new event.
   */
  async function leaveTheDemo(): Promise<void> {
    if (!demoEmulation) return;
    await setEnabled(false, true);
    while (current) await current;
    engine = null;
    lastTicked = null;
    config = null;
    clients = null;
    lastCreds = null;
    pendingRecovery = null;
    priceRefresh = null;
    if (priceRefreshing) await Promise.race([priceRefreshing, delay(STOP_PRICE_WAIT_MS)]);
    demoEmulation.close();
    demoEmulation = null;
    await (await historyP)?.close();
    historyP = retiredHistory;
    retiredHistory = null;
    historyDir = opts.dataDir;
    demoDir?.remove();
    demoDir = null;
    crash = openCrashSafety();
    timelineP = openTimeline();
    const keptEvents = eventsFile ? readKeptFileSync(eventsFile, EventsFileSchema) : undefined;
    log.restart(keptEvents?.events ?? []);
    eventsWriter = openEventsWriter();
    keptWarm = readKeptWarm();
    warmWriter = openWarmWriter();
    // Everything the demo published goes: what a fresh start without a config shows, with the kept events.
    const { rev: _rev, ...fresh } = emptySnapshot();
    publish(store, { ...fresh, events: log.recent(SNAPSHOT_EVENTS) });
  }

  async function stopHost(): Promise<void> {
    stopping = true;
    watchWake?.abort();
    await watching;
    await setEnabled(false, true);
    await current;
    // A price read still in flight finishes before the emulators (demo) and the data folder go away, so nothing
    // of this run reaches the network after stop; a slow Pricing API is not waited for beyond a moment.
    if (priceRefreshing) await Promise.race([priceRefreshing, delay(STOP_PRICE_WAIT_MS)]);
    // A tick run on request (`--once`, "reconcile now") may have taken the lease while autoscaling was off.
    await engine?.leadership?.release();
    await (await timelineP).flush();
    await eventsWriter?.flush();
    await warmWriter?.flush();
    for (const h of [historyP, retiredHistory]) await (await h)?.close();
    demoDir?.remove();
    await crash?.close();
    demoEmulation?.close();
    demoEmulation = null;
  }

  async function ourInstances() {
    if (!clients || !config) return [];
    return clients.ec2.describeInstances(config.scaling.workersPrefix);
  }

  const host: EngineHost = {
    store,
    get demo() {
      return demoEmulation !== null;
    },
    get config() {
      return config;
    },
    get engine() {
      return engine;
    },
    get demoEmulation() {
      return demoEmulation;
    },
    get clients() {
      return clients;
    },
    setEnabled,
    setLaunchesPaused(paused) {
      if (engine) engine.pauses.launches = paused;
      publish(store, { launchesPaused: paused });
      wake?.abort();
    },
    setQueuePaused(queue, paused) {
      engine?.pauses.setQueue(queue, paused);
      publish(store, { queues: store.getState().queues.map((q) => (q.name === queue ? { ...q, paused } : q)) });
    },
    async terminate(ids, reason) {
      if (!engine) return [];
      const done = await engine.terminateNow(ids, reason, await ourInstances());
      wake?.abort();
      refreshIfOff();
      return done;
    },
    async adopt(ids) {
      if (!engine) return { adopted: [], refused: [] };
      const r = await engine.adopt(ids);
      wake?.abort();
      return r;
    },
    async scaleToZero() {
      if (!engine) return 0;
      const live = (await ourInstances()).filter((i) => isLiveState(i.state));
      engine.pauses.launches = true;
      publish(store, { launchesPaused: true });
      // With the launches EC2 does not list yet: they bill already, and the window showed them.
      const listed = new Set(live.map((i) => i.instanceId));
      const done = await engine.terminateNow(
        [...listed, ...engine.launchingIds.filter((id) => !listed.has(id))],
        'scale to zero requested; launches paused',
        live,
      );
      wake?.abort();
      refreshIfOff();
      return done.length;
    },
    reconcileNow(reason) {
      engine?.emit({ level: 'info', kind: 'engine', message: `reconciling now: ${reason}` });
      // Off, the watch (if any) observes now instead of at the end of its interval: after a sleep the window is
      // current at once.
      if (enabled) wake?.abort();
      else watchWake?.abort();
    },
    credentialsTested(kind) {
      if (!engine?.authPassed(kind === 'aws' ? 'aws-test' : 'clearml-test')) return;
      if (enabled) wake?.abort();
    },
    configure: (cfg, creds) => {
      configure(cfg, creds);
      refreshIfOff();
    },
    async stopEverything() {
      await setEnabled(false);
      const [cfg, c, e] = [config, clients, engine];
      if (!cfg || !c || !e) return { regions: [], terminated: 0, ok: true };
      const home = cfg.aws.region;
      const regions = demoEmulation ? [home] : [...new Set([home, ...((await crash?.regions()) ?? [])])];
      // Every prefix the app launched under: a prefix the config no longer names still has its instances billing.
      const prefixes = [cfg.scaling.workersPrefix, ...(demoEmulation ? [] : ((await crash?.prefixes()) ?? []))];
      const report = await stopEverything({
        regions,
        makeEc2: (region) => (region === home ? c.ec2 : makeEc2({ ...cfg, aws: { region } }, lastCreds?.aws ?? null)),
        prefix: prefixes,
      });
      e.emit({
        level: report.ok ? 'warn' : 'error',
        kind: 'terminate',
        count: report.terminated,
        message:
          `stop everything: terminated ${plural(report.terminated, 'instance')} in ` +
          report.regions
            .map((r) => `${r.region}${r.error ? ` (failed: ${r.error})` : ` (${r.terminated.length})`}`)
            .join(', '),
      });
      await runTick(false);
      return report;
    },
    // Once: a second call (a test's cleanup, a quit during a stop) waits for the first.
    stop: () => (stopped ??= stopHost()),
    stopDemo: () => leaveTheDemo(),
    async startDemo(demoOpts = {}) {
      if (!demoEmulation) {
        await keepTheDemoApart();
        // Loaded on demand: the emulators the demo runs against stay out of the main bundle (a chunk of their own).
        demoEmulation = await (await import('./demo.js')).startDemoEmulation({ clock });
      }
      const demo = demoEmulation;
      const cfg = demoOpts.dryRun ? { ...demo.config, scaling: { ...demo.config.scaling, dryRun: true } } : demo.config;
      configure(cfg, demo.credentials, {
        clearml: createClearmlClient({ apiHost: cfg.clearml.apiHost, credentials: demo.credentials.clearml, clock }),
        ec2: createEc2Provider({
          region: demo.config.aws.region,
          credentials: demo.credentials.aws,
          endpoint: demo.ec2Url,
          clock,
        }),
      });
      publish(store, { demo: true });
      if (demoOpts.enable) await setEnabled(true);
      else refreshIfOff();
    },
    async timeline(hours, after) {
      return (await timelineP).query(hours, after);
    },
    async instanceDetail(instanceId) {
      const now = clock.now();
      const view = store.getState().instances.find((i) => i.instanceId === instanceId);
      const record = (await openHistory())?.get(instanceId);
      const listed = view ? (await ourInstances().catch(() => [])).find((i) => i.instanceId === instanceId) : undefined;
      const markers = (await timelineP).query(24).markers;
      let tail: ConsoleTail = { state: 'not-needed' };
      if (wantsConsole({ view, record }) && clients) {
        try {
          const out = await clients.ec2.consoleOutput(instanceId);
          tail = out.output
            ? { state: 'shown', lines: tailLines(out.output), capturedAt: out.capturedAt }
            : { state: 'empty' };
        } catch (e) {
          tail = { state: 'unavailable', message: errorText(e) };
        }
      }
      return buildInstanceDetail({ instanceId, now, view, record, ec2: listed, markers }, tail);
    },
    async createLeaseTable() {
      const cfg = config;
      if (!cfg || demoEmulation) throw new Error('Save a config first (the demo has no lease table).');
      const table = cfg.team.leaseTable;
      if (!table)
        throw new Error('Name the lease table first (Settings → "Team: one engine acts", team.leaseTable) and save.');
      const region = cfg.team.leaseRegion ?? cfg.aws.region;
      const r = await ensureLeaseTable({ region, credentials: lastCreds?.aws ?? null, table });
      engine?.emit({
        level: 'info',
        kind: 'engine',
        message: r.created ? `lease table '${table}' created in ${region}` : `lease table '${table}' is ACTIVE`,
      });
      wake?.abort();
      return { table, region, created: r.created };
    },
    async teamDecide(decision) {
      if (!engine) throw new Error('nothing is configured yet');
      await engine.decideTeam(decision);
      wake?.abort();
      refreshIfOff();
    },
    tickNow: () => runTick(true),
    refresh: async () => {
      await runTick(enabled);
    },
  };
  return host;
}
