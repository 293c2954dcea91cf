/**
 * `npm run preview:web [-- --config FILE | --first-run] [--port N] [--data-dir DIR]`: the real dashboard in
 * any browser, against the real engine (the demo world by default), served on 127.0.0.1 with a one-time token.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigFileError, loadConfigFile } from '../config/load.js';
import { createPreviewBackend } from './backend.js';
import { useNetworkFromEnv } from '../net/network.js';
import { ensureRendererBuilt, repoRoot } from './build.js';
import { PortInUseError, startPreviewServer } from './server.js';
import { createRunTempDir } from '../temp-dir.js';
import { errorText } from '../../../shared/error-text.js';
import { runMain, watchForStop, type SignalAction } from '../cli/process.js';
import { attachBackend } from './attach.js';
import { DataDirBusyError, lockDataDir, type DataDirLock } from '../data-dir-lock.js';

const USAGE = `Usage: npm run preview:web -- [--config FILE | --first-run] [--port N] [--data-dir DIR]
       npm run preview:web -- --attach wss://HOST:PORT --token-file FILE [--fingerprint SHA256] [--port N]

  (no option)     the demo: emulated ClearML and EC2 with a synthetic workload; nothing real is touched
  --config FILE   our config (YAML/JSON) or a ClearML autoscaler YAML, against the real services
  --first-run     start empty, as a new install would (setup screen, or "Try the demo")
  --port N        listen on 127.0.0.1:N (default: any free port)
  --data-dir DIR  keep settings.json here (default: a fresh temporary folder)
  --attach URL    no local engine: the dashboard of a team engine (npm run headless -- --serve), with the role
                  of the token in --token-file; without --fingerprint it uses the one you confirmed for that address
                  before, or prints the server's for you to confirm; a --fingerprint that connects is remembered
                  (in $XDG_CONFIG_HOME or ~/.config: clearml-tray-autoscaler/preview-fingerprints.json)`;

interface PreviewArgs {
  config?: string | undefined;
  'first-run'?: boolean | undefined;
  'data-dir'?: string | undefined;
  attach?: string | undefined;
  'token-file'?: string | undefined;
  fingerprint?: string | undefined;
}

/** Why a combination of flags would leave one of them unused, or null when every flag given applies. */
function ignoredFlag(args: PreviewArgs): string | null {
  if (args.attach !== undefined) {
    const local = (['config', 'first-run', 'data-dir'] as const).filter(
      (f) => args[f] !== undefined && args[f] !== false,
    );
    if (local.length)
      return `--attach shows a team engine: ${local.map((f) => `--${f}`).join(' and ')} ${local.length > 1 ? 'do' : 'does'} not apply.`;
    return null;
  }
  const team = (['token-file', 'fingerprint'] as const).filter((f) => args[f] !== undefined);
  if (team.length)
    return `${team.map((f) => `--${f}`).join(' and ')} ${team.length > 1 ? 'go' : 'goes'} with --attach wss://HOST:PORT (a team engine's dashboard).`;
  if (args.config !== undefined && args['first-run'])
    return '--config runs against your config and --first-run starts empty: give one of them.';
  return null;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'first-run': { type: 'boolean', default: false },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        attach: { type: 'string' },
        'token-file': { type: 'string' },
        fingerprint: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`${errorText(e)}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const port = args.port === undefined ? 0 : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, not '${args.port}'.`);
    return 2;
  }
  // A flag that would be ignored is refused instead, as headless does: the user meant something by it.
  const refused = ignoredFlag(args);
  if (refused) {
    console.error(refused);
    return 2;
  }
  // Before any request: ClearML, EC2 and the lease table are reached through the proxy, and with the certificate
  // authorities, the environment names.
  const network = useNetworkFromEnv(process.env);
  for (const n of network.notes) console.log(n);
  for (const p of network.problems) console.warn(`warning: ${p}`);
  if (args.attach !== undefined) {
    if (!args['token-file']) {
      console.error('--attach needs --token-file FILE (the file holding the token an admin issued for you).');
      return 2;
    }
    let token: string;
    try {
      token = (await readFile(args['token-file'], 'utf8')).trim();
    } catch (e) {
      console.error(`Cannot read the token file: ${errorText(e)}`);
      return 2;
    }
    const staticDir = ensureRendererBuilt(repoRoot(), (line) => console.log(line), { rebuildIfStale: true });
    return attachBackend({
      url: args.attach,
      token,
      fingerprint: args.fingerprint ?? null,
      port,
      staticDir,
      log: (line) => console.log(line),
      error: (line) => console.error(line),
    });
  }
  // A folder of our own is removed on exit (createRunTempDir); one the user named is kept.
  const dataDir = args['data-dir'] ?? createRunTempDir('clearml-autoscaler-preview-').path;
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way; name a folder' : errorText(e);
    console.error(`Cannot use --data-dir ${dataDir}: ${why}.`);
    return 2;
  }
  // A folder the user named may be another preview's or a headless engine's (`--data-dir DIR/engine`): two engines
  // on one folder launch twice for the same tasks. A temporary folder is this run's alone.
  let lock: DataDirLock | null = null;
  if (args['data-dir']) {
    try {
      lock = lockDataDir(path.join(dataDir, 'engine'));
    } catch (e) {
      if (!(e instanceof DataDirBusyError)) throw e;
      console.error(e.message);
      return 1;
    }
  }
  try {
    return await serve(args, dataDir, port, network);
  } finally {
    lock?.release();
  }
}

