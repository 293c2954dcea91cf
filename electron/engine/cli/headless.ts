/**
 * `npm run headless -- …`: the engine in plain Node, for an always-on host or a quick try against any endpoint.
 * On a terminal: coloured, aligned event lines under a live status line, and a summary at the end. In a pipe:
 * the same lines without colour. With --json: one JSON object per line (the format log shippers rely on, kept
 * stable). Flags are validated before anything starts (exit 2). Stops cleanly on SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../../../shared/config.js';
import type { EngineEvent, Snapshot } from '../../../shared/domain.js';
import { defaultClearmlConfPath, resolveClearmlCredentials } from '../clearml/credentials.js';
import { ConfigFileError, loadConfigFile } from '../config/load.js';
import { userDataSizeIssues } from '../userdata/userdata.js';
import { awsRegionFromEnv } from '../config/clearmlImport.js';
import { DataDirBusyError, lockDataDir, tightenDataDir, tightenedText, type DataDirLock } from '../data-dir-lock.js';
import { dataDirFault, faultFix, type DataDirFault } from '../data-dir-fault.js';
import { CLEARML_KEYS_REMEDY, ec2EndpointFor } from '../connections.js';
import { startOfUtcMonth } from '../cost/accounting.js';
import { COST_CSV_HEADER, CostHistory, type InstanceRecord } from '../cost/history.js';
import type { PriceSourceKind } from '../cost/price-book.js';
import { PRICE_SOURCE_TEXT } from '../timeline/instance-detail.js';
import type { ResolvedCredentials } from '../controller.js';
import { terminalText } from '../untrusted/terminal-text.js';
import { systemClock } from '../ports.js';
import { renderDecision } from '../reasons.js';
import { createEngineHost, type EngineHost } from '../host.js';
import { parseCliArgs, type CliOptions } from './args.js';
import { hostsOf, useNetworkFromEnv, type NetworkUse } from '../net/network.js';
import { systemProxyUrls } from '../net/system-proxy.js';
import { startServing, type Serving } from '../team/serve.js';
import { isTokenCommand, runTokenCommand } from './token-cmd.js';
import { runCheck } from './check.js';
import { onceOutcome } from './once-exit.js';
import { uncleanStopText } from './unclean-stop.js';
import { nextStep } from './next-step.js';
import { unusedApiHostVariable } from './api-host-variable.js';
import { createLeaseTable } from './lease-table.js';
import { createView, type Out, type TerminalStream } from './terminal.js';
import { RunTally, usd } from './view.js';
import { runMain, watchForStop } from './process.js';
import { errorText } from '../../../shared/error-text.js';
import { clip, plural } from '../../../shared/words.js';

export const USAGE = `Usage: npm run headless -- (--config FILE | --demo) [--dry-run] [--json] [--once | --minutes N]
       npm run headless -- --config FILE --check
       npm run headless -- --config FILE --create-lease-table
       npm run headless -- --report costs [--since YYYY-MM-DD] [--csv | --json]
       npm run headless -- (--config FILE | --demo) --serve [--listen HOST:PORT] [--tls-cert F --tls-key F]
       npm run headless -- token (issue --name NAME --role viewer|operator|admin | list | revoke NAME) [--json]

  --config FILE   our config (YAML/JSON) or a ClearML AWS autoscaler YAML (auto-detected)
  --demo          run against the built-in ClearML and EC2 emulators with a synthetic workload
  --check         test the ClearML connection, the AWS credentials and the IAM permissions (EC2 DryRun), print a
                  short report, exit 0 when everything needed works, 1 otherwise; launches nothing
  --create-lease-table
                  create the DynamoDB table of leader leases the config names (team.leaseTable), wait until it
                  is ACTIVE; one engine per account, region and workers prefix then acts, the others stand by
  --team act|standby|forget
                  without a lease table, when another engine acts on the same workers prefix: this engine acts
                  anyway, or stands by (observes only); remembered in the data folder ('forget' clears it)
  --dry-run       decide and log, but never launch, terminate or tag anything
  --adopt         adopt instances launched by ClearML's autoscaler (workers with our prefix on instances without
                  our tags): tag them as ours, so they are scaled down like our own. Without it they are only
                  counted as capacity and left alone
  --json          one JSON object per line on stdout (for log shippers)
  --once          run a single tick, print its decisions and exit (exit code 1 if the tick had errors or held
                  for another engine on the prefix)
  --minutes N     stop after N minutes (demo and soak runs; fractions allowed, at most a year)
  --report costs  print the accounting from the cost history (this month, or since --since); --csv for CSV
  --data-dir DIR  where the cost history and price cache live (default ~/.local/share/clearml-tray-autoscaler,
                  or AUTOSCALER_DATA_DIR)
  --serve         team mode: serve this engine to teammates' tray apps over TLS (token per person, with a role);
                  prints the certificate's SHA-256 fingerprint for them to confirm
  --listen H:P    where to listen with --serve (default 0.0.0.0:7465)
  --tls-cert F    with --tls-key F: your certificate (PEM); without them a self-signed one is made once and
                  kept in DATA_DIR/team
  token …         issue, list or revoke team tokens (kept as hashes in DATA_DIR/team/tokens.json)
  -h, --help      this text

Credentials: ClearML from CLEARML_API_HOST / CLEARML_API_ACCESS_KEY / CLEARML_API_SECRET_KEY, else ~/clearml.conf
(CLEARML_CONFIG_FILE names another; CLEARML_WEB_HOST, CLEARML_FILES_HOST, CLEARML_API_HOST_VERIFY_CERT are read too);
AWS from the SDK default chain (AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_CONFIG_FILE, AWS_ACCESS_KEY_ID, SSO, instance
role). AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL point the engine at any EC2-compatible endpoint. Git credentials for
the agents: CLEARML_AUTOSCALER_GIT_USER / CLEARML_AUTOSCALER_GIT_PASSWORD (as ClearML's autoscaler reads them; they
win over git_user/git_pass in the file).
Network: HTTPS_PROXY, HTTP_PROXY, NO_PROXY; extra CAs from REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE,
AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS. Paths: AUTOSCALER_DATA_DIR (the data folder), HOME; relative paths are taken
from where the command was typed (npm's INIT_CWD).
On a terminal the output is coloured unless NO_COLOR is set; FORCE_COLOR keeps colour in a pipe.

Exit codes: 0  done (also a stop by SIGINT, SIGTERM or SIGHUP)
            1  a --once tick or a --check failed, another engine holds the data folder, a full disk: may pass, a
               supervisor may restart
            2  a bad flag, a config that is missing or invalid, a data folder that cannot be used: restarting
               cannot fix it (RestartPreventExitStatus=2)
            130  a second Ctrl+C quit without waiting`;

/**
 * Stdout, which a reader may close (`| head`, a log pipe that dies): from then on lines are dropped and the run is
 * told, so it stops as on SIGTERM instead of dying of an unhandled EPIPE with a stack trace and its work cut short.
 */
