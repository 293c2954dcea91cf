/**
 * Settings file migrations, Rancher-Desktop style: an integer `schemaVersion`, one function per step
 * (n → n+1), each unit-tested on its own. Steps work on plain JSON (the old shape is by definition not our
 * current type) and must never throw on odd input: they leave what they do not understand for validation.
 */
import { SETTINGS_SCHEMA_VERSION } from '../../../shared/settings.js';
import { EC2_CALL_TIMEOUT_SEC } from '../../../shared/team.js';

export type RawSettings = Record<string, unknown>;
export type MigrationStep = (from: RawSettings) => RawSettings;

function isRecord(v: unknown): v is RawSettings {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** v1 stored the poll as `config.scaling.pollingIntervalMin` (as ClearML's own autoscaler does); v2 uses seconds. */
export function v1ToV2(s: RawSettings): RawSettings {
  const config = s['config'];
  if (!isRecord(config) || !isRecord(config['scaling'])) return { ...s, schemaVersion: 2 };
  const { pollingIntervalMin, ...scaling } = config['scaling'];
  if (typeof pollingIntervalMin === 'number' && scaling['pollingIntervalSec'] === undefined) {
    scaling['pollingIntervalSec'] = Math.round(pollingIntervalMin * 60);
  }
  return { ...s, config: { ...config, scaling }, schemaVersion: 2 };
}

/**
 * v3 requires, with a lease table, a takeover grace longer than one EC2 call may take (`graceIssue`): a shorter one
 * let a stalled launch land after a standby took over. A v2 file with a shorter grace would now fail validation and
 * its whole configuration be set aside, so the grace is raised to the least v3 takes instead.
 */
export function v2ToV3(s: RawSettings): RawSettings {
  const config = s['config'];
  const team = isRecord(config) ? config['team'] : undefined;
  if (!isRecord(config) || !isRecord(team) || !team['leaseTable']) return { ...s, schemaVersion: 3 };
  const grace = team['graceSec'];
  if (typeof grace !== 'number' || grace > EC2_CALL_TIMEOUT_SEC) return { ...s, schemaVersion: 3 };
  return { ...s, config: { ...config, team: { ...team, graceSec: EC2_CALL_TIMEOUT_SEC + 1 } }, schemaVersion: 3 };
}

/** `MIGRATIONS[n]` turns version n into n+1. */
export const MIGRATIONS: Readonly<Record<number, MigrationStep>> = {
  1: v1ToV2,
  2: v2ToV3,
};

export interface MigrationResult {
  value: RawSettings;
  from: number;
  to: number;
  /** Set when the file is newer than this app (a downgrade): nothing was migrated. */
  newerThanApp: boolean;
}

/** A file without `schemaVersion` predates versioning: it is v1. */
export function schemaVersionOf(s: RawSettings): number {
  const v = s['schemaVersion'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : 1;
}

export function migrateSettings(raw: RawSettings, target = SETTINGS_SCHEMA_VERSION): MigrationResult {
  const from = schemaVersionOf(raw);
  if (from > target) return { value: raw, from, to: from, newerThanApp: true };
  let value = raw;
  for (let v = from; v < target; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new Error(`settings migration ${v} → ${v + 1} is missing`);
    value = step(value);
  }
  return { value: { ...value, schemaVersion: target }, from, to: target, newerThanApp: false };
}
