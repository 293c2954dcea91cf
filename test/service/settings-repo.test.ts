import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSettingsRepo, loadSettingsText, MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { defaultSettings, SETTINGS_SCHEMA_VERSION } from '../../shared/settings.js';
import { validConfig, validConfigInput } from './fixtures.js';

describe('loadSettingsText', () => {
  it('no file: defaults, written, nothing to report', () => {
    expect(loadSettingsText(null)).toEqual({
      settings: defaultSettings(),
      problem: null,
      backup: false,
      rewrite: true,
    });
  });

  it('a clean current file loads as is without a rewrite', () => {
    const text = JSON.stringify(defaultSettings());
    expect(loadSettingsText(text)).toEqual({
      settings: defaultSettings(),
      problem: null,
      backup: false,
      rewrite: false,
    });
  });

  it('corrupt JSON: defaults, backup, a problem in words', () => {
    const r = loadSettingsText('{"theme": "dark",');
    expect(r.settings).toEqual(defaultSettings());
    expect(r.backup).toBe(true);
    expect(r.problem).toMatch(/not valid JSON/);
  });

  it('a file nested far too deep: defaults and a backup, instead of a stack overflow at every start', () => {
    // Under the 1 MB size bound, valid JSON, with one extra key 200,000 arrays deep.
    const text = JSON.stringify(defaultSettings()).replace(/}$/, `,"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    const r = loadSettingsText(text);
    expect(r).toMatchObject({ settings: defaultSettings(), backup: true, rewrite: true });
    expect(r.problem).toMatch(/^it is nested 65 levels deep near line 1 \(at most 64\)/);
  });

  it('a JSON array is not a settings object', () => {
    expect(loadSettingsText('[1,2]')).toMatchObject({ backup: true, problem: 'it does not contain a settings object' });
  });

  it('one invalid field is reset, the rest kept (the config survives a bad theme)', () => {
    const r = loadSettingsText(
      JSON.stringify({
        schemaVersion: SETTINGS_SCHEMA_VERSION,
        theme: 'purple',
        config: validConfigInput(),
        launchAtLogin: true,
      }),
    );
    expect(r.settings.theme).toBe('system');
    expect(r.settings.config).toEqual(validConfig());
    expect(r.settings.launchAtLogin).toBe(true);
    expect(r.backup).toBe(true);
    expect(r.problem).toMatch(/theme/);
  });

  it('migrates a v1 file and asks for a rewrite', () => {
    const cfg = validConfigInput();
    const r = loadSettingsText(
      JSON.stringify({ schemaVersion: 1, config: { ...cfg, scaling: { pollingIntervalMin: 1 } } }),
    );
    expect(r.problem).toBeNull();
    expect(r.rewrite).toBe(true);
    expect(r.settings.schemaVersion).toBe(SETTINGS_SCHEMA_VERSION);
    expect(r.settings.config?.scaling.pollingIntervalSec).toBe(60);
  });

  it('a file from a newer app is kept as a backup and read as far as possible', () => {
    const r = loadSettingsText(JSON.stringify({ schemaVersion: 99, theme: 'dark', newThing: {} }));
    expect(r.backup).toBe(true);
    expect(r.settings.theme).toBe('dark');
    expect(r.problem).toMatch(/newer version/);
  });

  it('drops unknown keys (nothing else can ride along in the file)', () => {
    const r = loadSettingsText(JSON.stringify({ ...defaultSettings(), awsSecretAccessKey: 'x' }));
    expect(r.settings).not.toHaveProperty('awsSecretAccessKey');
    expect(r.rewrite).toBe(true);
  });
});

describe('FileSettingsRepo', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'settings-repo-'));
    file = path.join(dir, 'settings.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with defaults and persists patches across instances', () => {
    const a = new FileSettingsRepo(file);
    expect(a.notice).toBeNull();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(defaultSettings());
    a.patch({ theme: 'dark', notificationMutes: { capReached: true } });
    const b = new FileSettingsRepo(file);
    expect(b.get().theme).toBe('dark');
    expect(b.get().notificationMutes.capReached).toBe(true);
    expect(b.get().notificationMutes.launched).toBe(false);
  });

  it('backs up a corrupt file, starts from defaults and tells the user where the copy is', () => {
    writeFileSync(file, '{ this is not json');
    const repo = new FileSettingsRepo(file, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
    const backup = path.join(dir, 'settings.corrupt-2026-01-02T03-04-05-678Z.json');
    expect(readFileSync(backup, 'utf8')).toBe('{ this is not json');
    expect(repo.get()).toEqual(defaultSettings());
    expect(repo.notice).toContain(backup);
    expect(repo.notice).toMatch(/not valid JSON/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(defaultSettings());
  });

  it('refuses an invalid patch and leaves memory and disk unchanged', () => {
    const repo = new FileSettingsRepo(file);
    const before = readFileSync(file, 'utf8');
    // @ts-expect-error an invalid value, as a buggy caller would send
    expect(() => repo.patch({ theme: 'neon' })).toThrow();
    expect(repo.get().theme).toBe('system');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('writes atomically: no temporary file is left behind', () => {
    const repo = new FileSettingsRepo(file);
    for (let i = 0; i < 5; i++) repo.patch({ launchAtLogin: i % 2 === 0 });
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });

  it('notifies subscribers with the new settings, and stops after unsubscribe', () => {
    const repo = new FileSettingsRepo(file);
    const seen: string[] = [];
    const off = repo.onChange((s) => seen.push(s.theme));
    repo.patch({ theme: 'light' });
    off();
    repo.patch({ theme: 'dark' });
    expect(seen).toEqual(['light']);
  });

  it('stores a config and can clear it again', () => {
    const repo = new FileSettingsRepo(file);
    repo.patch({ config: validConfig() });
    expect(new FileSettingsRepo(file).get().config).toEqual(validConfig());
    repo.patch({ config: null });
    expect(new FileSettingsRepo(file).get().config).toBeNull();
    expect(existsSync(file)).toBe(true);
  });
});

describe('MemorySettingsRepo', () => {
  it('validates on patch like the file repo', () => {
    const repo = new MemorySettingsRepo({ theme: 'dark' });
    expect(repo.get().theme).toBe('dark');
    // @ts-expect-error invalid on purpose
    expect(() => repo.patch({ launchAtLogin: 'yes' })).toThrow();
    expect(repo.patch({ launchAtLogin: true }).launchAtLogin).toBe(true);
  });
});
