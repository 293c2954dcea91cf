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

export function createConfigImporter(clearmlApiHost: () => string | null): (text: string) => Promise<ImportResult> {
  return async (text) => {
    const r = loadConfigText(text, { clearmlApiHost: clearmlApiHost() });
    const secretWarnings = Object.values(r.secrets).some(Boolean)
      ? [
          'This file contains credentials in plain text. They were not imported: enter them in Credentials, where they are kept in the OS keychain, and remove them from the file.',
        ]
      : [];
    return { format: r.format, config: r.config, issues: r.issues, warnings: [...r.warnings, ...secretWarnings] };
  };
}
