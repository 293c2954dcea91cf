// The engine id is stable per install (the data folder) and the user's decision survives a restart.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTeamState, TEAM_FILE } from '../../../electron/engine/team/identity.js';

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

  it('a torn file gets a new identity (this install is then a new engine), rewritten whole', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'team-'));
    await writeFile(path.join(dir, TEAM_FILE), '{"v":1,"engineId":"eng-');
    const s = await openTeamState(dir, 'host');
    expect(s.decision()).toBeNull();
    expect(JSON.parse(await readFile(path.join(dir, TEAM_FILE), 'utf8'))).toEqual({
      v: 1,
      engineId: s.identity.engineId,
      decision: null,
    });
  });
});
