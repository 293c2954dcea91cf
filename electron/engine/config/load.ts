/**
 * Config files in and out: YAML or JSON (the `yaml` parser reads both), our format or ClearML's, detected from
 * the content. Secrets never round-trip through our format: it has no field for them.
 */
import { isMap, isScalar, LineCounter, parseDocument, stringify, visit, type Document } from 'yaml';
import { ConfigSchema, type Config, type FieldIssue } from '../../../shared/config.js';
import {
  detectFormat,
  importClearmlConfig,
  type ClearmlHosts,
  type ConfigFormat,
  type ImportedSecrets,
  AWS_KEYS_MOVED,
  BOOLEAN_SETTINGS,
  GIT_PASS_MOVED,
  SECRETS_IN_TASK,
  SECRET_FIELDS,
} from './clearmlImport.js';
import { differenceText, type DifferenceView } from './clearml-differences.js';
import { readClearmlTask, taskNoteText } from './clearml-task.js';
import { resolveAsPyyaml, yamlPath, type ReadAs11 } from './pyyaml.js';
import { describeIssues } from './issues.js';
import { userDataSizeIssues } from '../userdata/userdata.js';
import { readBoundedFile } from '../untrusted/bounded-read.js';
import { CONFIG_TEXT_LIMITS, checkText, describeGuardFailure } from '../untrusted/text-guard.js';

export interface LoadedConfig {
  format: ConfigFormat;
  config: Config | null;
  issues: FieldIssue[];
  warnings: string[];
  /** Only from a ClearML file; the caller moves them to the keychain. */
  secrets: ImportedSecrets;
  /** Only from a ClearML file: fields not carried over and behaviours that differ from ClearML's autoscaler. */
  differences: DifferenceView[];
  /** Read from ClearML's autoscaler's service task (its REST answer), not its YAML file. */
  fromTask?: boolean;
}

/** Config files are small; anything this big is the wrong file. */
export const MAX_CONFIG_BYTES = CONFIG_TEXT_LIMITS.maxBytes;

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
  const bound = checkText(text, CONFIG_TEXT_LIMITS, 'yaml');
  if (bound) return fail('unknown', '(file)', describeGuardFailure(bound, 'the file'));
  // Repeated keys are checked below in one pass: the parser's own check compares every key with every other.
  // Merge keys (`<<: *base`) are expanded as PyYAML, which reads ClearML's file, expands them: resource templates
  // written with anchors are a common hand edit. Keys written in the map win over merged ones, as in PyYAML.
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false, merge: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    if (e.code === 'MULTIPLE_DOCS') {
      // The parser's own message names its JavaScript API.
      const line = e.linePos?.[0].line;
      return fail(
        'unknown',
        '(file)',
        `the file holds more than one YAML document (a '---' line${line ? ` at line ${line}` : ''} starts another); keep only the autoscaler's configuration`,
      );
    }
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
  // A service task's configuration, as ClearML's REST API answers it: read back into the file's two parts. Its
  // values are JSON and the task's own text, so no YAML 1.1 reading applies.
  const task = readClearmlTask(value);
  if (task.kind === 'task') {
    const r = importClearmlConfig(task.doc, opts);
    const issues = [...task.issues, ...r.issues];
    return {
      format: 'clearml',
      config: issues.length === 0 ? r.config : null,
      issues,
      warnings: [
        ...task.notes.map(taskNoteText),
        ...r.warnings.map((w) => (w === AWS_KEYS_MOVED || w === GIT_PASS_MOVED ? w + SECRETS_IN_TASK : w)),
      ],
      fromTask: true,
      secrets: r.secrets,
      differences: issues.length === 0 ? r.differences.map(differenceText) : [],
    };
  }
  const format = detectFormat(value);

  if (format === 'clearml') {
    // Read as ClearML's autoscaler reads it (PyYAML, YAML 1.1); our own format stays YAML 1.2.
    const readAs11 = resolveAsPyyaml(doc);
    // PyYAML keeps a repeated key's last value, and so does toJS: a file ClearML runs is not refused for it.
    const repeats = repeatedKeys(doc, lines);
    const r = importClearmlConfig(doc.toJS({ maxAliasCount: 100 }), opts);
    return {
      format,
      config: r.config,
      issues: r.issues,
      warnings: [...repeats.map(repeatWarning), ...readAs11.filter(worthSaying).map(readAs11Warning), ...r.warnings],
      secrets: r.secrets,
      differences: r.differences.map(differenceText),
    };
  }
  // YAML forbids repeated keys; a JSON parser would silently keep the last. Our own files are refused for them.
  const dup = repeatedKeys(doc, lines)[0];
  if (dup) {
    return fail(
      'unknown',
      '(file)',
      `not valid YAML or JSON (line ${dup.line}, column ${dup.col}): map keys must be unique ('${dup.key}' repeats)`,
    );
  }
  if (format === 'ours') {
    // parseConfig's schema, with issue messages that say what would be valid.
    const r = ConfigSchema.safeParse(value);
    if (!r.success) {
      return { format, config: null, issues: describeIssues(r.error), warnings: [], secrets: {}, differences: [] };
    }
    // Every launch would be refused: said when the file is read, not at the first launch.
    const size = userDataSizeIssues(r.data, 'agent.initScript');
    return size.length
      ? { format, config: null, issues: size, warnings: [], secrets: {}, differences: [] }
      : { format, config: r.data, issues: [], warnings: [], secrets: {}, differences: [] };
  }
  return fail(
    'unknown',
    '(root)',
    "not a recognised config: expected this app's format (clearml, aws, resources, queues) or a ClearML autoscaler config (hyper_params, configurations)",
  );
}

