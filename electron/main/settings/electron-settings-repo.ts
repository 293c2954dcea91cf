/**
 * The app's SettingsRepo on electron-store (atomic JSON file in userData). Validation and migration are
 * ours (zod + the integer version table) rather than electron-store's ajv schema and semver-keyed migrations,
 * which its readme calls unsupported. The raw file is read and checked *before* electron-store opens it, so a
 * corrupt file is backed up and replaced by defaults (and the user told), never a crash at startup.
 */
import { renameSync } from 'node:fs';
import path from 'node:path';
import ElectronStore from 'electron-store';
import { applySettingsPatch, type Settings, type SettingsPatch } from '../../../shared/settings.js';
import {
  backupPathFor,
  ChangeEmitter,
  loadSettingsText,
  readTextOrNull,
  settingsNotice,
  type SettingsRepo,
} from '../../engine/service/settings-repo.js';

export class ElectronSettingsRepo implements SettingsRepo {
  private current: Settings;
  private readonly changes = new ChangeEmitter();
  readonly notice: string | null;
  readonly file: string;

  private constructor(
    private readonly store: ElectronStore<Record<string, unknown>>,
    initial: Settings,
    notice: string | null,
  ) {
    this.current = initial;
    this.notice = notice;
    this.file = store.path;
  }

  static open(opts: { dir: string; name?: string; now?: () => number }): ElectronSettingsRepo {
    const name = opts.name ?? 'settings';
    const file = path.join(opts.dir, `${name}.json`);
    const outcome = loadSettingsText(readTextOrNull(file));
    let backup: string | null = null;
    if (outcome.backup) {
      backup = backupPathFor(file, (opts.now ?? Date.now)());
      renameSync(file, backup);
    }
    const store = new ElectronStore<Record<string, unknown>>({ cwd: opts.dir, name, clearInvalidConfig: false });
    if (outcome.rewrite) store.store = { ...outcome.settings };
    return new ElectronSettingsRepo(
      store,
      outcome.settings,
      outcome.problem ? settingsNotice(outcome.problem, backup) : null,
    );
  }

  get(): Settings {
    return this.current;
  }

  patch(p: SettingsPatch): Settings {
    const next = applySettingsPatch(this.current, p);
    this.store.store = { ...next };
    this.current = next;
    this.changes.emit(next);
    return next;
  }

  onChange(cb: (settings: Settings) => void): () => void {
    return this.changes.on(cb);
  }
}