const stdoutState = { closed: false, listeners: new Set<() => void>() };
const stdoutOut: Out = {
  write: (l) => void (stdoutState.closed || process.stdout.write(`${l}\n`)),
  stream: process.stdout,
  onClosed: (then) => {
    stdoutState.listeners.add(then);
    return () => stdoutState.listeners.delete(then);
  },
};
function watchStdout(): void {
  // Kept for the whole process: a write racing the close still ends here rather than as an uncaught error.
  process.stdout.on('error', () => {
    if (stdoutState.closed) return;
    stdoutState.closed = true;
    for (const then of stdoutState.listeners) then();
  });
}

/** One line of output: a JSON object under --json, else the text (a warning or an error says so first). */
function printLine(out: Out, json: boolean, type: 'info' | 'warning' | 'error', message: string): void {
  out.write(json ? JSON.stringify({ type, message }) : type === 'info' ? message : `${type}: ${message}`);
}

/**
 * The folder relative paths are given from: npm runs a script in the package's folder and says in INIT_CWD where
 * it was started, so `npm run headless -- --config my.yaml` reads the operator's my.yaml, not one in the install.
 */
export function callerDir(env: NodeJS.ProcessEnv): string {
  return env.INIT_CWD || process.cwd();
}

/** The options with every path made absolute from where the command was typed (messages then name them so). */
export function absolutePaths(opts: CliOptions, env: NodeJS.ProcessEnv): CliOptions {
  const abs = (p: string) => path.resolve(callerDir(env), p);
  return {
    ...opts,
    ...(opts.config !== undefined ? { config: abs(opts.config) } : {}),
    ...(opts.serve
      ? {
          serve: {
            ...opts.serve,
            ...(opts.serve.tlsCert ? { tlsCert: abs(opts.serve.tlsCert) } : {}),
            ...(opts.serve.tlsKey ? { tlsKey: abs(opts.serve.tlsKey) } : {}),
          },
        }
      : {}),
  };
}

