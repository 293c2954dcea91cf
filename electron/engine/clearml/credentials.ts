/**
 * Where the ClearML key pair and server URLs come from, in order: the keychain (set in the app), the
 * environment (`CLEARML_API_*`, or the legacy `TRAINS_API_*`), then the `api` section of `~/clearml.conf`, the
 * file `clearml-init` writes. The pair is always taken whole from one source (never an access key from one
 * place and a secret from another); host URLs follow the ClearML SDK: each variable overrides its conf key.
 */
import path from 'node:path';
import { readBoundedFileSync } from '../untrusted/bounded-read.js';
import { CLEARML_CONF_LIMITS } from '../untrusted/text-guard.js';
import { HoconError, hoconGet, parseHocon } from './hocon.js';

export interface ClearmlKeyPair {
  accessKey: string;
  secretKey: string;
}

export type ClearmlCredentialSource = 'keychain' | 'environment' | 'clearml.conf' | 'none';

export interface ResolvedClearmlCredentials {
  credentials: ClearmlKeyPair | null;
  /**
   * Certificate checks as the SDK configures them (`CLEARML_API_HOST_VERIFY_CERT`, else `api.verify_certificate`):
   * null when on (the default), 'off', or a CA bundle file (requests takes a path there), with where it was set.
   */
  verifyCertificate: { value: 'off' | { caFile: string }; setBy: string } | null;
  apiHost: string | null;
  webHost: string | null;
  filesHost: string | null;
  source: ClearmlCredentialSource;
  /**
   * Something the user should fix (an unreadable clearml.conf, half a key pair in the environment): what was
   * ignored and why, without advice.
   */
  warning?: string;
}

export interface ClearmlConfContents {
  credentials: ClearmlKeyPair | null;
  apiHost: string | null;
  /** `api.verify_certificate` as written: a yes/no, or (as requests takes it) the path of a CA bundle. */
  verifyCertificate: string | null;
  webHost: string | null;
  filesHost: string | null;
}

const ENV = {
  apiHost: ['CLEARML_API_HOST', 'TRAINS_API_HOST'],
  webHost: ['CLEARML_WEB_HOST', 'TRAINS_WEB_HOST'],
  filesHost: ['CLEARML_FILES_HOST', 'TRAINS_FILES_HOST'],
  accessKey: ['CLEARML_API_ACCESS_KEY', 'TRAINS_API_ACCESS_KEY'],
  secretKey: ['CLEARML_API_SECRET_KEY', 'TRAINS_API_SECRET_KEY'],
  verifyCertificate: ['CLEARML_API_HOST_VERIFY_CERT', 'TRAINS_API_HOST_VERIFY_CERT'],
} as const;

/** The file the ClearML SDK reads: `CLEARML_CONFIG_FILE` (or the legacy `TRAINS_CONFIG_FILE`), else ~/clearml.conf. */
export function defaultClearmlConfPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  const override = nonEmpty(env['CLEARML_CONFIG_FILE']) ?? nonEmpty(env['TRAINS_CONFIG_FILE']);
  if (override) return override.startsWith('~') ? path.join(homeDir, override.slice(1)) : override;
  return path.join(homeDir, 'clearml.conf');
}

