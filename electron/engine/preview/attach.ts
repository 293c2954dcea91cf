/**
 * `npm run preview:web -- --attach wss://HOST:PORT --token-file F [--fingerprint SHA256]`: the dashboard in a
 * browser backed by a team engine instead of a local one. The preview server is the same; behind it, the team
 * client's mirrored store and forwarding dispatcher take the engine host's place. Links open nowhere (printed).
 */
import { errorText } from '../../../shared/error-text.js';
import type { Dispatch } from '../../../shared/ipc/dispatch.js';
import { watchForStop } from '../cli/process.js';
import { AttachError, createTeamClient, probeFingerprint, type TeamClient } from '../team/client.js';
import { normalizeFingerprint } from '../team/fingerprint.js';
import { defaultKnownFingerprintsFile, knownFingerprint, rememberFingerprint } from './known-fingerprints.js';
import { PortInUseError, startPreviewServer, type PreviewServer } from './server.js';

export interface AttachPreviewOptions {
  url: string;
  token: string;
  /**
   * Null: the one confirmed earlier for this address (`knownFile`), or else print the server's for the user to
   * confirm, and stop (trust on first use). Given: confirmed now, and remembered once the connection is up.
   */
  fingerprint: string | null;
  /** Where confirmed fingerprints are kept (default: defaultKnownFingerprintsFile()). */
  knownFile?: string;
  /** Default: new Date(). */
  now?: () => Date;
  port: number;
  staticDir: string;
  log: (line: string) => void;
  error: (line: string) => void;
  /** Resolves when the preview should stop (default: SIGINT, SIGTERM or SIGHUP). */
  until?: Promise<void>;
  /** Told once serving (tests). */
  onServing?: (server: PreviewServer, client: TeamClient) => void;
}

/** The client's dispatcher, except that links are shown here, not opened on the team engine's host. */
export function attachedDispatch(client: TeamClient, log: (line: string) => void): Dispatch {
  return async (channel, args, ctx) => {
    if (channel === 'autoscaler:app.openExternal') {
      const url = (args as { url?: unknown } | undefined)?.url;
      log(`open in your browser: ${typeof url === 'string' ? url : '?'}`);
      return { ok: true, value: { opened: false } };
    }
    return client.dispatch(channel, args, ctx);
  };
}

export async function attachBackend(o: AttachPreviewOptions): Promise<number> {
  const knownFile = o.knownFile ?? defaultKnownFingerprintsFile();
  const known = o.fingerprint === null ? await knownFingerprint(knownFile, o.url) : null;
  if (known) o.log(`Using the fingerprint you confirmed for ${o.url} on ${known.confirmedAt} (${knownFile}).`);
  if (o.fingerprint === null && !known) {
    let fp: string;
    try {
      fp = await probeFingerprint(o.url);
    } catch (e) {
      o.error(errorText(e));
      return 2;
    }
    o.error(
      `The team engine at ${o.url} presents a certificate with the SHA-256 fingerprint\n\n  ${fp}\n\n` +
        'Compare it with the one the server printed when it started (or ask its admin). If they match, run again ' +
        `with --fingerprint ${fp} (it is then remembered for this address in ${knownFile}).`,
    );
    return 2;
  }
  const pinned = known ? known.fingerprint : normalizeFingerprint(o.fingerprint ?? '');
  if (!pinned) {
    o.error(`--fingerprint '${o.fingerprint}' is not a SHA-256 fingerprint (64 hex digits, colons optional).`);
    return 2;
  }
  let client: TeamClient;
  try {
    client = createTeamClient({ url: o.url, token: o.token, fingerprint: pinned, log: o.log });
  } catch (e) {
    o.error(errorText(e));
    return 2;
  }
  try {
    await client.ready();
  } catch (e) {
    client.close();
    o.error(errorText(e));
    if (known && e instanceof AttachError && e.code === 'fingerprint_changed')
      o.error(
        `The fingerprint pinned here was the one you confirmed on ${known.confirmedAt}. If its admin replaced the ` +
          'certificate, compare the new fingerprint with the one the server prints at start and run again with ' +
          '--fingerprint <the new one>: that replaces the remembered one.',
      );
    return 2;
  }
  if (!known) {
    try {
      await rememberFingerprint(knownFile, o.url, pinned, (o.now ?? (() => new Date()))());
    } catch (e) {
      o.log(`(could not remember the fingerprint in ${knownFile}: ${errorText(e)}; pass --fingerprint next time)`);
    }
  }
  let server: PreviewServer;
  try {
    server = await startPreviewServer({
      dispatch: attachedDispatch(client, o.log),
      store: client.store,
      changes: client.changes,
      staticDir: o.staticDir,
      host: '127.0.0.1',
      port: o.port,
      log: o.log,
    });
  } catch (e) {
    client.close();
    if (e instanceof PortInUseError) {
      o.error(e.message);
      return 2;
    }
    throw e;
  }
  const unnavigate = client.onNavigate((t) => server.navigate(t));
  const who = client.connection().actor;
  o.log(
    `Attached to the team engine at ${o.url}${who ? ` as ${who.name} (${who.role})` : ''}; no local engine runs.\n\n` +
      `Open the dashboard: ${server.url}\n\nCtrl+C stops it (the team engine keeps running).`,
  );
  o.onServing?.(server, client);
  // Listening until the stop is done, so a repeated signal does not kill the process mid-stop.
  const watch = o.until ? null : watchForStop();
  await (o.until ?? watch!.stopped);
  unnavigate();
  await server.close();
  client.close();
  watch?.dispose();
  return 0;
}
