import { describe, expect, it } from 'vitest';
import {
  MIGRATIONS,
  migrateSettings,
  schemaVersionOf,
  v1ToV2,
  v2ToV3,
} from '../../electron/engine/service/migrations.js';
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

  describe('v2 → v3: a lease table’s grace longer than an EC2 call', () => {
    const v2 = (team: Record<string, unknown> | undefined) => ({
      schemaVersion: 2,
      config: { ...validConfigInput(), ...(team ? { team } : {}) },
      theme: 'dark',
    });
    it.each([
      ['a grace of 10 s with a table is raised to 21', { leaseTable: 'leases', graceSec: 10 }, 21],
      ['20 s is raised too (the call may take 20 s)', { leaseTable: 'leases', graceSec: 20 }, 21],
      ['21 s is kept', { leaseTable: 'leases', graceSec: 21 }, 21],
      ['without a table any grace is kept', { graceSec: 5 }, 5],
      ['no grace written: the default applies', { leaseTable: 'leases' }, undefined],
    ])('%s', (_name, team, grace) => {
      const out = v2ToV3(v2(team));
      expect(out['schemaVersion']).toBe(3);
      expect((out['config'] as { team: { graceSec?: number } }).team.graceSec).toBe(grace);
      expect(out['theme']).toBe('dark');
    });

    it('leaves files without a config or team to validation, and keeps a raised file’s configuration', () => {
      expect(v2ToV3({ schemaVersion: 2, config: null })).toEqual({ schemaVersion: 3, config: null });
      expect(v2ToV3(v2(undefined))).toEqual({ ...v2(undefined), schemaVersion: 3 });
      // Before this step the whole configuration of such a file failed validation and was set aside.
      const parsed = SettingsSchema.parse(
        migrateSettings(v2({ leaseTable: 'leases', leaseSec: 60, graceSec: 10 })).value,
      );
      expect(parsed.config?.team).toMatchObject({ leaseTable: 'leases', leaseSec: 60, graceSec: 21 });
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
