/**
 * `npm run headless -- …`: the engine in plain Node, for an always-on host or a quick try against any endpoint.
 * Human-readable log lines by default, one JSON object per event with --json; stops cleanly on SIGINT/SIGTERM.
 */
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineEvent, Snapshot } from '../../../shared/domain.js';
import { resolveClearmlCredentials } from '../clearml/credentials.js';
import { loadConfigFile } from '../config/load.js';
import { startOfUtcMonth } from '../cost/accounting.js';
import { CostHistory } from '../cost/history.js';
import { systemClock } from '../ports.js';
import { createEngineHost, type EngineHost } from '../host.js';

export const USAGE = `Usage: npm run headless -- (--config FILE | --demo) [--dry-run] [--json] [--once]
       npm run headless -- --report costs [--since YYYY-MM-DD] [--csv]

  --config FILE   our config (YAML/JSON) or a ClearML AWS autoscaler YAML (auto-detected)
  --demo          run against the built-in ClearML and EC2 emulators with a synthetic workload
  --dry-run       decide and log, but never launch, terminate or tag anything
  --adopt         adopt instances launched by ClearML's autoscaler (workers with our prefix on instances without
                  our tags): tag them as ours, so they are scaled down like our own. Without it they are only
                  counted as capacity and left alone
  --json          one JSON object per event on stdout (for log shippers)
  --once          run a single tick, print its decisions and exit (exit code 1 if the tick had errors)
  --minutes N     stop after N minutes (demo and soak runs)
  --report costs  print the accounting from the cost history (this month, or since --since); --csv for CSV
  --data-dir DIR  where the cost history and price cache live (default ~/.local/share/clearml-tray-autoscaler,
                  or AUTOSCALER_DATA_DIR)

Credentials: ClearML from CLEARML_API_HOST / CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY, else ~/clearml.conf;
AWS from the SDK default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, instance role). AWS_ENDPOINT_URL_EC2 points the
engine at any EC2-compatible endpoint. Git credentials for the agents: CLEARML_AUTOSCALER_GIT_USER /
CLEARML_AUTOSCALER_GIT_PASSWORD (as ClearML's autoscaler reads them; they win over git_user/git_pass in the file).`;

interface Out {
  write(line: string): void;
}

