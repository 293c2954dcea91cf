/**
 * The IPC service's view of config import/export: the engine's loader (our format or a ClearML autoscaler YAML,
 * auto-detected) and exporter, adapted to the contract's response. Secrets found in an imported ClearML file are
 * never sent back to the renderer: the user is told they belong in the keychain.
 */
import type { Config } from '../../../shared/config.js';
import type { InvokeResponse } from '../../../shared/ipc/contract.js';
import { exportConfig, loadConfigText } from '../config/load.js';

export type ImportResult = InvokeResponse<'autoscaler:config.import'>;

export function exportConfigText(config: Config | null): string {
  return config ? exportConfig(config, 'yaml') : '# no configuration saved yet\n';
}

/** The hosts a ClearML autoscaler file is completed with (it names no server of its own). */
export interface ImportHosts {
  apiHost: string | null;
  webHost?: string | null;
}

export function createConfigImporter(
  hosts: () => string | null | ImportHosts,
): (text: string) => Promise<ImportResult> {
  return async (text) => {
    const h = hosts();
    const { apiHost, webHost = null } = typeof h === 'object' && h !== null ? h : { apiHost: h };
    const r = loadConfigText(text, { clearmlApiHost: apiHost, clearmlWebHost: webHost });
    const moved = Object.entries(r.secrets)
      .filter(([, v]) => typeof v === 'string' && v.length > 0)
      .map(([k]) => k);
    const secretWarnings = moved.length
      ? [
          `This file contains credentials in plain text (${moved.join(', ')}). They were not imported: enter them ` +
            'in Credentials, where they are stored write-only (the desktop app keeps them in the OS keychain), and ' +
            'remove them from the file.',
        ]
      : [];
    return { format: r.format, config: r.config, issues: r.issues, warnings: [...r.warnings, ...secretWarnings] };
  };
}
