/**
 * Settings persistence behind one interface. Electron main uses the electron-store implementation
 * (`electron/main/settings/`); the headless CLI and the browser preview use `FileSettingsRepo`; tests use
 * `MemorySettingsRepo`. All three share `loadSettingsText`, so migration and corrupt-file handling are identical.
 */
import { renameSync } from 'node:fs';
import { readBoundedFileSync } from '../untrusted/bounded-read.js';
import { checkText, describeGuardFailure, SETTINGS_JSON_LIMITS } from '../untrusted/text-guard.js';
import path from 'node:path';
import {
  applySettingsPatch,
  defaultSettings,
  SettingsSchema,
  type Settings,
  type SettingsPatch,
} from '../../../shared/settings.js';
import { migrateSettings, type RawSettings } from './migrations.js';
import { errorText } from '../../../shared/error-text.js';
import { writeFileDurablySync } from '../durable-file.js';

export interface SettingsRepo {
  get(): Settings;
  /** Validates the merged result; throws (and changes nothing) when it is invalid. */
  patch(p: SettingsPatch): Settings;
  onChange(cb: (settings: Settings) => void): () => void;
  /** A one-time message for the user about the settings file (e.g. it was corrupt and was reset), else null. */
  readonly notice: string | null;
}

export interface LoadOutcome {
  settings: Settings;
  /** What was wrong with the file, in words; null when it loaded cleanly. */
  problem: string | null;
  /** Keep a copy of the original file before overwriting it (corrupt, partly invalid, or from a newer app). */
  backup: boolean;
  /** The file should be (re)written: it is missing, was migrated, or gained defaults. */
  rewrite: boolean;
}

function isRecord(v: unknown): v is RawSettings {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keeps every top-level field that validates on its own and defaults the rest. */
function salvage(raw: RawSettings): { settings: Settings; dropped: string[] } {
  const shape = SettingsSchema.shape;
  const defaults = defaultSettings();
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    if (!(key in raw)) continue;
    const r = shape[key].safeParse(raw[key]);
    if (r.success) kept[key] = r.data;
    else dropped.push(key);
  }
  return { settings: SettingsSchema.parse({ ...defaults, ...kept }), dropped };
}

/** Pure: the text of a settings file (null when absent) → the settings to use and what to tell the user. */
export function loadSettingsText(text: string | null): LoadOutcome {
  if (text === null) return { settings: defaultSettings(), problem: null, backup: false, rewrite: true };
  // Anyone can edit the file: JSON.parse copes with any nesting, but what walks the result afterwards recurses, and a
  // few hundred kilobytes of `[[[[…` would overflow the stack at every start.
  const bound = checkText(text, SETTINGS_JSON_LIMITS, 'json');
  if (bound)
    return { settings: defaultSettings(), problem: describeGuardFailure(bound, 'it'), backup: true, rewrite: true };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : 'not JSON';
    return { settings: defaultSettings(), problem: `it is not valid JSON (${why})`, backup: true, rewrite: true };
  }
  if (!isRecord(json)) {
    return {
      settings: defaultSettings(),
      problem: 'it does not contain a settings object',
      backup: true,
      rewrite: true,
    };
  }
  let migrated;
  try {
    migrated = migrateSettings(json);
  } catch (err) {
    const why = errorText(err);
    return {
      settings: salvage(json).settings,
      problem: `it could not be migrated (${why})`,
      backup: true,
      rewrite: true,
    };
  }
  if (migrated.newerThanApp) {
    const { settings } = salvage(migrated.value);
    return {
      settings,
      problem: `it was written by a newer version of the app (settings version ${migrated.from})`,
      backup: true,
      rewrite: true,
    };
  }
  const parsed = SettingsSchema.safeParse(migrated.value);
  if (parsed.success) {
    const rewrite = migrated.from !== migrated.to || JSON.stringify(parsed.data) !== JSON.stringify(json);
    return { settings: parsed.data, problem: null, backup: false, rewrite };
  }
  const { settings, dropped } = salvage(migrated.value);
  return {
    settings,
    problem: `some values were invalid and were reset to their defaults: ${dropped.join(', ') || 'unknown'}`,
    backup: true,
    rewrite: true,
  };
}

export function settingsNotice(problem: string, backupPath: string | null): string {
  const kept = backupPath ? ` The original file was kept as ${backupPath}.` : '';
  return `Your settings file could not be used as is: ${problem}.${kept} Check your configuration in Settings.`;
}

/** Shared change fan-out for the implementations. */
export class ChangeEmitter {
  private readonly listeners = new Set<(s: Settings) => void>();
  on(cb: (s: Settings) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  emit(s: Settings): void {
    for (const cb of [...this.listeners]) cb(s);
  }
}

export class MemorySettingsRepo implements SettingsRepo {
  private current: Settings;
  private readonly changes = new ChangeEmitter();
  readonly notice: string | null;

  constructor(initial: Partial<Settings> = {}, notice: string | null = null) {
    this.current = SettingsSchema.parse({ ...defaultSettings(), ...initial });
    this.notice = notice;
  }

  get(): Settings {
    return this.current;
  }

  patch(p: SettingsPatch): Settings {
    this.current = applySettingsPatch(this.current, p);
    this.changes.emit(this.current);
    return this.current;
  }

  onChange(cb: (settings: Settings) => void): () => void {
    return this.changes.on(cb);
  }
}

/** Settings and the secrets fallback file: owner-only, and a crash leaves the old file or the new, never half. */
export function writeFileAtomic(file: string, text: string): void {
  writeFileDurablySync(file, text, { mode: 0o600 });
}

/** The settings file is JSON anyone can edit: bounded like every file a user can point the app at. */
export function readTextOrNull(file: string): string | null {
  try {
    const read = readBoundedFileSync(file, SETTINGS_JSON_LIMITS.maxBytes);
    if (!read.ok) {
      throw new Error(
        `${file} ${read.code === 'too-large' ? `is larger than ${SETTINGS_JSON_LIMITS.maxBytes} bytes` : 'is not a regular file'}; move it away and start again`,
      );
    }
    return read.bytes.toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** `settings.json` → `settings.corrupt-2026-01-02T03-04-05-678Z.json`, next to it. */
export function backupPathFor(file: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext)}.corrupt-${stamp}${ext}`);
}

/** JSON settings file for the headless CLI and the browser preview server. */
export class FileSettingsRepo implements SettingsRepo {
  private current: Settings;
  private readonly changes = new ChangeEmitter();
  readonly notice: string | null;

  constructor(
    readonly file: string,
    opts: { now?: () => number } = {},
  ) {
    const outcome = loadSettingsText(readTextOrNull(file));
    let backup: string | null = null;
    if (outcome.backup) {
      backup = backupPathFor(file, (opts.now ?? Date.now)());
      renameSync(file, backup);
    }
    this.current = outcome.settings;
    this.notice = outcome.problem ? settingsNotice(outcome.problem, backup) : null;
    if (outcome.rewrite) this.write(this.current);
  }

  get(): Settings {
    return this.current;
  }

  patch(p: SettingsPatch): Settings {
    const next = applySettingsPatch(this.current, p);
    this.write(next);
    this.current = next;
    this.changes.emit(next);
    return next;
  }

  onChange(cb: (settings: Settings) => void): () => void {
    return this.changes.on(cb);
  }

  private write(settings: Settings): void {
    writeFileAtomic(this.file, `${JSON.stringify(settings, null, 2)}\n`);
  }
}
