/**
 * `npm run headless -- …`: the engine in plain Node, for an always-on host or a quick try against any endpoint.
 * Human-readable log lines by default, one JSON object per event with --json; stops cleanly on SIGINT/SIGTERM.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EngineEvent, Snapshot } from '../../../shared/domain.js';
import { resolveClearmlCredentials } from '../clearml/credentials.js';
import { loadConfigFile } from '../config/load.js';
import { createEngineHost, type EngineHost } from '../host.js';

export const USAGE = `Usage: npm run headless -- (--config FILE | --demo) [--dry-run] [--json] [--once]

  --config FILE   our config (YAML/JSON) or a ClearML AWS autoscaler YAML (auto-detected)
  --demo          run against the built-in ClearML and EC2 emulators with a synthetic workload
  --dry-run       decide and log, but never launch, terminate or tag anything
  --json          one JSON object per event on stdout (for log shippers)
  --once          run a single tick, print its decisions and exit (exit code 1 if the tick had errors)
  --minutes N     stop after N minutes (demo and soak runs)

Credentials: ClearML from CLEARML_API_HOST / CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY, else ~/clearml.conf;
AWS from the SDK default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, instance role). AWS_ENDPOINT_URL_EC2 points the
engine at any EC2-compatible endpoint.`;

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
        json: { type: 'boolean', default: false },
        once: { type: 'boolean', default: false },
        minutes: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    out.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help || (!args.config && !args.demo)) {
    out.write(USAGE);
    return args.help ? 0 : 2;
  }

  const json = args.json;
  const print = (e: EngineEvent) =>
    out.write(json ? JSON.stringify({ type: 'event', ...e, at: new Date(e.at).toISOString() }) : formatEvent(e));
  const host: EngineHost = createEngineHost({ onEvent: print });

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
    const loaded = await loadConfigFile(args.config!, { clearmlApiHost: creds.apiHost });
    for (const w of loaded.warnings)
      out.write(json ? JSON.stringify({ type: 'warning', message: w }) : `warning: ${w}`);
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
    host.configure(config, { clearml: creds.credentials, aws });
  }

  if (args.once) {
    const r = await host.tickNow();
    for (const d of r?.plan?.decisions ?? [])
      out.write(json ? JSON.stringify({ type: 'decision', ...d }) : `${d.queue}: ${d.text}`);
    for (const e of r?.errors ?? []) out.write(json ? JSON.stringify({ type: 'error', message: e }) : `error: ${e}`);
    await host.stop();
    return r && r.errors.length === 0 ? 0 : 1;
  }

  let lastSummary = '';
  const unsubscribe = host.store.subscribe((s) => {
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
