// The engine id is stable per install (the data folder) and the user's decision survives a restart.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeadershipController } from '../../../electron/engine/controllers/leadership.js';
import type { NewEvent } from '../../../electron/engine/events.js';
import { TAG } from '../../../electron/engine/ports.js';
import { JOURNAL_FILE } from '../../../electron/engine/reliability/intent-journal.js';
import { formatStamp } from '../../../electron/engine/team/detection.js';
import { openTeamState, previousEngineId, TEAM_FILE } from '../../../electron/engine/team/identity.js';
import { VirtualClock } from '../../../electron/engine/testkit/virtual-clock.js';
import { baseConfig } from '../../fixtures/index.js';
import { instance, T0 } from '../fixtures.js';

const OLD = 'eng-61ee1d3e8543';

/** A launch journal line as the engine writes it: the intent carries the stamp its request was tagged with. */
const intentLine = (engineId: string, host: string, at: number) =>
  JSON.stringify({
    v: 1,
    t: 'intent',
    token: `tok-${at}`,
    queue: 'gpu',
    resource: 'gpu_a',
    market: 'on-demand',
    at,
    stamp: formatStamp({ engineId, host, at }),
    session: 's',
  });

async function folder(team: string | Buffer | null, journal: string[] | null): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'team-'));
  if (team !== null) await writeFile(path.join(dir, TEAM_FILE), team);
  if (journal !== null) await writeFile(path.join(dir, JOURNAL_FILE), journal.map((l) => `${l}\n`).join(''));
  return dir;
}

describe('team state in the data folder', () => {
  it('keeps one engine id per data folder and the decision across a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'team-'));
    const first = await openTeamState(dir, 'laptop');
    expect(first.identity.engineId).toMatch(/^eng-[0-9a-f]{12}$/);
    await first.setDecision({ decision: 'standby', engines: ['eng-aaaaaaaaaaaa'], at: 1 });
    const again = await openTeamState(dir, 'laptop');
    expect(again.identity).toEqual(first.identity);
    expect(again.decision()).toEqual({ decision: 'standby', engines: ['eng-aaaaaaaaaaaa'], at: 1 });
    const other = await openTeamState(await mkdtemp(path.join(tmpdir(), 'team-')), 'laptop');
    expect(other.identity.engineId).not.toBe(first.identity.engineId);
  });

  it('a torn file with no id left in it and no journal gets a new identity, kept aside, rewritten whole', async () => {
    const dir = await folder('{"v":1,"engineId":"eng-', null);
    const s = await openTeamState(dir, 'host');
    expect(s.decision()).toBeNull();
    expect(s.reset).toEqual({ cause: 'unreadable', recoveredFrom: null });
    expect(JSON.parse(await readFile(path.join(dir, TEAM_FILE), 'utf8'))).toEqual({
      v: 1,
      engineId: s.identity.engineId,
      decision: null,
    });
    expect(await readFile(path.join(dir, `${TEAM_FILE}.corrupt`), 'utf8')).toBe('{"v":1,"engineId":"eng-');
    expect(s.takeNotice?.()).toMatch(
      /team\.json could not be read \(not valid JSON\); it was kept as team\.json\.corrupt: this engine has a new id, eng-[0-9a-f]{12}\..*answer "this engine acts"/,
    );
    expect(s.takeNotice?.()).toBeNull();
  });

  it('an emptied team.json takes the id back from the stamps of this host in the launch journal', async () => {
    const journal = [
      intentLine('eng-000000000001', 'laptop', T0 - 7200_000),
      intentLine(OLD, 'laptop', T0 - 60_000),
      intentLine('eng-0000000000ff', 'other-box', T0), // a folder copied from another machine: not this host's id
    ];
    const dir = await folder('', journal);
    const s = await openTeamState(dir, 'laptop');
    expect(s.identity).toEqual({ engineId: OLD, host: 'laptop' });
    expect(s.reset).toEqual({ cause: 'unreadable', recoveredFrom: 'launch-journal' });
    expect(existsSync(path.join(dir, `${TEAM_FILE}.corrupt`))).toBe(true);
    expect(s.takeNotice?.()).toMatch(
      /could not be read \(empty\).*keeps its id eng-61ee1d3e8543, found in its launch journal/,
    );
    expect((await openTeamState(dir, 'laptop')).identity.engineId).toBe(OLD);
  });

  it('a half-written team.json that still shows the id keeps it', async () => {
    const dir = await folder(`{"v":1,"engineId":"${OLD}","decision":{"deci`, null);
    const s = await openTeamState(dir, 'laptop');
    expect(s.identity.engineId).toBe(OLD);
    expect(s.takeNotice?.()).toMatch(/keeps its id eng-61ee1d3e8543, found in the damaged file/);
  });

  it('a zero-filled team.json with no stamp of this host gets a new id, and says so', async () => {
    const dir = await folder(Buffer.alloc(54), [intentLine(OLD, 'other-box', T0)]);
    const s = await openTeamState(dir, 'laptop');
    expect(s.identity.engineId).not.toBe(OLD);
    expect(s.takeNotice?.()).toMatch(/could not be read \(zero bytes\).*new id/);
  });

  it('a deleted team.json in a folder that ran before gets a new id (a cloned image) and says so; a new folder says nothing', async () => {
    const ran = await openTeamState(await folder(null, [intentLine(OLD, 'laptop', T0)]), 'laptop');
    expect(ran.identity.engineId).not.toBe(OLD);
    expect(ran.reset).toEqual({ cause: 'missing', recoveredFrom: null });
    expect(ran.takeNotice?.()).toMatch(/team\.json was missing: this engine has a new id/);
    const fresh = await openTeamState(await folder(null, null), 'laptop');
    expect(fresh.reset).toBeNull();
    expect(fresh.takeNotice?.()).toBeNull();
  });

  it('a folder from before team mode (a journal without stamps, no team.json) is a first start: no reset, no notice', async () => {
    // As a release before team mode wrote it: no stamp on the intent.
    const unstamped = JSON.parse(intentLine(OLD, 'laptop', T0)) as Record<string, unknown>;
    delete unstamped['stamp'];
    const resolved = JSON.stringify({
      v: 1,
      t: 'resolution',
      token: unstamped['token'],
      outcome: 'launched',
      instanceId: 'i-0aa',
      at: T0 + 1,
    });
    const dir = await folder(null, [JSON.stringify(unstamped), resolved]);
    const upgraded = await openTeamState(dir, 'laptop');
    expect(upgraded.reset).toBeNull();
    expect(upgraded.takeNotice?.()).toBeNull();
    expect(existsSync(path.join(dir, TEAM_FILE))).toBe(true);
  });

  it('previousEngineId skips lines that do not read and stamps that are not an engine id', () => {
    const journal = ['{"t":"intent","stamp":"eng-zz 1 laptop"}', 'garbage', intentLine(OLD, 'laptop', T0), ''].join(
      '\n',
    );
    expect(previousEngineId(null, journal, 'laptop')).toEqual({ engineId: OLD, from: 'launch-journal' });
    expect(previousEngineId('\0\0', 'garbage', 'laptop')).toBeNull();
  });
});