export async function runHeadless(
  argv: string[],
  out: Out = { write: (l) => process.stdout.write(`${l}\n`) },
  env = process.env,
): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        demo: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        adopt: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        once: { type: 'boolean', default: false },
        minutes: { type: 'string' },
        report: { type: 'string' },
        since: { type: 'string' },
        csv: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    out.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help || (!args.config && !args.demo && !args.report)) {
    out.write(USAGE);
    return args.help ? 0 : 2;
  }
  const dataDir =
    args['data-dir'] ?? env.AUTOSCALER_DATA_DIR ?? path.join(homedir(), '.local', 'share', 'clearml-tray-autoscaler');
  if (args.report)
    return costReport({ report: args.report, since: args.since, csv: args.csv, json: args.json, dataDir }, out);

  const json = args.json;
  const print = (e: EngineEvent) =>
    out.write(json ? JSON.stringify({ type: 'event', ...e, at: new Date(e.at).toISOString() }) : formatEvent(e));
  // A demo keeps its made-up spend out of the real history.
  const host: EngineHost = createEngineHost({
    onEvent: print,
    dataDir: args.demo ? await mkdtemp(path.join(tmpdir(), 'autoscaler-demo-')) : dataDir,
  });

  if (args.demo) {
    out.write(
      json
        ? JSON.stringify({ type: 'info', message: 'demo mode: emulated ClearML and EC2, nothing real is touched' })
        : 'demo mode: the engine runs against built-in ClearML and EC2 emulators; nothing real is touched',
    );
    await host.startDemo({ dryRun: args['dry-run'] });
  } else {
    const clearmlConfPath = env.CLEARML_CONFIG_FILE ?? path.join(homedir(), 'clearml.conf');
    const creds = resolveClearmlCredentials({ stored: null, env, clearmlConfPath });
    // All three hosts, as ClearML's autoscaler exports all three to its instances.
    const loaded = await loadConfigFile(args.config!, {
      clearmlApiHost: creds.apiHost,
      clearmlWebHost: creds.webHost,
      clearmlFilesHost: creds.filesHost,
    });
    for (const w of loaded.warnings)
      out.write(json ? JSON.stringify({ type: 'warning', message: w }) : `warning: ${w}`);
    for (const d of loaded.differences) {
      const message = `differs from ClearML's autoscaler: ${d.text}`;
      out.write(
        json ? JSON.stringify({ type: 'warning', code: d.code, setting: d.setting, message }) : `warning: ${message}`,
      );
    }
    if (!loaded.config) {
      out.write(
        json
          ? JSON.stringify({ type: 'invalid-config', issues: loaded.issues })
          : `The config in ${args.config} is invalid; nothing was launched:`,
      );
      if (!json) for (const i of loaded.issues) out.write(`  ${i.path}: ${i.message}`);
      return 2;
    }
    let config = loaded.config;
    if (args['dry-run']) config = { ...config, scaling: { ...config.scaling, dryRun: true } };
    if (!creds.credentials) {
      out.write(
        'warning: no ClearML credentials found (CLEARML_API_ACCESS_KEY/CLEARML_API_SECRET_KEY or ~/clearml.conf): calls will be unauthenticated',
      );
    }
    const aws =
      loaded.secrets.awsAccessKeyId && loaded.secrets.awsSecretAccessKey
        ? {
            accessKeyId: loaded.secrets.awsAccessKeyId,
            secretAccessKey: loaded.secrets.awsSecretAccessKey,
            sessionToken: loaded.secrets.awsSessionToken,
          }
        : null;
    const git = gitFromEnv(env, config.agent.gitUser, loaded.secrets.gitPassword);
    if (git.note) out.write(json ? JSON.stringify({ type: 'info', message: git.note }) : git.note);
    config = { ...config, agent: { ...config.agent, gitUser: git.user } };
    host.configure(config, {
      clearml: creds.credentials,
      aws,
      ...(git.password ? { gitPassword: git.password } : {}),
    });
  }

  const adoption = adoptionReporter(host, out, json, args.adopt);
  if (args.once) {
    const r = await host.tickNow();
    for (const d of r?.plan?.decisions ?? [])
      out.write(json ? JSON.stringify({ type: 'decision', ...d }) : `${d.queue}: ${d.text}`);
    await adoption(host.store.getState());
    for (const e of r?.errors ?? []) out.write(json ? JSON.stringify({ type: 'error', message: e }) : `error: ${e}`);
    await host.stop();
    return r && r.errors.length === 0 ? 0 : 1;
  }

  let lastSummary = '';
  const unsubscribe = host.store.subscribe((s) => {
    void adoption(s);
    const line = summary(s);
    if (line !== lastSummary) {
      lastSummary = line;
      out.write(
        json
          ? JSON.stringify({
              type: 'status',
              status: s.status,
              reason: s.statusReason,
              running: s.instances.length,
              burnPerHour: s.costs.burnPerHour,
            })
          : line,
      );
    }
  });
  await host.setEnabled(true);
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (args.minutes) setTimeout(stop, Number(args.minutes) * 60_000).unref();
  });
  await stopped;
  unsubscribe();
  out.write(
    json
      ? JSON.stringify({ type: 'info', message: 'stopping' })
      : 'stopping: instances keep running; the next start adopts them',
  );
  await host.stop();
  return 0;
}