/** The data folder and what chose it (named in every message about the folder), or why none can be used. */
export type DataDirChoice = { ok: true; dir: string; from: string } | { ok: false; error: string };

/**
 * --data-dir, else AUTOSCALER_DATA_DIR, else the default under HOME. An empty variable (an EnvironmentFile line
 * left blank) is refused like an empty --data-dir: taken as set, it would put the engine's files in the current
 * folder. Pure.
 */
export function chooseDataDir(flag: string | undefined, env: NodeJS.ProcessEnv, home: string): DataDirChoice {
  if (flag !== undefined) return { ok: true, dir: path.resolve(callerDir(env), flag), from: '--data-dir' };
  const fromEnv = env.AUTOSCALER_DATA_DIR;
  if (fromEnv !== undefined) {
    if (fromEnv.trim() === '')
      return {
        ok: false,
        error: 'AUTOSCALER_DATA_DIR is set but empty: give it a folder path, or unset it for the default',
      };
    return { ok: true, dir: path.resolve(callerDir(env), fromEnv), from: 'AUTOSCALER_DATA_DIR' };
  }
  return {
    ok: true,
    dir: path.join(home, '.local', 'share', 'clearml-tray-autoscaler'),
    from: 'the default under HOME; --data-dir or AUTOSCALER_DATA_DIR choose another',
  };
}

/**
 * The exit code of a file-system error at start: 1 (a supervisor restarts) when it may pass by itself, a full disk
 * or too many open files; 2 (restarting cannot fix it, RestartPreventExitStatus=2) when someone must change a path
 * or a permission first. Pure.
 */
export function startFailureExit(code: string | undefined): 1 | 2 {
  return code !== undefined && ['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN'].includes(code)
    ? 1
    : 2;
}

/**
 * What to do about a data folder that cannot be used at start, as the end of its error line ('' when nothing better
 * than the system's words can be said). The README's unit runs with ProtectSystem=strict, which makes every path
 * read-only but the unit's StateDirectory= and ReadWritePaths=, so a read-only folder names those too. Pure.
 */
export function startFailureFix(fault: DataDirFault | null): string {
  if (fault === null) return '';
  if (fault !== 'read-only') return `: ${faultFix(fault)}`;
  return (
    `: ${faultFix(fault)}, or, under a systemd unit with ProtectSystem=strict, point AUTOSCALER_DATA_DIR at its ` +
    "StateDirectory= (/var/lib/clearml-tray-autoscaler in the README's unit) or add the folder to ReadWritePaths="
  );
}

const errnoOf = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code;

export async function runHeadless(argv: string[], to: Out = stdoutOut, env = process.env): Promise<number> {
  // Every line of every command, whoever wrote the text in it, reaches the terminal unable to act on it.
  const out: Out = { ...to, write: (l) => to.write(terminalText(l, { newlines: true })) };
  const refuse = (message: string) => {
    printLine(out, argv.includes('--json'), 'error', message);
    return 2;
  };
  const home = env.HOME || homedir();
  if (isTokenCommand(argv)) {
    const chosen = chooseDataDir(undefined, env, home);
    if (!chosen.ok) return refuse(chosen.error);
    return runTokenCommand(argv, chosen.dir, (l) => out.write(l));
  }
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    const help = "Run 'npm run headless -- --help' for the flags.";
    // Asked for JSON, a typo in another flag still answers in JSON: a supervisor's log shipper parses every line.
    out.write(
      argv.includes('--json')
        ? JSON.stringify({ type: 'error', message: `${parsed.error}. ${help}` })
        : `error: ${parsed.error}\n${help}`,
    );
    return 2;
  }
  const opts = absolutePaths(parsed.options, env);
  if (opts.mode === 'help') {
    out.write(USAGE);
    return 0;
  }
  const chosen = chooseDataDir(opts.dataDir, env, home);
  if (!chosen.ok) return refuse(chosen.error);
  const dataDir = chosen.dir;
  if (opts.mode === 'report') return costReport({ ...opts, dataDir, dataDirFrom: chosen.from }, out);

  // Before any request: ClearML, EC2 and the lease table are reached through the proxy, and with the certificate
  // authorities, the environment names.
  const network = useNetworkFromEnv(env);
  for (const n of network.notes) printLine(out, opts.json, 'info', n);
  for (const p of network.problems) printLine(out, opts.json, 'warning', p);
  try {
    return await runEngine(opts, out, env, chosen, network);
  } finally {
    network.restore();
  }
}

