/**
 * Config files for the simulator: our format or a ClearML autoscaler YAML, through the app's own importer
 * (`loadConfigText`), with a placeholder ClearML host (the simulation never reaches a real server). A ClearML
 * file also tells the baseline its polling interval, as ClearML itself would read it.
 */
import { parse } from 'yaml';
import type { Config } from '../../../shared/config.js';
import { loadConfigText } from '../config/load.js';
import type { ConfigFormat } from '../config/clearmlImport.js';

export const PLACEHOLDER_CLEARML_HOST = 'http://clearml-api.sim.invalid';

export interface SimConfig {
  config: Config;
  format: ConfigFormat;
  warnings: string[];
  /** `hyper_params.polling_interval_time_min × 60` when the file is a ClearML config that sets it. */
  clearmlPollSec: number | null;
}

export class SimConfigError extends Error {
  override name = 'SimConfigError';
}

export function loadSimConfig(text: string, source = 'the config'): SimConfig {
  const loaded = loadConfigText(text, { clearmlApiHost: PLACEHOLDER_CLEARML_HOST });
  if (!loaded.config) {
    const lines = loaded.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
    throw new SimConfigError(`${source} is not a usable autoscaler config:\n${lines}`);
  }
  return {
    config: loaded.config,
    format: loaded.format,
    warnings: loaded.warnings,
    clearmlPollSec: loaded.format === 'clearml' ? clearmlPollSec(text) : null,
  };
}

function clearmlPollSec(text: string): number | null {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return null;
  }
  const hp = (doc as { hyper_params?: Record<string, unknown> } | null)?.hyper_params;
  const raw = hp?.['polling_interval_time_min'];
  const min = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isFinite(min) && min > 0 ? min * 60 : null;
}
