/**
 * The IPC service's view of config import/export: the engine's loader (our format or a ClearML autoscaler YAML,
 * auto-detected) and exporter, adapted to the contract's response. Secrets found in an imported ClearML file are
 * never sent back to the renderer: the user is told they belong in the keychain.
 */
import type { Config } from '../../../shared/config.js';
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import {
  AWS_KEYS_MOVED,
  GIT_PASS_MOVED,
  SECRETS_IN_TASK,
  SECRET_FIELDS,
  type ClearmlHosts,
  type EnvRegion,
} from '../config/clearmlImport.js';
import { exportConfig, loadConfigText } from '../config/load.js';

export type ImportResult = InvokeResponse<'autoscaler:config.import'>;

export function exportConfigText(config: Config | null): string {
  return config ? exportConfig(config, 'yaml') : '# no configuration saved yet\n';
}

type Hosts = { apiHost?: string | null; webHost?: string | null; filesHost?: string | null };

/**
 * The ClearML hosts an imported ClearML file gets (the file has none): each of the API, web and files hosts from
 * the saved config, else from outside the app (environment or ~/clearml.conf), as ClearML's own autoscaler takes
 * all three from its SDK configuration.
 */
export function importHosts(
  saved: Hosts | null | undefined,
  outside: Hosts,
  /** For a file without cloud_credentials_region: the saved config's region, else the environment's. */
  region: EnvRegion | null = null,
): ClearmlHosts {
  return {
    clearmlApiHost: saved?.apiHost ?? outside.apiHost ?? null,
    clearmlWebHost: saved?.webHost ?? outside.webHost ?? null,
    clearmlFilesHost: saved?.filesHost ?? outside.filesHost ?? null,
    awsRegion: region,
  };
}

/**
 * `hosts`: the hosts (or just the API host) a ClearML file is imported with; an `apiHost` the user gives with the
 * file takes the API host's place, and a `region` the region's (for a file that names none).
 */
export function createConfigImporter(
  hosts: () => ClearmlHosts | string | null,
): (text: string, apiHost?: string, region?: string) => Promise<ImportResult> {
  return async (text, apiHost, region) => {
    const h = hosts();
    const given = apiHost?.trim();
    const givenRegion = region?.trim();
    const base = typeof h === 'string' || h === null ? { clearmlApiHost: h } : h;
    const r = loadConfigText(text, {
      ...base,
      ...(given ? { clearmlApiHost: given } : {}),
      ...(givenRegion ? { awsRegion: { region: givenRegion, from: 'the region entered with the file' } } : {}),
    });
    const moved = Object.entries(r.secrets)
      .filter(([, v]) => typeof v === 'string' && v.length > 0)
      .map(([k]) => k);
    if (!moved.length) return { ...pick(r), warnings: r.warnings, differences: r.differences };
    // One note for the secrets in the file, instead of the loader's warning per kind of secret and a "not carried
    // over" line per field, which said the same thing up to four times in one preview.
    const secretField = (path: string | null) => SECRET_FIELDS.some((f) => path === `hyper_params.${f}`);
    const fields = r.differences.filter((d) => d.code === 'not-carried' && secretField(d.path)).map((d) => d.path);
    const note =
      `This file contains credentials in plain text (${(fields.length ? fields : moved).join(', ')}). They were ` +
      'not imported: enter them in Credentials (the AWS keys under AWS, a git password under Git), where they are ' +
      'stored write-only (the desktop app keeps them in the OS keychain), and remove them from the file.' +
      (r.fromTask ? SECRETS_IN_TASK : '');
    // The loader's own warnings for them (read from a task, they go on to say where else the secrets sit).
    const moveWarning = (w: string) => w.startsWith(AWS_KEYS_MOVED) || w.startsWith(GIT_PASS_MOVED);
    return {
      ...pick(r),
      warnings: [...r.warnings.filter((w) => !moveWarning(w)), note],
      differences: r.differences.filter((d) => !(d.code === 'not-carried' && secretField(d.path))),
    };
  };
}

const pick = (r: ReturnType<typeof loadConfigText>) => ({ format: r.format, config: r.config, issues: r.issues });
