/** The attach client's pure parts: the reconnect backoff, fingerprint spelling, the team engine's address. */
import { describe, expect, it } from 'vitest';
import { parseTeamUrl, reconnectDelayMs } from '../../electron/engine/team/client.js';
import { normalizeFingerprint } from '../../electron/engine/team/fingerprint.js';

describe('attach client helpers', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [6, 30_000],
    [50, 30_000],
  ])('reconnect attempt %i waits %i ms (capped)', (n, ms) => expect(reconnectDelayMs(n)).toBe(ms));

  it.each([
    ['SHA256:' + 'ab'.repeat(32), 'AB:'.repeat(31) + 'AB'],
    ['ab'.repeat(32), 'AB:'.repeat(31) + 'AB'],
    [' ' + 'AB:'.repeat(31) + 'AB ', 'AB:'.repeat(31) + 'AB'],
    ['AB:CD', null],
    ['zz'.repeat(32), null],
  ])('fingerprint %j → %j', (text, expected) => expect(normalizeFingerprint(text)).toBe(expected));

  it.each([
    ['wss://team.example:7465', { host: 'team.example', port: 7465, href: 'wss://team.example:7465/ipc' }],
    ['wss://[::1]:9000', { host: '::1', port: 9000, href: 'wss://[::1]:9000/ipc' }],
    ['wss://team.example', { host: 'team.example', port: 443, href: 'wss://team.example/ipc' }],
  ])('address %s', (url, parts) => expect(parseTeamUrl(url)).toEqual(parts));

  it.each([
    ['ws://team:7465', /over wss:\/\/ \(TLS\)/],
    ['team:7465', /over wss:\/\/|not an address/],
    ['https://team', /over wss:\/\//],
  ])('refuses %s', (url, message) => expect(() => parseTeamUrl(url)).toThrow(message));
});