async function costReport(
  o: { report: string; since?: string; csv: boolean; json: boolean; dataDir: string },
  out: Out,
): Promise<number> {
  if (o.report !== 'costs') {
    out.write(`unknown report '${o.report}': the only report is 'costs'`);
    return 2;
  }
  const now = systemClock.now();
  const since = o.since ? Date.parse(`${o.since}T00:00:00Z`) : startOfUtcMonth(now);
  if (!Number.isFinite(since)) {
    out.write(`--since must be a date like 2026-11-01, not '${o.since}'`);
    return 2;
  }
  const file = path.join(o.dataDir, 'cost-history.jsonl');
  const history = await CostHistory.open({ file, clock: systemClock });
  try {
    if (o.csv) {
      out.write(history.toCsv(since, now).trimEnd());
      return 0;
    }
    const r = history.rollup(since, now);
    if (o.json) {
      out.write(JSON.stringify({ since: new Date(since).toISOString(), until: new Date(now).toISOString(), ...r }));
      return 0;
    }
    const usd = (x: number) => `$${x.toFixed(2)}`;
    out.write(`Costs from ${new Date(since).toISOString().slice(0, 10)} to now (history: ${file})`);
    out.write(
      `  total ${usd(r.total)}: tasks ${usd(r.tasks)}, idle ${usd(r.idle)}, boot ${usd(r.boot)}; spot saved ${usd(r.spot.savings)}`,
    );
    out.write('By queue (idle + boot overhead shown apart):');
    for (const [q, c] of Object.entries(r.byQueue).sort((a, b) => b[1] - a[1])) {
      const oh = r.overheadByQueue[q];
      out.write(`  ${q.padEnd(24)} ${usd(c).padStart(10)}   overhead ${usd((oh?.boot ?? 0) + (oh?.idle ?? 0))}`);
    }
    out.write('By resource:');
    for (const [res, c] of Object.entries(r.byResource).sort((a, b) => b[1] - a[1]))
      out.write(`  ${res.padEnd(24)} ${usd(c).padStart(10)}`);
    out.write('By task (top 20):');
    for (const [id, t] of Object.entries(r.byTask)
      .sort((a, b) => b[1].cost - a[1].cost)
      .slice(0, 20)) {
      out.write(`  ${(t.name ?? id).slice(0, 40).padEnd(40)} ${t.queue.padEnd(16)} ${usd(t.cost).padStart(10)}`);
    }
    return 0;
  } finally {
    await history.close();
  }
}

/**
 * Git credentials for the agents as ClearML's autoscaler takes them: CLEARML_AUTOSCALER_GIT_USER and
 * CLEARML_AUTOSCALER_GIT_PASSWORD win over git_user / git_pass from the config file.
 */
export function gitFromEnv(
  env: NodeJS.ProcessEnv,
  fileUser: string,
  filePassword: string | undefined,
): { user: string; password: string | undefined; note: string | null } {
  const user = env.CLEARML_AUTOSCALER_GIT_USER || fileUser;
  const password = env.CLEARML_AUTOSCALER_GIT_PASSWORD || filePassword;
  const from = [
    env.CLEARML_AUTOSCALER_GIT_USER ? 'CLEARML_AUTOSCALER_GIT_USER' : null,
    env.CLEARML_AUTOSCALER_GIT_PASSWORD ? 'CLEARML_AUTOSCALER_GIT_PASSWORD' : null,
  ].filter(Boolean);
  return { user, password, note: from.length ? `git credentials for the agents from ${from.join(' and ')}` : null };
}

/**
 * Instances launched by ClearML's autoscaler: with --adopt, adopted as soon as a tick lists them; without it, said
 * once, with the flag that adopts them.
 */
function adoptionReporter(host: EngineHost, out: Out, json: boolean, adopt: boolean) {
  let told = '';
  let busy = false;
  return async (s: Snapshot): Promise<void> => {
    const ready = (s.adoptable ?? []).filter((a) => !a.blocker);
    if (!ready.length || busy) return;
    if (!adopt) {
      const key = ready.map((a) => a.instanceId).join(',');
      if (key === told) return;
      told = key;
      const message = `${ready.length} instance(s) launched by ClearML's autoscaler run workers with our prefix (${key}): counted as capacity and left alone; run with --adopt to let this app scale them down too`;
      out.write(json ? JSON.stringify({ type: 'warning', message }) : `warning: ${message}`);
      return;
    }
    busy = true;
    try {
      const r = await host.adopt(ready.map((a) => a.instanceId));
      for (const x of r.refused) {
        const message = `not adopted: ${x.instanceId}: ${x.reason}`;
        out.write(json ? JSON.stringify({ type: 'warning', message }) : `warning: ${message}`);
      }
    } finally {
      busy = false;
    }
  };
}

export function formatEvent(e: EngineEvent): string {
  const time = new Date(e.at).toISOString().slice(11, 19);
  return `${time} ${e.level.toUpperCase().padEnd(5)} ${e.kind.padEnd(13)} ${e.message}`;
}

function summary(s: Snapshot): string {
  const running = s.instances.filter((i) => i.state === 'pending' || i.state === 'running');
  const pending = s.queues.reduce((n, q) => n + q.pending, 0);
  return `status ${s.status}: ${pending} pending, ${running.length} instances (${running.filter((i) => i.phase === 'busy').length} busy, ${running.filter((i) => i.phase === 'idle').length} idle, ${running.filter((i) => i.phase === 'booting').length} booting), $${s.costs.burnPerHour.toFixed(2)}/h${s.statusReason ? ` — ${s.statusReason}` : ''}`;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  runHeadless(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
