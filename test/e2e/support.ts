/**
 * Shared pieces of the browser suite: Chromium (fails loudly in CI when it is missing), a preview server started
 * in-process against the real service handlers, synthetic snapshots, and screenshots.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createPreviewBackend, type PreviewBackend } from '../../electron/engine/preview/backend.js';
import { ensureRendererBuilt, repoRoot } from '../../electron/engine/preview/build.js';
import type { ChangeFeed } from '../../electron/engine/service/changes.js';
import { startPreviewServer, type PreviewServer, type SnapshotSource } from '../../electron/engine/preview/server.js';
import type { EngineController } from '../../electron/engine/controller.js';
import { createServiceHandlers, type ServiceDeps } from '../../electron/engine/service/handlers.js';
import { sampleOf } from '../../electron/engine/timeline/from-snapshot.js';
import { TimelineRing } from '../../electron/engine/timeline/ring.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { ConfigSchema, type Config } from '../../shared/config.js';
import { emptyCosts, emptySnapshot, type InstanceView, type Snapshot } from '../../shared/domain.js';
import { createDispatcher, type Dispatch } from '../../shared/ipc/dispatch.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = repoRoot();
export const SHOTS = path.join(ROOT, 'test-output', 'screenshots');

/** Outside CI a missing Chromium skips the suite with this reason; in CI it is a failure (see `requireChromium`). */
export const chromiumMissing = !existsSync(CHROMIUM);
export const skipReason = chromiumMissing
  ? `${CHROMIUM} is not installed (apt-get install chromium); the browser suite cannot run here`
  : '';

export function requireChromium(): void {
  if (chromiumMissing)
    throw new Error(
      `${CHROMIUM} is missing: the dashboard e2e suite needs it. CI installs it in .ci/run (apt-get install chromium).`,
    );
}

export function builtRenderer(): string {
  return ensureRendererBuilt(ROOT, (l) => console.log(l), { rebuildIfStale: true });
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
  newPage(opts?: { colorScheme?: 'light' | 'dark' }): Promise<Page>;
}