/** The preview's own engine on `dataDir`, served until a signal stops it. */
async function serve(
  args: PreviewArgs,
  dataDir: string,
  port: number,
  network: ReturnType<typeof useNetworkFromEnv>,
): Promise<number> {
  let config;
  if (args.config) {
    try {
      const loaded = await loadConfigFile(args.config);
      for (const w of loaded.warnings) console.warn(`warning: ${w}`);
      if (!loaded.config) {
        console.error(`The config in ${args.config} is invalid:`);
        for (const i of loaded.issues) console.error(`  ${i.path}: ${i.message}`);
        return 2;
      }
      config = loaded.config;
    } catch (e) {
      if (e instanceof ConfigFileError) {
        console.error(e.message);
        return 2;
      }
      throw e;
    }
  }

  const staticDir = ensureRendererBuilt(repoRoot(), (line) => console.log(line), { rebuildIfStale: true });
  const backend = await createPreviewBackend({
    dataDir,
    demo: !config && !args['first-run'],
    config,
    log: (line) => console.log(line),
    network,
  });
  let server;
  try {
    server = await startPreviewServer({
      dispatch: backend.dispatch,
      store: backend.host.store,
      changes: backend.changes,
      staticDir,
      host: '127.0.0.1',
      port,
      log: (line) => console.log(line),
    });
  } catch (e) {
    await backend.stop();
    if (e instanceof PortInUseError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }

  console.log(
    `${backend.host.demo ? 'Demo: emulated ClearML and EC2, nothing real is launched.\n' : ''}` +
      `Settings: ${path.join(dataDir, 'settings.json')} (credentials are kept in memory only)\n\n` +
      `Open the dashboard: ${server.url}\n\nCtrl+C stops it.`,
  );

  // Listening until the stop is done: a signal repeated meanwhile (tsx relays its own copy; a supervisor signals the
  // whole group) must not find the default action and kill the engine mid-stop with its lock left.
  const watch = watchForStop({
    onSignal: (a) => {
      const line = stopLine(a);
      if (line !== null) console.log(line);
    },
  });
  try {
    await watch.stopped;
    await server.close();
    await backend.stop();
  } finally {
    watch.dispose();
  }
  // In the demo the emulated instances end with the process; only real ones outlive it.
  console.log(
    backend.host.demo
      ? 'Stopped. The demo world ended with it: nothing real was launched.'
      : 'Stopped. Instances launched on AWS keep running until the next start scales them down or you terminate them.',
  );
  return 0;
}

/** What the terminal is told on a stop signal (null: nothing, a key press tsx relayed twice). */
function stopLine(a: SignalAction): string | null {
  switch (a.code) {
    case 'stop':
      return `\n${a.signal}: stopping… (Ctrl+C again quits now)`;
    case 'already-stopping':
      return `${a.signal} again: already stopping`;
    case 'force':
      return `${a.signal} again: quitting now`;
    case 'ignore':
      return null;
  }
}

runMain(() => main(process.argv.slice(2)), { stack: true });
