/**
 * Config files in and out: YAML or JSON (the `yaml` parser reads both), our format or ClearML's, detected from
 * the content. Secrets never round-trip through our format: it has no field for them.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument, stringify } from 'yaml';
import { ConfigSchema, type Config, type FieldIssue } from '../../../shared/config.js';
import {
  detectFormat,
  importClearmlConfig,
  type ClearmlHosts,
  type ConfigFormat,
  type ImportedSecrets,
} from './clearmlImport.js';
import { differenceText, type DifferenceView } from './clearml-differences.js';
import { describeIssues } from './issues.js';

export interface LoadedConfig {
  format: ConfigFormat;
  config: Config | null;
  issues: FieldIssue[];
  warnings: string[];
  /** Only from a ClearML file; the caller moves them to the keychain. */
  secrets: ImportedSecrets;
  /** Only from a ClearML file: fields not carried over and behaviours that differ from ClearML's autoscaler. */
  differences: DifferenceView[];
}

/** Config files are small; anything this big is the wrong file. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const fail = (format: ConfigFormat, path: string, message: string): LoadedConfig => ({
  format,
  config: null,
  issues: [{ path, message }],
  warnings: [],
  secrets: {},
  differences: [],
});

export function loadConfigText(text: string, opts: ClearmlHosts = {}): LoadedConfig {
  if (text.trim() === '') return fail('unknown', '(file)', 'the file is empty');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'unknown position';
    const what = e.message.split('\n')[0] ?? e.message;
    return fail('unknown', '(file)', `not valid YAML or JSON (${where}): ${what}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // The yaml package refuses alias bombs (exponential expansion) here.
    return fail('unknown', '(file)', `not a usable config: ${(e as Error).message}`);
  }
  const format = detectFormat(value);

  if (format === 'clearml') {
    const r = importClearmlConfig(value, opts);
    return {
      format,
      config: r.config,
      issues: r.issues,
      warnings: r.warnings,
      secrets: r.secrets,
      differences: r.differences.map(differenceText),
    };
  }
  if (format === 'ours') {
    // parseConfig's schema, with issue messages that say what would be valid.
    const r = ConfigSchema.safeParse(value);
    return r.success
      ? { format, config: r.data, issues: [], warnings: [], secrets: {}, differences: [] }
      : { format, config: null, issues: describeIssues(r.error), warnings: [], secrets: {}, differences: [] };
  }
  return fail(
    'unknown',
    '(root)',
    "not a recognised config: expected this app's format (clearml, aws, resources, queues) or a ClearML autoscaler config (hyper_params, configurations)",
  );
}

/** Our format, validated first so an export always loads back; field order follows the schema. */
export function exportConfig(config: Config, format: 'yaml' | 'json'): string {
  const clean = ConfigSchema.parse(config);
  if (format === 'json') return `${JSON.stringify(clean, null, 2)}\n`;
  return (
    '# clearml-tray-autoscaler configuration (format version 1).\n' +
    '# Secrets (AWS keys, ClearML secret key, git password) are not in this file: they live in the OS keychain.\n' +
    stringify(clean, { lineWidth: 0 })
  );
}

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export async function loadConfigFile(path: string, opts: ClearmlHosts = {}): Promise<LoadedConfig> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist; check the path, or export a config from the app first'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied; check the file permissions'
          : code === 'EISDIR'
            ? 'it is a folder; choose a .yaml or .json file inside it'
            : `it could not be read (${code ?? (e as Error).message})`;
    throw new ConfigFileError(`Cannot load config file ${path}: ${why}.`, path);
  }
  if (buf.length > MAX_CONFIG_BYTES) {
    throw new ConfigFileError(
      `Cannot load config file ${path}: it is ${buf.length} bytes, more than a config can be (${MAX_CONFIG_BYTES}); is it the right file?`,
      path,
    );
  }
  return loadConfigText(buf.toString('utf8'), opts);
}