describe('detection after team.json was lost', () => {
  /** One detection step of an engine on `dir`, among instances stamped a minute ago by `stampedBy` on `host`. */
  async function firstStep(dir: string, stampedBy: string, host: string) {
    const clock = new VirtualClock(T0);
    const events: NewEvent[] = [];
    const c = new LeadershipController({ team: openTeamState(dir, 'laptop') }, clock);
    const stamp = formatStamp({ engineId: stampedBy, host, at: T0 - 60_000 });
    const instances = [1, 2, 3].map(() => instance('gpu', 'gpu_a', { tags: { [TAG.engine]: stamp } }));
    const step = await c.step({ config: baseConfig(), instances, wantsToAct: true }, (e) => events.push(e));
    return { step, messages: events.map((e) => `${e.level} ${e.message}`) };
  }

  it("an emptied team.json does not take this folder's own instances for another engine's", async () => {
    const dir = await folder('', [intentLine(OLD, 'laptop', T0 - 120_000)]);
    const { step, messages } = await firstStep(dir, OLD, 'laptop');
    expect(step).toMatchObject({ acts: true, view: { role: 'solo', engineId: OLD } });
    expect(messages).toEqual([expect.stringMatching(/^warn .*team\.json could not be read.*keeps its id/)]);
  });

  it('with no way to find the old id, the conflict says the identity was reset and what to answer', async () => {
    const dir = await folder('', null);
    const { step, messages } = await firstStep(dir, OLD, 'laptop');
    expect(step).toMatchObject({ acts: false, view: { role: 'conflict' } });
    expect(messages[0]).toMatch(/^warn .*new id/);
    expect(messages[1]).toMatch(
      /^error another engine acts on this workers prefix \(laptop, eng-61ee1d3e8543\).*This data folder's identity was reset at start \(team\.json could not be read\).*answer "this engine acts"$/,
    );
  });

  it('an engine of another host is another engine: no word of a reset in the conflict', async () => {
    const dir = await folder('', null);
    const { messages } = await firstStep(dir, OLD, 'gpu-box');
    expect(messages[1]).toMatch(/^error another engine acts/);
    expect(messages[1]).not.toMatch(/reset/);
  });
});
