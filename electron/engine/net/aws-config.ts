/**
 * The CA bundle the AWS shared config file names (`ca_bundle` in `~/.aws/config`, or the file `AWS_CONFIG_FILE`
 * names), for the active profile. boto3, which ClearML's autoscaler reaches EC2 with, trusts it; the AWS SDK for
 * JavaScript does not read that key, so a team whose EC2 calls pass a TLS-inspecting proxy with the CA set there
 * would lose EC2 on switching. The reading follows botocore: the profile from `AWS_DEFAULT_PROFILE`, else
 * `AWS_PROFILE`, else `default`; `[default]` or `[profile NAME]` sections, the later one winning; Python's configparser
 * rules for keys, comments and continuation lines; `AWS_CA_BUNDLE` in the environment wins over the file.
 *
 * One key of one section, read synchronously at start: the AWS SDK's own loader is asynchronous and internal to it.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { readBoundedFileSync } from '../untrusted/bounded-read.js';

/** A config file is a few kilobytes; far larger is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export type AwsConfigCaBundle =
  | { kind: 'none' }
  | { kind: 'bundle'; file: string; setBy: string }
  /** The config file exists but botocore would refuse it: said, not used. */
  | { kind: 'problem'; message: string };

function awsConfigFilePath(env: Readonly<Record<string, string | undefined>>, home = homedir()): string {
  const named = env.AWS_CONFIG_FILE;
  const file = named !== undefined && named !== '' ? named : '~/.aws/config';
  return file === '~' || file.startsWith('~/') ? path.join(env.HOME ?? home, file.slice(1)) : file;
}

/** The profile botocore uses: the first of the two variables that is set. */
function awsProfileName(env: Readonly<Record<string, string | undefined>>): string {
  return env.AWS_DEFAULT_PROFILE ?? env.AWS_PROFILE ?? 'default';
}

export function awsConfigCaBundle(
  env: Readonly<Record<string, string | undefined>>,
  home = homedir(),
): AwsConfigCaBundle {
  if (env.AWS_CA_BUNDLE !== undefined) return { kind: 'none' };
  const file = awsConfigFilePath(env, home);
  let text: string;
  try {
    const read = readBoundedFileSync(file, MAX_CONFIG_BYTES);
    // Not a regular file: botocore finds no config there either.
    if (!read.ok && read.code !== 'too-large') return { kind: 'none' };
    if (!read.ok) return { kind: 'problem', message: `${file} is larger than 1 MiB, so its ca_bundle is not used.` };
    text = read.bytes.toString('utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'none' };
    return {
      kind: 'problem',
      message: `${file} could not be read (${typeof code === 'string' ? code : 'error'}), so its ca_bundle is not used.`,
    };
  }
  const parsed = parseIni(text);
  if (typeof parsed === 'string')
    return { kind: 'problem', message: `${file} has ${parsed}, so its ca_bundle is not used (boto3 refuses it too).` };
  const profile = awsProfileName(env);
  const value = profileSection(parsed, profile)?.get('ca_bundle');
  if (value === undefined || value === '' || value.startsWith('\n')) return { kind: 'none' };
  return { kind: 'bundle', file: value, setBy: `ca_bundle in ${file} (profile ${profile})` };
}

type Ini = { name: string; options: Map<string, string> }[];

/** configparser's section whose options every other section inherits. */
const DEFAULTS = 'DEFAULT';

/**
 * The options of a profile: `[default]` and `[profile NAME]` (a name in quotes may hold spaces) both count for
 * "default", and the later section in the file wins, as botocore builds its profile map. Options of `[DEFAULT]`
 * are inherited, as configparser gives them to every section.
 */
function profileSection(ini: Ini, profile: string): Map<string, string> | undefined {
  let found: Map<string, string> | undefined;
  const inherited = new Map(ini.filter((s) => s.name === DEFAULTS).flatMap((s) => [...s.options]));
  for (const s of ini) {
    if (s.name === DEFAULTS) continue;
    const name = s.name === 'default' ? 'default' : s.name.startsWith('profile') ? profileNameOf(s.name) : null;
    if (name === profile) found = new Map([...inherited, ...s.options]);
  }
  return found;
}

/** `profile NAME` split as shlex splits it (quotes group words); anything but two words names no profile. */
function profileNameOf(header: string): string | null {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(header); m; m = re.exec(header)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words.length === 2 ? words[1]! : null;
}

/**
 * Python's configparser (RawConfigParser with its defaults): `[section]` headers, `key = value` or `key: value`
 * (keys lower-cased), whole-line comments starting with `#` or `;`, and a line indented deeper than its key continuing
 * the value (a blank line inside is kept). Text before the first header, a section or key given twice, or a line
 * that is none of these makes the whole file refused, as it is there; the text says why.
 */
export function parseIni(text: string): Ini | string {
  const sections: Ini = [];
  let current: Ini[number] | null = null;
  let lastKey: string | null = null;
  let keyIndent = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';')) continue;
    if (line === '') {
      if (current && lastKey) current.options.set(lastKey, `${current.options.get(lastKey)}\n`);
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    if (current && lastKey && indent > keyIndent) {
      current.options.set(lastKey, `${current.options.get(lastKey)}\n${line}`);
      continue;
    }
    keyIndent = indent;
    const header = /^\[(.+)\]/.exec(line);
    if (header) {
      const name = header[1]!;
      const again = sections.find((s) => s.name === name);
      if (again && name !== DEFAULTS) return `the section [${name}] twice (line ${i + 1})`;
      current = again ?? { name, options: new Map() };
      if (!again) sections.push(current);
      lastKey = null;
      continue;
    }
    if (!current) return `text before its first [section] (line ${i + 1})`;
    const option = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!option) return `a line that is neither a key nor a section (line ${i + 1})`;
    const key = option[1]!.toLowerCase();
    if (current.options.has(key)) return `the key ${key} twice in [${current.name}] (line ${i + 1})`;
    current.options.set(key, option[2]!);
    lastKey = key;
  }
  // A value is its lines joined, without what trails them (blank lines, spaces).
  for (const s of sections) for (const [k, v] of s.options) s.options.set(k, v.replace(/\s+$/, ''));
  return sections;
}
