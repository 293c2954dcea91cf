/** The dashboard's team-mode wording: which controls a role greys out, and the connection line. */
import { afterEach, describe, expect, it } from 'vitest';
import { leadershipBannerText, remoteAnnouncement, remoteLine, roleLimit } from '../../renderer/src/model/team.js';
import { standbyLeadership } from '../fixtures/index.js';
import type { Snapshot } from '../../shared/domain.js';

type Remote = NonNullable<Snapshot['remote']>;
const remote = (patch: Partial<Remote> = {}): Remote => ({
  url: 'wss://team:7465',
  actor: { name: 'vera', role: 'viewer' },
  state: 'connected',
  since: 0,
  retryAt: null,
  lastError: null,
  ...patch,
});

describe('roleLimit', () => {
  it.each([
    ['viewer', 'autoscaler:engine.setEnabled', /vera\) is a viewer.*needs an operator/],
    ['operator', 'autoscaler:engine.setEnabled', null],
    ['operator', 'autoscaler:config.save', /is an operator.*needs an admin/],
    ['admin', 'autoscaler:engine.stopEverything', null],
  ] as const)('%s on %s', (role, channel, expected) => {
    const r = roleLimit(remote({ actor: { name: 'vera', role } }), channel);
    if (expected === null) expect(r).toBeNull();
    else expect(r).toMatch(expected);
  });

  it('allows everything when not attached, and nothing before the server said the role', () => {
    expect(roleLimit(undefined, 'autoscaler:engine.stopEverything')).toBeNull();
    expect(roleLimit(remote({ actor: null }), 'autoscaler:engine.setEnabled')).toMatch(/Waiting/);
  });
});

describe('remoteLine', () => {
  it.each([
    [remote({ since: 0 }), 65_000, 'ok', /connected for 1m/],
    [remote({ state: 'connecting' }), 0, 'warn', /Connecting to the team engine wss:\/\/team:7465/],
    [
      remote({ state: 'disconnected', since: 0, retryAt: 8_000, lastError: 'ECONNREFUSED' }),
      4_000,
      'error',
      /Disconnected .* for 4s\. ECONNREFUSED Retrying in 4 s\./,
    ],
    [remote({ state: 'disconnected', retryAt: null, lastError: 'Your token was revoked' }), 0, 'error', /Not retrying/],
  ] as const)('%#', (r, now, tone, text) => {
    const line = remoteLine(r, now)!;
    expect(line.tone).toBe(tone);
    expect(line.text).toMatch(text);
  });
  it('says nothing when not attached', () => expect(remoteLine(undefined, 0)).toBeNull());
});

describe('remoteAnnouncement', () => {
  // The live region's text: the same at every second of one connection state, different across states.
  it.each([
    [remote({ since: 0 }), [1_000, 2_000, 65_000], 'Team engine wss://team:7465 as vera (viewer): connected.'],
    [remote({ state: 'connecting' }), [0, 3_000], 'Connecting to the team engine wss://team:7465…'],
    [
      remote({ state: 'disconnected', since: 0, retryAt: 8_000, lastError: 'ECONNREFUSED' }),
      [1_000, 4_000, 7_000],
      'Disconnected from the team engine wss://team:7465. ECONNREFUSED Retrying.',
    ],
    [
      remote({ state: 'disconnected', retryAt: null, lastError: 'Your token was revoked' }),
      [0, 60_000],
      'Disconnected from the team engine wss://team:7465. Your token was revoked Not retrying: this needs you (see the reason).',
    ],
  ] as const)('%#: one sentence while the visible line counts', (r, times, said) => {
    const lines = new Set(times.map((t) => remoteLine(r, t)!.text));
    expect(remoteAnnouncement(r)).toBe(said);
    // The visible line does tick over these times (else the case would prove nothing) except while connecting.
    if (r.state !== 'connecting') expect(lines.size).toBe(times.length);
  });
  it('says nothing when not attached', () => expect(remoteAnnouncement(undefined)).toBeNull());
});

describe("leadershipBannerText: the team card reads the 24-hour clock of the rest of the app, in the viewer's zone", () => {
  const saved = process.env['TZ'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  });
  const since = Date.UTC(2026, 11, 7, 22, 2);
  it.each([
    ['UTC', '22:02'],
    ['America/Los_Angeles', '14:02'],
    ['Asia/Kolkata', '03:32'],
    ['Pacific/Chatham', '11:47'],
    ['Australia/Lord_Howe', '09:02'],
  ])('TZ=%s → since %s', (tz, hm) => {
    process.env['TZ'] = tz;
    expect(leadershipBannerText(standbyLeadership({ since }))).toBe(
      `Standby: gpu-host (eng-host) leads since ${hm}; this engine takes over if it stops renewing for 90 s.`,
    );
  });
});