export async function launchBrowser(): Promise<Browser> {
  requireChromium();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'autoscaler-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1360, height: 900 },
    colorScheme: 'light',
  });
  return {
    context,
    async newPage(opts = {}) {
      const page = await context.newPage();
      if (opts.colorScheme) await page.emulateMedia({ colorScheme: opts.colorScheme });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      (page as Page & { errors?: string[] }).errors = errors;
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export function pageErrors(page: Page): string[] {
  return (page as Page & { errors?: string[] }).errors ?? [];
}

export async function shot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** A screenshot of one element only (a card, a row), at full resolution. */
export async function shotOf(locator: Locator, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await locator.screenshot({ path: file });
  return file;
}

export interface Preview {
  server: PreviewServer;
  /** Every channel the page called, in order. */
  calls: string[];
  close(): Promise<void>;
}

async function serve(
  dispatch: Dispatch,
  store: SnapshotSource,
  cleanup: () => Promise<void>,
  changes?: ChangeFeed,
): Promise<Preview> {
  const calls: string[] = [];
  const server = await startPreviewServer({
    dispatch: (channel, args, ctx) => {
      calls.push(channel);
      return dispatch(channel, args, ctx);
    },
    store,
    staticDir: builtRenderer(),
    host: '127.0.0.1',
    ...(changes ? { changes } : {}),
  });
  return {
    server,
    calls,
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

/** The real preview backend (engine host, handlers, dispatcher), nothing from the environment. */
export async function realPreview(
  /**
   * `clearmlConf`: the text of a ~/clearml.conf for the backend to find (its home is the data dir); `env`: the
   * environment it sees (default none).
   */
  opts: {
    demo?: boolean;
    config?: Config;
    clearmlConf?: string;
    env?: NodeJS.ProcessEnv;
    network?: { notes: string[]; problems: string[] };
    /** Where the AWS connection test goes (the EC2 emulator's URL); default AWS itself. */
    awsEndpoint?: string;
  } = {},
): Promise<Preview & { backend: PreviewBackend }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'autoscaler-e2e-data-'));
  if (opts.clearmlConf !== undefined) writeFileSync(path.join(dataDir, 'clearml.conf'), opts.clearmlConf);
  const backend = await createPreviewBackend({
    dataDir,
    demo: opts.demo ?? false,
    config: opts.config,
    env: opts.env ?? {},
    homeDir: dataDir,
    ...(opts.network ? { network: opts.network } : {}),
    ...(opts.awsEndpoint ? { awsEndpoint: opts.awsEndpoint } : {}),
  });
  const p = await serve(
    backend.dispatch,
    backend.host.store,
    async () => {
      await backend.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    backend.changes,
  );
  return { ...p, backend };
}

export const TEST_CONFIG: Config = ConfigSchema.parse({
  clearml: { apiHost: 'https://api.clear.ml' },
  aws: { region: 'us-east-1' },
  resources: {
    gpu_t4: { instanceType: 'g4dn.xlarge', market: 'spot', amiId: 'ami-0123456789abcdef0' },
    cpu_m5: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
  },
  queues: {
    gpu: [{ resource: 'gpu_t4', maxInstances: 3 }],
    cpu: [{ resource: 'cpu_m5', maxInstances: 2 }],
  },
});

export interface SyntheticPreview extends Preview {
  store: StoreApi<Snapshot>;
  terminated: string[][];
  adopted: string[][];
}

export interface SyntheticOptions {
  /** The "stop everything" sweep the host offers; absent = a host that cannot sweep. */
  stopEverything?: ServiceDeps['stopEverything'];
  /**
   * How much history the timeline has (default 2 h): the store's current snapshot, repeated once a minute. The
   * month projection needs an hour of it.
   */
  historyMs?: number;
  /** What instances.detail answers (default: the engine knows nothing of the instance). */
  instanceDetail?: EngineController['instanceDetail'];
  /** Team mode's decision (default: a host without team mode). */
  teamDecide?: EngineController['teamDecide'];
  /** Which of the adopted instances the engine refuses, and why (default none). */
  refuseAdoption?: Record<string, string>;
}

/**
 * The real handlers and dispatcher over a test store: the snapshot is whatever the test puts in the store, and
 * the engine controller only records what it is asked to do (terminate marks the instance as terminating).
 */
export async function syntheticPreview(initial: Snapshot, opts: SyntheticOptions = {}): Promise<SyntheticPreview> {
  const store = createStore<Snapshot>(() => initial);
  const terminated: string[][] = [];
  const adopted: string[][] = [];
  const publish = (patch: Partial<Snapshot>) => store.setState((s) => ({ ...s, ...patch, rev: s.rev + 1 }));
  const controller: EngineController = {
    store,
    setEnabled: async (enabled) => publish({ enabled, status: enabled ? 'watching' : 'off' }),
    setLaunchesPaused: (launchesPaused) => publish({ launchesPaused }),
    setQueuePaused: (queue, paused) =>
      publish({ queues: store.getState().queues.map((q) => (q.name === queue ? { ...q, paused } : q)) }),
    adopt: async (ids) => {
      const wanted = ids === 'all' ? (store.getState().adoptable ?? []).map((a) => a.instanceId) : [...ids];
      const refusing = opts.refuseAdoption ?? {};
      const taken = wanted.filter((id) => !(id in refusing));
      adopted.push(taken);
      publish({ adoptable: (store.getState().adoptable ?? []).filter((a) => !taken.includes(a.instanceId)) });
      return {
        adopted: taken,
        refused: wanted
          .filter((id) => id in refusing)
          .map((instanceId) => ({ instanceId, reason: refusing[instanceId]! })),
      };
    },
    terminate: async (ids) => {
      terminated.push([...ids]);
      publish({
        instances: store
          .getState()
          .instances.map((i) =>
            ids.includes(i.instanceId) ? { ...i, phase: 'terminating', state: 'shutting-down' } : i,
          ),
      });
      return [...ids];
    },
    scaleToZero: async () => 0,
    reconcileNow: () => undefined,
    configure: () => undefined,
    stop: async () => undefined,
    timeline: async (hours, after) => {
      const now = Date.now();
      const ring = new TimelineRing();
      // On whole minutes, so the samples a chart already holds are the same at the next ask (it gets deltas).
      const start = Math.ceil((now - (opts.historyMs ?? 2 * 3600_000)) / 60_000) * 60_000;
      for (let at = start; at <= now; at += 60_000) ring.add(sampleOf(store.getState(), at));
      return ring.query(hours, now, undefined, after);
    },
    ...(opts.instanceDetail ? { instanceDetail: opts.instanceDetail } : {}),
    ...(opts.teamDecide ? { teamDecide: opts.teamDecide } : {}),
  };
  const settings = new MemorySettingsRepo({ config: TEST_CONFIG });
  const dispatch = createDispatcher(
    createServiceHandlers({
      controller,
      settings,
      secrets: new MemorySecretStore(),
      testers: {
        clearml: async () => ({ ok: true, message: 'test double', details: [] }),
        aws: async () => ({ ok: true, message: 'test double', details: [] }),
      },
      importClearmlConf: async () => null,
      importConfigText: async () => ({ format: 'unknown', config: null, issues: [], warnings: [], differences: [] }),
      exportConfig: () => '{}',
      openExternal: async () => false,
      startDemo: async () => undefined,
      isDemo: () => false,
      ...(opts.stopEverything ? { stopEverything: opts.stopEverything } : {}),
    }),
  );
  const p = await serve(dispatch, store, async () => undefined);
  return { ...p, store, terminated, adopted };
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** `count` instances over two queues and three resources, every 3rd running a task; ids sort in creation order. */
export function syntheticSnapshot(count: number, now = Date.now()): Snapshot {
  const resources = [
    { resource: 'gpu_t4', queue: 'gpu', instanceType: 'g4dn.xlarge', market: 'spot' as const, price: 0.158 },
    { resource: 'gpu_a10', queue: 'gpu', instanceType: 'g5.xlarge', market: 'on-demand' as const, price: 1.006 },
    { resource: 'cpu_m5', queue: 'cpu', instanceType: 'm5.large', market: 'on-demand' as const, price: 0.096 },
  ];
  const instances: InstanceView[] = [];
  for (let n = 0; n < count; n++) {
    const r = resources[n % resources.length]!;
    const busy = n % 3 === 0;
    const uptimeSec = 60 + n * 7;
    instances.push({
      instanceId: `i-${hex(n, 17)}`,
      queue: r.queue,
      resource: r.resource,
      instanceType: r.instanceType,
      market: r.market,
      zone: n % 2 ? 'us-east-1a' : 'us-east-1b',
      state: 'running',
      phase: busy ? 'busy' : 'idle',
      launchedAt: now - uptimeSec * 1000,
      uptimeSec,
      idleSec: busy ? null : 30 + (n % 50),
      workerId: `demo:${r.resource}:${r.instanceType}:i-${hex(n, 17)}`,
      task: busy ? { id: `task${hex(n, 8)}`, name: `train-model-${n}` } : null,
      hourlyPrice: r.price,
      costSoFar: (r.price * uptimeSec) / 3600,
    });
  }
  const burn = instances.reduce((s, i) => s + i.hourlyPrice, 0);
  return {
    ...emptySnapshot(),
    rev: 1,
    enabled: true,
    status: 'watching',
    statusReason: null,
    lastTickAt: now,
    lastTickOkAt: now,
    queues: ['gpu', 'cpu'].map((name) => ({
      name,
      exists: true,
      pending: name === 'gpu' ? 4 : 0,
      oldestWaitSec: name === 'gpu' ? 95 : null,
      busy: instances.filter((i) => i.queue === name && i.phase === 'busy').length,
      idle: instances.filter((i) => i.queue === name && i.phase === 'idle').length,
      booting: 0,
      resources: resources
        .filter((r) => r.queue === name)
        .map((r) => ({
          resource: r.resource,
          instanceType: r.instanceType,
          market: r.market,
          maxInstances: 1000,
          running: instances.filter((i) => i.resource === r.resource).length,
        })),
      paused: false,
      lastDecision: name === 'gpu' ? 'at cap for gpu_t4; waiting' : 'nothing queued',
    })),
    instances,
    costs: {
      ...emptyCosts('synthetic prices'),
      burnPerHour: burn,
      spendToday: burn * 3,
      projectedMonth: burn * 24 * 30,
      byQueue: { gpu: burn * 0.9, cpu: burn * 0.1 },
      byResource: { gpu_t4: burn * 0.2, gpu_a10: burn * 0.7, cpu_m5: burn * 0.1 },
      spotPerHour: burn * 0.2,
      onDemandPerHour: burn * 0.8,
    },
  };
}

/**
 * The browser half every e2e file shares: one Chromium for the file, every preview it opened closed after its last
 * test, and `suite` that is skipped (with the reason printed) where Chromium is missing outside CI. In CI a missing
 * Chromium fails instead (launchBrowser throws).
 */
export function browserSuite(name: string) {
  const skip = chromiumMissing && !process.env['CI'];
  if (skip) console.warn(`${name} e2e skipped: ${skipReason}`);
  let browser: Browser | undefined;
  const previews: Preview[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    for (const p of previews.splice(0)) await p.close();
    await browser?.close();
  });
  const open = {
    suite: skip ? describe.skip : describe,
    get browser(): Browser {
      if (!browser) throw new Error('the browser starts in beforeAll');
      return browser;
    },
    /** Closes `p` after the file's last test (once, however often it is tracked). */
    track<P extends Preview>(p: P): P {
      if (!previews.includes(p)) previews.push(p);
      return p;
    },
    /** A new page on `p`'s URL in the given colour scheme. */
    async open(p: Preview, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
      open.track(p);
      const page = await open.browser.newPage({ colorScheme });
      await page.goto(p.server.url);
      return page;
    },
  };
  return open;
}