/** A run that reaches ClearML and EC2 (or their emulators): --config, --check, --create-lease-table, --demo. */
async function runEngine(
  opts: CliOptions,
  out: Out,
  env: NodeJS.ProcessEnv,
  data: { dir: string; from: string },
  network: NetworkUse,
): Promise<number> {
  const dataDir = data.dir;
  let loaded: Loaded | null = null;
  if (opts.config) {
    try {
      loaded = await loadForRun(opts, out, env);
    } catch (e) {
      if (!(e instanceof ConfigFileError)) throw e;
      // A wrong path does not heal by restarting: exit 2, which the README's unit does not restart.
      printLine(out, opts.json, 'error', `cannot load the config file ${e.path} (--config): ${e.reason}`);
      return 2;
    }
    if (!loaded) return 2;
    // Now the hosts are known: one inside a NO_PROXY address range goes direct, as with ClearML's tools.
    if (network.useHosts(hostsOf(systemProxyUrls(loaded.config, env))))
      for (const n of network.notes.filter((l) => l.startsWith('proxy: '))) printLine(out, opts.json, 'info', n);
  }
  if (opts.mode === 'check') return runCheck(loaded!.config, loaded!.creds, out, opts.json);
  if (opts.mode === 'create-lease-table')
    return createLeaseTable(loaded!.config, loaded!.creds, (l) => out.write(l), opts.json);

  // One engine per data folder (a demo has a folder of its own): a second one would launch for the same tasks.
  let lock: DataDirLock | null = null;
  if (opts.mode !== 'demo') {
    try {
      lock = lockDataDir(dataDir);
    } catch (e) {
      if (e instanceof DataDirBusyError) {
        printLine(out, opts.json, 'error', e.message);
        return 1;
      }
      const fault = dataDirFault(e);
      printLine(
        out,
        opts.json,
        'error',
        `the data folder ${dataDir} (${data.from}) cannot be used: ${errorText(e)}${startFailureFix(fault)}`,
      );
      return startFailureExit(errnoOf(e));
    }
  }
  // A folder an older version wrote is still 0755/0644: made private as a fresh one is (the umask covers new files).
  const unclean = uncleanStopText(lock?.tookOver ?? null);
  if (unclean) printLine(out, opts.json, 'warning', unclean);
  if (lock)
    for (const l of tightenedText(tightenDataDir(dataDir, { files: true })))
      printLine(out, opts.json, l.level, l.message);
  try {
    return await runHost(opts, out, env, dataDir, network, loaded);
  } finally {
    lock?.release();
  }
}