export function resolveClearmlCredentials(opts: {
  stored: ClearmlKeyPair | null;
  env: NodeJS.ProcessEnv;
  clearmlConfPath: string;
}): ResolvedClearmlCredentials {
  const { env } = opts;
  const warnings: string[] = [];

  let conf: ClearmlConfContents | null = null;
  let text: string | null = null;
  try {
    const read = readBoundedFileSync(opts.clearmlConfPath, CLEARML_CONF_LIMITS.maxBytes);
    if (read.ok) text = read.bytes.toString('utf8');
    else {
      warnings.push(
        read.code === 'directory'
          ? `${opts.clearmlConfPath} could not be read (EISDIR); it was ignored`
          : `${opts.clearmlConfPath} was ignored: ${read.code === 'too-large' ? `it is larger than ${CLEARML_CONF_LIMITS.maxBytes} bytes` : 'it is not a regular file'}`,
      );
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      const why = typeof code === 'string' ? code : 'read error';
      warnings.push(`${opts.clearmlConfPath} could not be read (${why}); it was ignored`);
    }
  }
  if (text !== null) {
    try {
      conf = readClearmlConf(text, env);
    } catch (err) {
      // Position only: the parser's message may quote text from the file, and the file holds a secret.
      const where = err instanceof HoconError ? ` at line ${err.line}, column ${err.column}` : '';
      // No advice here: the app and the command line each say what to do in their own terms.
      const what =
        err instanceof HoconError && err.kind === 'substitution'
          ? 'a substitution that names nothing in the file or the environment'
          : 'a syntax error';
      warnings.push(`${opts.clearmlConfPath} has ${what}${where} and was ignored`);
    }
  }

  const envAccess = fromEnv(env, ENV.accessKey);
  const envSecret = fromEnv(env, ENV.secretKey);
  if (!!envAccess !== !!envSecret) {
    warnings.push(
      `${envAccess ? 'CLEARML_API_ACCESS_KEY' : 'CLEARML_API_SECRET_KEY'} is set without its pair ` +
        `(${envAccess ? 'CLEARML_API_SECRET_KEY' : 'CLEARML_API_ACCESS_KEY'}), so the environment was skipped`,
    );
  }

  const stored = opts.stored && opts.stored.accessKey.trim() && opts.stored.secretKey.trim() ? opts.stored : null;
  const [credentials, source]: [ClearmlKeyPair | null, ClearmlCredentialSource] = stored
    ? [{ accessKey: stored.accessKey.trim(), secretKey: stored.secretKey.trim() }, 'keychain']
    : envAccess && envSecret
      ? [{ accessKey: envAccess, secretKey: envSecret }, 'environment']
      : conf?.credentials
        ? [conf.credentials, 'clearml.conf']
        : [null, 'none'];

  // Includes are never followed (the app reads the one file it names in its messages): when the keys may be in an
  // included file, say so rather than "none set".
  if (!credentials && conf && text !== null && /^[ \t]*include\b/m.test(text)) {
    warnings.push(
      `${opts.clearmlConfPath} includes other files, which are not read: put the api section with its keys in ` +
        `${opts.clearmlConfPath} itself`,
    );
  }
  return {
    credentials,
    apiHost: host(fromEnv(env, ENV.apiHost)) ?? conf?.apiHost ?? null,
    webHost: host(fromEnv(env, ENV.webHost)) ?? conf?.webHost ?? null,
    filesHost: host(fromEnv(env, ENV.filesHost)) ?? conf?.filesHost ?? null,
    verifyCertificate: verifyCertificate(env, conf, opts.clearmlConfPath),
    source,
    ...(warnings.length ? { warning: warnings.join('; ') } : {}),
  };
}

/**
 * Reads the `api` section of a clearml.conf text, its substitutions resolved against `env` as the SDK resolves them
 * against its environment. Throws HoconError on a syntax error, or a substitution that names nothing (the SDK
 * refuses the whole file then too).
 */
export function readClearmlConf(text: string, env: NodeJS.ProcessEnv = {}): ClearmlConfContents {
  const root = parseHocon(text, env);
  const get = (p: string) => str(hoconGet(root, p));
  const accessKey = get('api.credentials.access_key');
  const secretKey = get('api.credentials.secret_key');
  return {
    credentials: accessKey && secretKey ? { accessKey, secretKey } : null,
    // `api.host` is the pre-2020 name of api_server; the SDK still reads it.
    apiHost: host(get('api.api_server') ?? get('api.host')),
    webHost: host(get('api.web_server')),
    filesHost: host(get('api.files_server')),
    verifyCertificate: get('api.verify_certificate'),
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? nonEmpty(v) : null;
}

function fromEnv(env: NodeJS.ProcessEnv, names: readonly string[]): string | null {
  for (const n of names) {
    const v = nonEmpty(env[n]);
    if (v) return v;
  }
  return null;
}

function nonEmpty(v: string | undefined | null): string | null {
  const t = v?.trim();
  return t ? t : null;
}

function host(v: string | null): string | null {
  return v ? v.replace(/\/+$/, '') : null;
}

const NO = new Set(['n', 'no', 'f', 'false', 'off', '0']);
const YES = new Set(['y', 'yes', 't', 'true', 'on', '1']);

/** The SDK's reading: the variable wins over the file; a yes/no as Python's strtobool reads it, else a path. */
function verifyCertificate(
  env: NodeJS.ProcessEnv,
  conf: ClearmlConfContents | null,
  confPath: string,
): ResolvedClearmlCredentials['verifyCertificate'] {
  const fromVar = ENV.verifyCertificate.find((n) => nonEmpty(env[n]));
  const raw = fromVar ? nonEmpty(env[fromVar]) : (conf?.verifyCertificate ?? null);
  if (raw === null || YES.has(raw.toLowerCase())) return null;
  const setBy = fromVar ?? `api.verify_certificate in ${confPath}`;
  if (NO.has(raw.toLowerCase())) return { value: 'off', setBy };
  // A path as written: requests opens it as given (no ~ expansion).
  return { value: { caFile: raw }, setBy };
}
