import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultKnownFingerprintsFile,
  knownFingerprint,
  rememberFingerprint,
} from '../../electron/engine/preview/known-fingerprints.js';
import { tempDir } from '../fixtures/team.js';

const FP = Array(32).fill('0F').join(':');
const url = 'wss://team.example:7465';

describe('fingerprints confirmed for preview --attach', () => {
  it('live in the user config folder, under $XDG_CONFIG_HOME when set', () => {
    expect(defaultKnownFingerprintsFile({ XDG_CONFIG_HOME: '/x/cfg' })).toBe(
      '/x/cfg/clearml-tray-autoscaler/preview-fingerprints.json',
    );
    expect(defaultKnownFingerprintsFile({})).toMatch(/\.config\/clearml-tray-autoscaler\/preview-fingerprints\.json$/);
  });

  it('remembers one per address, readable only by the user, and replaces it when confirmed again', async () => {
    const file = path.join(tempDir('known-'), 'sub', 'fp.json');
    expect(await knownFingerprint(file, url)).toBeNull();
    await rememberFingerprint(file, url, FP, new Date('2026-12-01T10:00:00Z'));
    await rememberFingerprint(file, 'wss://other:7465', 'AA'.repeat(32), new Date('2026-12-02T10:00:00Z'));
    expect(await knownFingerprint(file, url)).toEqual({ fingerprint: FP, confirmedAt: '2026-12-01T10:00:00.000Z' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await rememberFingerprint(file, url, 'BB'.repeat(32), new Date('2026-12-03T10:00:00Z'));
    expect((await knownFingerprint(file, url))?.fingerprint).toBe(Array(32).fill('BB').join(':'));
    expect((await knownFingerprint(file, 'wss://other:7465'))?.confirmedAt).toBe('2026-12-02T10:00:00.000Z');
  });

  it.each([
    ['not JSON', '{ nope'],
    ['another shape', JSON.stringify({ version: 2, engines: {} })],
    ['not a fingerprint', JSON.stringify({ version: 1, engines: { [url]: { fingerprint: 'xyz', confirmedAt: 'x' } } })],
    ['too large', JSON.stringify({ version: 1, engines: {}, pad: 'x'.repeat(300_000) })],
  ])('a file that is %s reads as nothing confirmed (the user is asked again)', async (_what, text) => {
    const file = path.join(tempDir('known-'), 'fp.json');
    writeFileSync(file, text);
    expect(await knownFingerprint(file, url)).toBeNull();
    // Confirming again writes a good file over it.
    await rememberFingerprint(file, url, FP, new Date('2026-12-01T10:00:00Z'));
    expect((await knownFingerprint(file, url))?.fingerprint).toBe(FP);
  });
});
