/**
 * Team mode in the dashboard (Chromium, the real renderer over the preview bridge, a test store): a standby says
 * who leads since when and when it takes over, in the Overview card and without axe findings; a conflict without a
 * lease table offers the decision, which reaches the engine.
 */
import { expect, it } from 'vitest';
import type { LeadershipView, TeamDecision } from '../../shared/team.js';
import { audit, describeFindings } from './axe.js';
import { browserSuite, pageErrors, shot, skipReason, syntheticPreview, syntheticSnapshot } from './support.js';

const e2e = browserSuite('leadership');

const standby: LeadershipView = {
  role: 'standby',
  acts: false,
  mode: 'lease',
  engineId: 'eng-111111111111',
  host: 'laptop',
  leader: { engineId: 'eng-222222222222', host: 'gpu-host' },
  since: Date.now() - 3600_000,
  expiresAt: Date.now() + 60_000,
  takeoverAfterSec: 90,
  decision: null,
  problem: null,
};

e2e.suite(`leadership in Chromium${skipReason ? ` (${skipReason})` : ''}`, () => {
  it('a standby shows who leads, since when, and when this engine takes over', async () => {
    const p = await syntheticPreview({
      ...syntheticSnapshot(3),
      enabled: true,
      status: 'watching',
      leadership: standby,
    });
    const page = await e2e.open(p);
    const card = page.getByRole('region', { name: /Team/ });
    await card.waitFor();
    expect(await card.textContent()).toMatch(
      /Standby: gpu-host \(eng-222222222222\) leads since \d\d:\d\d.*takes over if it stops renewing for 90 s/,
    );
    expect(await card.getByRole('button').count()).toBe(0);
    const findings = await audit(page);
    expect(findings, describeFindings('overview with a standby card', findings)).toEqual([]);
    await shot(page, 'team-standby');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('another engine without a lease table: the card alerts and "Stand by" reaches the engine', async () => {
    const decisions: (TeamDecision | null)[] = [];
    const conflict: LeadershipView = { ...standby, role: 'conflict', mode: 'detection', takeoverAfterSec: null };
    const p = await syntheticPreview(
      { ...syntheticSnapshot(3), enabled: true, status: 'error', leadership: conflict },
      {
        teamDecide: async (d) => {
          decisions.push(d);
          p.store.setState((s) => ({
            ...s,
            rev: s.rev + 1,
            status: 'watching',
            leadership: { ...conflict, role: 'standby', decision: d },
          }));
        },
      },
    );
    const page = await e2e.open(p);
    const alert = page.getByRole('alert').filter({ hasText: 'Another engine acts on this workers prefix' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/gpu-host \(eng-222222222222\).*holds.*until you decide/);
    await page.getByRole('button', { name: 'Stand by' }).click();
    await page.getByText(/Standby \(your decision\)/).waitFor();
    expect(decisions).toEqual(['standby']);
    await shot(page, 'team-decided-standby');
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);
});