/** Never a secret's value in a warning; yes/no in a true/false setting reads as meant. */
const worthSaying = (x: ReadAs11) =>
  !SECRET_FIELDS.some((f) => x.path === `hyper_params.${f}`) &&
  !(x.why === 'boolean' && !x.isKey && BOOLEAN_SETTINGS.has(x.path.split('.').at(-1)!));

/** A value that YAML 1.1 reads otherwise than it looks to someone used to YAML 1.2 or JSON. */
function readAs11Warning(x: ReadAs11): string {
  const as = `${x.isKey ? 'the name ' : ''}${x.source} is read as ${String(x.value)}, as ClearML's autoscaler read it`;
  switch (x.why) {
    case 'octal':
      return `${x.path}: ${as} (YAML 1.1 reads a number with a leading 0 as octal); write it without the leading 0, or quote it if it is text`;
    case 'base-60':
      return `${x.path}: ${as} (YAML 1.1 reads a:b as a×60+b); write the number itself, or quote it if it is text`;
    case 'boolean':
      return `${x.path}: ${as} (YAML 1.1 reads yes/no/on/off as true/false); quote it ('${x.source}') if it is text`;
  }
}

interface RepeatedKey {
  /** Dotted path of the map that holds the key ('' at the top). */
  path: string;
  key: string;
  /** Where the repeat is written; `firstLine` is where the key was written first. */
  line: number;
  col: number;
  firstLine: number;
  /** The repeat's value as written, when it is a scalar. */
  source?: string;
}

/** Every repeated key of every map, in one pass over the document. */
function repeatedKeys(doc: Document, lines: LineCounter): RepeatedKey[] {
  const found: RepeatedKey[] = [];
  visit(doc, {
    Map(_, map, ancestors) {
      if (!isMap(map)) return undefined;
      const seen = new Map<unknown, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = pair.key.value;
        // A map may hold several merge keys (the parser gives each the same symbol); each is merged in turn.
        if (typeof key === 'symbol') continue;
        const at = lines.linePos(pair.key.range?.[0] ?? 0);
        const first = seen.get(key);
        if (first !== undefined) {
          found.push({
            path: yamlPath(ancestors, map),
            key: String(pair.key.source ?? key),
            line: at.line,
            col: at.col,
            firstLine: first,
            ...(shortText(pair.value) === undefined ? {} : { source: shortText(pair.value) }),
          });
        }
        seen.set(key, at.line);
      }
      return undefined;
    },
  });
  return found;
}

/** A scalar's text as written, when it is short enough to repeat in a message (not a script). */
function shortText(node: unknown): string | undefined {
  if (!isScalar(node) || typeof node.source !== 'string') return undefined;
  return node.source.length <= 80 && !node.source.includes('\n') ? node.source : undefined;
}

/** The value is repeated only when it is not a secret's. */
function repeatWarning(x: RepeatedKey): string {
  const where = x.path ? `${x.path}.${x.key}` : x.key;
  const secret = SECRET_FIELDS.some((f) => where === `hyper_params.${f}`);
  const value = x.source !== undefined && !secret ? ` (${x.source})` : '';
  return `${where}: written twice, on lines ${x.firstLine} and ${x.line}; the last value${value} is used, as ClearML's autoscaler did. Delete the other one`;
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
    /** What is wrong with the file, without its path (a caller that names the path its own way uses this). */
    readonly reason: string = message,
  ) {
    super(message);
  }
}

export async function loadConfigFile(path: string, opts: ClearmlHosts = {}): Promise<LoadedConfig> {
  const cannot = (why: string) => new ConfigFileError(`Cannot load config file ${path}: ${why}.`, path, why);
  let read;
  try {
    read = await readBoundedFile(path, MAX_CONFIG_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw cannot(
      code === 'ENOENT'
        ? 'it does not exist; check the path, or export a config from the app first'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied; check the file permissions'
          : code === 'EISDIR'
            ? 'it is a folder; choose a .yaml or .json file inside it'
            : `it could not be read (${code ?? (e as Error).message})`,
    );
  }
  if (!read.ok) {
    throw cannot(
      read.code === 'directory'
        ? 'it is a folder; choose a .yaml or .json file inside it'
        : read.code === 'not-a-file'
          ? 'it is not a regular file (a device, pipe or socket); choose a .yaml or .json file'
          : `it is ${read.size} bytes or more, more than a config can be (${MAX_CONFIG_BYTES}); is it the right file?`,
    );
  }
  return loadConfigText(read.bytes.toString('utf8'), opts);
}
