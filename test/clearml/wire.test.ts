import { describe, expect, it } from 'vitest';
import {
  compareApiVersions,
  decodeJwtPayload,
  escapeGlob,
  exactNamesRegex,
  formatClearmlDate,
  globToRegExp,
  parseClearmlDate,
} from '../../electron/engine/clearml/wire.js';

describe('parseClearmlDate', () => {
  const utc = Date.UTC(2025, 0, 13, 10, 15, 30, 123);
  it.each([
    ['2025-01-13T10:15:30.123000+00:00', utc],
    ['2025-01-13T10:15:30.123000', utc], // naive → UTC, not local time
    ['2025-01-13T10:15:30.123Z', utc],
    ['2025-01-13 10:15:30.123', utc],
    ['2025-01-13T12:15:30.123+02:00', utc],
    ['2025-01-13T05:15:30.123-0500', utc],
    ['2025-01-13T10:15:30.1239', utc],
    ['2025-01-13T10:15:30', utc - 123],
    ['2025-01-13', Date.UTC(2025, 0, 13)],
  ])('%s', (text, expected) => {
    expect(parseClearmlDate(text)).toBe(expected);
  });

  it.each([
    null,
    undefined,
    '',
    'yesterday',
    '13/01/2025',
    // Out of range: rolled over by Date.UTC into another real date, they would pass for one.
    '2025-13-45T99:99:99',
    '2025-02-30T10:00:00',
    '2025-01-13T24:00:00',
    '2025-01-13T10:60:00',
    '2025-01-13T10:15:61',
    // Years 0–99: Date.UTC reads them as 1900–1999.
    '0001-01-01T00:00:00',
  ])('unparseable %s → null', (text) => {
    expect(parseClearmlDate(text)).toBeNull();
  });

  it('reads back what the server format writes, aware and naive', () => {
    for (const naive of [false, true]) expect(parseClearmlDate(formatClearmlDate(utc, naive))).toBe(utc);
    expect(formatClearmlDate(utc)).toBe('2025-01-13T10:15:30.123000+00:00');
    expect(formatClearmlDate(utc, true)).toBe('2025-01-13T10:15:30.123000');
  });
});

describe('compareApiVersions', () => {
  it.each([
    ['2.30', '2.4', 1],
    ['2.4', '2.30', -1],
    ['2.30', '2.30', 0],
    ['2.31', '2.30', 1],
    ['3.0', '2.99', 1],
    ['2', '2.0', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareApiVersions(a, b))).toBe(sign);
  });
});

describe('exactNamesRegex', () => {
  it('matches exactly the given names, metacharacters included', () => {
    const names = ['gpu', 'a.b', 'x+y', 'q(1)', 'c|d', 'back\\slash', '[br]', 'dol$'];
    const re = new RegExp(exactNamesRegex(names));
    for (const n of names) expect(re.test(n), n).toBe(true);
    for (const n of ['gpu2', 'xgpu', 'aXb', 'xxy', 'q1', 'c', 'd', 'b', 'dol']) expect(re.test(n), n).toBe(false);
  });
});

describe('globs', () => {
  it.each([
    ['dyn:*', 'dyn:gpu:i-1', true],
    ['dyn:*', 'dyn2:gpu', false],
    ['dyn:?', 'dyn:a', true],
    ['dyn:?', 'dyn:ab', false],
    ['w[12]', 'w1', true],
    ['w[12]', 'w3', false],
    ['w[^12]', 'w3', true],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
  ])('%s ~ %s', (glob, id, match) => {
    expect(globToRegExp(glob).test(id)).toBe(match);
  });

  it('escapeGlob makes a prefix match literally', () => {
    const prefix = 'team[1]*?:';
    const re = globToRegExp(`${escapeGlob(prefix)}*`);
    expect(re.test('team[1]*?:gpu:i-1')).toBe(true);
    expect(re.test('team1x:gpu')).toBe(false);
    expect(re.test('team[1]xy:gpu')).toBe(false);
  });
});

describe('decodeJwtPayload', () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  it('reads exp and api_version without verifying', () => {
    const token = `${b64({ alg: 'HS256' })}.${b64({ exp: 1736766930, api_version: '2.31' })}.not-a-signature`;
    expect(decodeJwtPayload(token)).toMatchObject({ exp: 1736766930, api_version: '2.31' });
  });
  it.each(['', 'abc', 'a.!!!.c', `x.${Buffer.from('[1]').toString('base64url')}.y`])('garbage %s → null', (t) => {
    expect(decodeJwtPayload(t)).toBeNull();
  });
});