/** The engine's run once the data folder is this process's: the view, the host, --once or the loop, --serve. */
async function runHost(
  opts: CliOptions,
  out: Out,
  env: NodeJS.ProcessEnv,
  dataDir: string,
  network: NetworkUse,
  loaded: Loaded | null,
): Promise<number> {
  const json = opts.json;
  const stream: TerminalStream = out.stream ?? {
    write: (chunk) => {
      for (const l of chunk.replace(/\n$/, '').split('\n')) out.write(l);
      return true;
    },
  };
  const view = json ? null : createView(stream, env);
  const tally = new RunTally();
  const shown: string[] = [];
  const print = (e: EngineEvent) => {
    tally.event(e);
    if (e.level === 'error') shown.push(e.message);
    if (json) out.write(JSON.stringify({ type: 'event', ...e, at: new Date(e.at).toISOString() }));
    else view!.event(e);
    const next = nextStep(e, { serving: opts.serve !== undefined });
    if (next === null) return;
    if (json) out.write(JSON.stringify({ type: 'warning', ...(e.code ? { code: e.code } : {}), message: next }));
    else view!.line(`warning: ${next}`);
  };
  const info = (message: string) => (json ? out.write(JSON.stringify({ type: 'info', message })) : view!.line(message));
  // A run that cannot start says why as one line a log shipper can parse, like every other line under --json.
  const fatal = (message: string) => printLine(out, json, 'error', message);
  // A demo keeps its made-up spend out of the real history, in a folder removed when the run ends.
  const demoDir = opts.mode === 'demo' ? await mkdtemp(path.join(tmpdir(), 'autoscaler-demo-')) : null;
  const host: EngineHost = createEngineHost({
    onEvent: print,
    dataDir: demoDir ?? dataDir,
    // A served engine has teammates watching it, also while one of them has turned autoscaling off.
    watchWhileOff: opts.serve !== undefined,
    reporting: {
      surface: 'cli',
      retrying: !opts.once,
      ...(loaded ? { ec2Endpoint: ec2EndpointFor(loaded.config.aws.region, process.env) } : {}),
    },
  });
  try {
    if (opts.mode === 'demo') {
      info(
        json
          ? 'demo mode: emulated ClearML and EC2, nothing real is touched'
          : 'demo mode: the engine runs against built-in ClearML and EC2 emulators; nothing real is touched',
      );
      await host.startDemo({ dryRun: opts.dryRun });
    } else {
      host.configure(loaded!.config, loaded!.creds);
      if (opts.team) {
        try {
          await host.teamDecide?.(opts.team === 'forget' ? null : opts.team);
        } catch (e) {
          fatal(errorText(e));
          await host.stop();
          return 2;
        }
      }
    }
    const warn = (message: string) =>
      json ? out.write(JSON.stringify({ type: 'warning', message })) : view!.line(`warning: ${message}`);
    const adoption = adoptionReporter(host, warn, opts.adopt);

    if (opts.once) {
      const r = await host.tickNow();
      for (const d of r?.plan?.decisions ?? [])
        out.write(
          json
            ? JSON.stringify({ type: 'decision', ...d, text: renderDecision(d, r?.held) })
            : `${d.queue}: ${renderDecision(d, r?.held)}`,
        );
      await adoption(host.store.getState());
      for (const e of r?.errors ?? []) {
        if (json) out.write(JSON.stringify({ type: 'error', message: e }));
        // An error already shown as an event line is not printed twice.
        else if (!shown.some((m) => e.startsWith(m))) out.write(`error: ${e}`);
      }
      const outcome = onceOutcome(r?.errors ?? null, host.store.getState().leadership);
      await host.stop();
      return outcome.code;
    }

    const startedAt = systemClock.now();
    let lastStatus = '';
    // The tally listens until the host has stopped: the tick a stop waits for publishes after the view has closed.
    const untally = host.store.subscribe((s) => tally.snapshot(s));
    const unsubscribe = host.store.subscribe((s) => {
      void adoption(s);
      if (!json) return view!.status(s);
      const line = JSON.stringify({
        type: 'status',
        status: s.status,
        reason: s.statusReason,
        running: s.instances.length,
        burnPerHour: s.costs.burnPerHour,
      });
      if (line !== lastStatus) {
        lastStatus = line;
        out.write(line);
      }
    });
    await host.setEnabled(true);
    let serving: Serving | null = null;
    if (opts.serve) {
      try {
        serving = await startServing({
          host,
          dataDir,
          listen: opts.serve.listen,
          ...(opts.serve.tlsCert ? { tlsCert: opts.serve.tlsCert } : {}),
          ...(opts.serve.tlsKey ? { tlsKey: opts.serve.tlsKey } : {}),
          config: loaded?.config ?? null,
          ...(loaded ? { creds: loaded.creds } : {}),
          env,
          log: info,
          network,
        });
      } catch (e) {
        unsubscribe();
        untally();
        await host.stop();
        fatal(`cannot serve: ${errorText(e)}`);
        return 2;
      }
      const { server, tls } = serving;
      const shownHost = server.host === '0.0.0.0' || server.host === '::' ? 'THIS-HOST' : server.host;
      if (json)
        out.write(
          JSON.stringify({
            type: 'serving',
            url: `wss://${shownHost}:${server.port}`,
            listen: `${server.host}:${server.port}`,
            fingerprint: tls.fingerprint,
            certificate: tls.source,
          }),
        );
      else {
        info(`team mode: serving on ${server.host}:${server.port}; attach with wss://${shownHost}:${server.port}`);
        info(`certificate (${tls.source}, ${tls.certFile}) SHA-256 fingerprint:`);
        info(`  ${tls.fingerprint}`);
        info("teammates compare it when they attach; issue their tokens with 'npm run headless -- token issue'");
      }
    }
    // Listening until the stop is done: a signal repeated meanwhile must not find the default action (exit 143).
    const watch = watchForStop({
      afterMs: opts.minutes === null ? null : opts.minutes * 60_000,
      onSignal: (a) => {
        if (a.code === 'already-stopping')
          info(`${a.signal} again: already stopping, waiting for the engine to finish`);
        // The stop may wait many seconds for a call to EC2: say so at once, and how not to wait (--json says
        // 'stopping' at the same moment).
        if (a.code === 'stop' && !json)
          view!.line(
            `stopping (${a.signal}): waiting for the current tick and any call in flight (Ctrl+C again quits now)`,
          );
      },
    });
    const unwatchOut = out.onClosed?.(() => watch.stop('output closed'));
    try {
      const cause = await watch.stopped;
      unsubscribe();
      await serving?.stop();
      if (json) {
        // Why the run ends: a signal's name, 'output closed', or the --minutes limit (null from the watch).
        const reason = cause ?? 'minutes';
        out.write(JSON.stringify({ type: 'info', message: 'stopping' }));
        await host.stop();
        untally();
        const f = tally.figures({ startedAt, now: systemClock.now() });
        out.write(JSON.stringify({ type: 'summary', reason, demo: opts.mode === 'demo', ...f }));
      } else {
        await host.stop();
        untally();
        view!.close();
        const lease = host.config?.lease.enabled ?? false;
        for (const l of tally.summary({ demo: opts.mode === 'demo', lease, startedAt, now: systemClock.now() }))
          out.write(l);
      }
    } finally {
      watch.dispose();
      unwatchOut?.();
    }
    return 0;
  } finally {
    if (demoDir) await rm(demoDir, { recursive: true, force: true });
  }
}

