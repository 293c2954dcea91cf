// electron-store through its stand-in over the real `conf` (test/mocks/electron-store.ts says why).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron.js'));
vi.mock('electron-store', () => import('../mocks/electron-store.js'));
import { ElectronSettingsRepo } from '../../electron/main/settings/electron-settings-repo.js';
import { defaultSettings, SETTINGS_SCHEMA_VERSION } from '../../shared/settings.js';
import { validConfig, validConfigInput } from '../service/fixtures.js';

describe('ElectronSettingsRepo (electron-store)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'electron-settings-'));
    file = path.join(dir, 'settings.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('first start: defaults written to userData/settings.json', () => {
    const repo = ElectronSettingsRepo.open({ dir });
    expect(repo.file).toBe(file);
    expect(repo.get()).toEqual(defaultSettings());
    expect(repo.notice).toBeNull();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(defaultSettings());
  });

  it('patches are validated, persisted and announced', () => {
    const repo = ElectronSettingsRepo.open({ dir });
    const seen = vi.fn();
    repo.onChange(seen);
    repo.patch({ config: validConfig(), theme: 'light' });
    expect(seen).toHaveBeenCalledOnce();
    expect(ElectronSettingsRepo.open({ dir }).get()).toMatchObject({ theme: 'light', config: validConfig() });
    // @ts-expect-error invalid value on purpose
    expect(() => repo.patch({ theme: 'neon' })).toThrow();
    expect(ElectronSettingsRepo.open({ dir }).get().theme).toBe('light');
  });

  it('migrates a v1 file on open', () => {
    const cfg = validConfigInput();
    writeFileSync(file, JSON.stringify({ schemaVersion: 1, config: { ...cfg, scaling: { pollingIntervalMin: 0.5 } } }));
    const repo = ElectronSettingsRepo.open({ dir });
    expect(repo.get().config?.scaling.pollingIntervalSec).toBe(30);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as {
      schemaVersion: number;
      config: { scaling: Record<string, unknown> };
    };
    expect(onDisk.schemaVersion).toBe(SETTINGS_SCHEMA_VERSION);
    expect(onDisk.config.scaling).not.toHaveProperty('pollingIntervalMin');
  });

  it('a corrupt file is backed up, defaults are used and the user is told', () => {
    writeFileSync(file, '{"theme": "dark", oops');
    const repo = ElectronSettingsRepo.open({ dir, now: () => 0 });
    expect(repo.get()).toEqual(defaultSettings());
    expect(repo.notice).toMatch(/could not be used as is: it is not valid JSON/);
    const backup = readdirSync(dir).find((f) => f.startsWith('settings.corrupt-'));
    expect(backup).toBe('settings.corrupt-1970-01-01T00-00-00-000Z.json');
    expect(readFileSync(path.join(dir, backup!), 'utf8')).toBe('{"theme": "dark", oops');
    expect(repo.notice).toContain(backup);
  });

  it('never writes anything but the schema (no secret can land in settings)', () => {
    writeFileSync(file, JSON.stringify({ ...defaultSettings(), awsSecretAccessKey: 'leaked-secret-value' }));
    ElectronSettingsRepo.open({ dir });
    expect(readFileSync(file, 'utf8')).not.toContain('leaked-secret-value');
  });
});
