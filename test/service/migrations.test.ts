import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateSettings, schemaVersionOf, v1ToV2 } from '../../electron/engine/service/migrations.js';
import { SETTINGS_SCHEMA_VERSION, SettingsSchema } from '../../shared/settings.js';
import { validConfigInput } from './fixtures.js';

function v1File(scaling: Record<string, unknown>): Record<string, unknown> {
  const cfg = validConfigInput();
  return { schemaVersion: 1, config: { ...cfg, scaling }, theme: 'dark' };
}

describe('settings migrations', () => {
  it('has one step for every version below the current one', () => {
    for (let v = 1; v < SETTINGS_SCHEMA_VERSION; v++) expect(typeof MIGRATIONS[v]).toBe('function');
    expect(MIGRATIONS[SETTINGS_SCHEMA_VERSION]).toBeUndefined();
  });

  describe('v1 → v2: pollingIntervalMin → pollingIntervalSec', () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['whole minutes', { pollingIntervalMin: 1 }, { pollingIntervalSec: 60 }],
      ['fractions round to seconds', { pollingIntervalMin: 0.25 }, { pollingIntervalSec: 15 }],
      [
        'other scaling keys are kept',
        { pollingIntervalMin: 2, maxIdleMin: 5 },
        { pollingIntervalSec: 120, maxIdleMin: 5 },
      ],
      ['an explicit seconds value wins', { pollingIntervalMin: 2, pollingIntervalSec: 30 }, { pollingIntervalSec: 30 }],
      ['nothing to convert', { maxIdleMin: 5 }, { maxIdleMin: 5 }],
    ];
    it.each(cases)('%s', (_name, scaling, expected) => {
      const out = v1ToV2(v1File(scaling));
      expect(out['schemaVersion']).toBe(2);
      expect((out['config'] as { scaling: unknown }).scaling).toEqual(expected);
      expect(out['theme']).toBe('dark');
    });

    it('leaves files without a config (or with junk) to validation', () => {
      expect(v1ToV2({ schemaVersion: 1, config: null })).toEqual({ schemaVersion: 2, config: null });
      expect(v1ToV2({ config: 'junk' })).toEqual({ config: 'junk', schemaVersion: 2 });
    });

    it('produces a file the current schema accepts', () => {
      const out = migrateSettings(v1File({ pollingIntervalMin: 0.5 }));
      const parsed = SettingsSchema.parse(out.value);
      expect(parsed.config?.scaling.pollingIntervalSec).toBe(30);
      expect(parsed.schemaVersion).toBe(SETTINGS_SCHEMA_VERSION);
    });
  });

  it('treats a file without schemaVersion as v1', () => {
    expect(schemaVersionOf({})).toBe(1);
    expect(schemaVersionOf({ schemaVersion: 'two' })).toBe(1);
    expect(migrateSettings({ theme: 'light' })).toMatchObject({ from: 1, to: SETTINGS_SCHEMA_VERSION });
  });

  it('does not touch a file from a newer app', () => {
    const raw = { schemaVersion: SETTINGS_SCHEMA_VERSION + 5, future: true };
    expect(migrateSettings(raw)).toEqual({
      value: raw,
      from: SETTINGS_SCHEMA_VERSION + 5,
      to: SETTINGS_SCHEMA_VERSION + 5,
      newerThanApp: true,
    });
  });

  it('is a no-op at the current version', () => {
    const raw = { schemaVersion: SETTINGS_SCHEMA_VERSION, theme: 'light' };
    expect(migrateSettings(raw)).toEqual({
      value: raw,
      from: SETTINGS_SCHEMA_VERSION,
      to: SETTINGS_SCHEMA_VERSION,
      newerThanApp: false,
    });
  });
});