/** setTimeout holds at most 2^31-1 ms (about 24.8 days); longer waits are chained. */
interface Loaded {
  config: Config;
  creds: ResolvedCredentials;
}

/** Loads the config and credentials for a run or a check; prints what is wrong and returns null when invalid. */
async function loadForRun(opts: CliOptions, out: Out, env: NodeJS.ProcessEnv): Promise<Loaded | null> {
  const json = opts.json;
  const warn = (message: string) => printLine(out, json, 'warning', message);
  const creds = resolveClearmlCredentials({
    stored: null,
    env,
    // The environment given (the process's, or a test's) decides the home, as it decides every variable here.
    clearmlConfPath: defaultClearmlConfPath(env, env.HOME ?? homedir()),
  });
  // First: an ignored clearml.conf explains a missing API host in the config's issues as well as missing keys.
  if (creds.warning) warn(creds.warning);
  // All three hosts, as ClearML's autoscaler exports all three to its instances.
  const loaded = await loadConfigFile(opts.config!, {
    clearmlApiHost: creds.apiHost,
    clearmlWebHost: creds.webHost,
    clearmlFilesHost: creds.filesHost,
    // A ClearML file without a region takes this environment's, as ClearML's boto3 would.
    awsRegion: awsRegionFromEnv(env),
  });
  for (const w of loaded.warnings) warn(w);
  for (const d of loaded.differences) {
    const message = `differs from ClearML's autoscaler: ${d.text}`;
    out.write(
      json ? JSON.stringify({ type: 'warning', code: d.code, setting: d.setting, message }) : `warning: ${message}`,
    );
  }
  const invalid = (issues: readonly { path: string; message: string }[]): null => {
    out.write(
      json
        ? JSON.stringify({ type: 'invalid-config', issues })
        : `The config in ${opts.config} is invalid; nothing was launched:`,
    );
    if (!json) for (const i of issues) out.write(`  ${i.path}: ${i.message}`);
    return null;
  };
  if (!loaded.config) return invalid(loaded.issues);
  let config = loaded.config;
  const unused = unusedApiHostVariable(config.clearml.apiHost, env);
  if (unused)
    warn(
      `${unused.variable} (${unused.value}) is not used: clearml.apiHost in ${opts.config} names another server ` +
        `(${config.clearml.apiHost}), which wins, and the ClearML keys are sent there; make the two match or remove one`,
    );
  if (opts.dryRun) config = { ...config, scaling: { ...config.scaling, dryRun: true } };
  // The client refuses to call without keys, so nothing is sent unauthenticated; the engine reports it every run.
  if (!creds.credentials)
    warn(`no ClearML credentials found: ${CLEARML_KEYS_REMEDY}; until then ClearML cannot be read`);
  const aws =
    loaded.secrets.awsAccessKeyId && loaded.secrets.awsSecretAccessKey
      ? {
          accessKeyId: loaded.secrets.awsAccessKeyId,
          secretAccessKey: loaded.secrets.awsSecretAccessKey,
          sessionToken: loaded.secrets.awsSessionToken,
        }
      : null;
  const git = gitFromEnv(env, config.agent.gitUser, loaded.secrets.gitPassword);
  if (git.note) printLine(out, json, 'info', git.note);
  config = { ...config, agent: { ...config.agent, gitUser: git.user } };
  // Loading checked the size without the git credentials from the environment; every startup script carries them.
  const tooBig = userDataSizeIssues(config, 'agent.initScript', git.password ? { gitPassword: git.password } : {});
  if (tooBig.length > 0) return invalid(tooBig);
  return {
    config,
    creds: {
      clearml: creds.credentials,
      ...(!creds.credentials && creds.warning
        ? { clearmlMissing: `No ClearML credentials are set: ${creds.warning}` }
        : {}),
      aws,
      ...(git.password ? { gitPassword: git.password } : {}),
    },
  };
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
function adoptionReporter(host: EngineHost, warn: (message: string) => void, adopt: boolean) {
  let told = '';
  let busy = false;
  return async (s: Snapshot): Promise<void> => {
    const ready = (s.adoptable ?? []).filter((a) => !a.blocker);
    if (!ready.length || busy) return;
    if (!adopt) {
      const key = ready.map((a) => a.instanceId).join(',');
      if (key === told) return;
      told = key;
      warn(
        `${plural(ready.length, 'instance')} launched by ClearML's autoscaler ${ready.length === 1 ? 'runs a worker' : 'run workers'} with our prefix (${key}): counted as capacity and left alone; run with --adopt to let this app scale ${ready.length === 1 ? 'it' : 'them'} down too`,
      );
      return;
    }
    busy = true;
    try {
      const r = await host.adopt(ready.map((a) => a.instanceId));
      for (const x of r.refused) warn(`not adopted: ${x.instanceId}: ${x.reason}`);
    } finally {
      busy = false;
    }
  };
}

async function costReport(o: CliOptions & { dataDir: string; dataDirFrom: string }, out: Out): Promise<number> {
  const now = systemClock.now();
  const since = o.since ?? startOfUtcMonth(now);
  const file = path.join(o.dataDir, 'cost-history.jsonl');
  // Reading a report never creates the data folder or an empty history.
  if (!existsSync(file)) {
    if (o.json)
      out.write(
        JSON.stringify({ since: new Date(since).toISOString(), until: new Date(now).toISOString(), empty: true }),
      );
    else if (o.csv) out.write(COST_CSV_HEADER.join(','));
    else out.write(`No spend recorded yet: there is no cost history at ${file}.`);
    return 0;
  }
  // Read only: an engine may be appending to the file; a damaged line is named here and set aside by the engine.
  const problems: string[] = [];
  const onProblem = (m: string) => void problems.push(m);
  let history: CostHistory;
  try {
    history = await CostHistory.open({ file, clock: systemClock, readOnly: true, onProblem });
  } catch (e) {
    const message = `cannot read the cost history ${file} (data folder from ${o.dataDirFrom}): ${errorText(e)}`;
    printLine(out, o.json, 'error', message);
    return startFailureExit(errnoOf(e));
  }
  try {
    if (o.csv) {
      // Stdout stays CSV for the spreadsheet; the lost lines are said where a person still sees them.
      const warn = out.warn ?? ((l: string) => void process.stderr.write(`${l}\n`));
      for (const p of problems) warn(terminalText(`warning: ${p}`));
      out.write(history.toCsv(since, now).trimEnd());
      return 0;
    }
    const r = history.rollup(since, now);
    // A period that starts before the history does is partial: say so, or a year's report reads as complete.
    const startsAt = history.startsAt();
    const startsLater = startsAt !== null && startsAt > since ? startsAt : null;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    // Both to the minute when they fall on one day ("starts at 2026-11-30, after 2026-11-30" says nothing).
    const sameDay = startsLater !== null && day(startsLater) === day(since);
    const when = (ms: number) =>
      sameDay ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : day(ms);
    const sources = priceSources(history.instances(), since, now);
    if (o.json) {
      const period = { since: new Date(since).toISOString(), until: new Date(now).toISOString() };
      const start =
        startsLater !== null
          ? { historyStartsAt: new Date(startsLater).toISOString(), retentionDays: history.retentionDays }
          : {};
      out.write(
        JSON.stringify({
          ...period,
          ...start,
          ...r,
          priceSources: sources.counts,
          ...(problems.length ? { warnings: problems } : {}),
        }),
      );
      return 0;
    }
    out.write(`Costs from ${day(since)} to now (history: ${file})`);
    if (startsLater !== null)
      out.write(
        `note: the cost history starts at ${when(startsLater)}, after ${when(since)}: spend before it is not counted ` +
          `(the history keeps instances that ended within the last ${history.retentionDays} days)`,
      );
    for (const p of problems) out.write(`warning: ${p}`);
    if (r.total === 0 && Object.keys(r.byQueue).length === 0) {
      out.write('  No spend recorded in this period.');
      return 0;
    }
    out.write(
      `  total ${usd(r.total)}: tasks ${usd(r.tasks)}, idle ${usd(r.idle)}, boot ${usd(r.boot)}; spot saved ${usd(r.spot.savings)}`,
    );
    if (sources.text) out.write(`  prices: ${sources.text}`);
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

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  // What the engine writes (the event log, cost history with task names and spend, the launch journal) is this
  // user's: files it creates are 0600 and folders 0700, as the README's unit asks with StateDirectoryMode=0700.
  process.umask(0o077);
  watchStdout();
  const argv = process.argv.slice(2);
  runMain(async () => {
    try {
      return await runHeadless(argv);
    } catch (e) {
      // Anything unforeseen still ends as one line of the run's format: under --json a log shipper parses it.
      printLine(stdoutOut, argv.includes('--json'), 'error', errorText(e));
      return 1;
    }
  });
}

/**
 * Where the prices of a period's instances came from, counted by kind, and in words: a total priced partly from
 * estimates or an old bundled table must say so, as every figure in the app does.
 */
export function priceSources(
  instances: readonly InstanceRecord[],
  since: number,
  now: number,
): { counts: Partial<Record<PriceSourceKind, number>>; text: string } {
  const counts: Partial<Record<PriceSourceKind, number>> = {};
  const notes = new Set<string>();
  for (const i of instances) {
    if (i.launchedAt > now || (i.endedAt !== null && i.endedAt < since)) continue;
    counts[i.priceSource.kind] = (counts[i.priceSource.kind] ?? 0) + 1;
    if (i.priceSource.kind !== 'pricing-api' && i.priceSource.kind !== 'spot-history' && i.priceSource.note)
      notes.add(i.priceSource.note);
  }
  const parts = (Object.entries(counts) as [PriceSourceKind, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${PRICE_SOURCE_TEXT[kind]} for ${plural(n, 'instance')}`);
  const shown = [...notes].slice(0, 2).map((n) => clip(n, 160));
  const more = notes.size > shown.length ? ` (and ${plural(notes.size - shown.length, 'more note')})` : '';
  const why = shown.length ? ` (${shown.join('; ')}${more})` : '';
  return { counts, text: parts.length ? `${parts.join(', ')}${why}` : '' };
}
