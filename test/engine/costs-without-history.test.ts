// A cost history that cannot be opened (here a directory where the file should be: EISDIR; in life a file a `sudo`
// run left root-owned, a read-only folder): the budget caps used to switch off without a word, and the failure was
// kept until a restart. Hourly caps are now enforced from what runs, monthly caps hold what they cover and every
// surface says so (they read "NOT enforced" with a green "under the cap" while they held every launch), and the
// history is opened again a minute later.
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../shared/config.js';
import { budgetLine, buildTrayModel } from '../../electron/main/tray/tray-model.js';
import { capDisplay } from '../../renderer/src/model/costs.js';
import { addTasks, AWS_KEYS, baseConfig, CLEARML_KEYS } from '../fixtures/index.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function brokenHistory(budgets: Partial<Config['budgets']>) {
  const w = (world = await startWorld({ queues: ['cpu', 'gpu'], dataDir: true }));
  const file = path.join(w.dir, 'cost-history.jsonl');
  mkdirSync(file);
  addTasks(w.clearml, 'cpu', 5, 1800);
  const host = w.host({ dataDir: w.dir });
  const config = baseConfig({ clearml: { apiHost: w.clearml.url }, budgets: { mode: 'stop-launching', ...budgets } });
  host.configure(config, { clearml: CLEARML_KEYS, aws: AWS_KEYS });
  return { w, host, file };
}

describe('budgets while the cost history cannot be opened', () => {
  it('an hourly cap is enforced from the running instances, the status says why, and the history opens once fixed', async () => {
    const { w, host, file } = await brokenHistory({ global: { hourlyUsd: 0.25 } });
    try {
      for (let t = 0; t < 4; t++) {
        await host.tickNow();
        w.clock.advance(15_000);
        w.agents.step();
      }
      // Two m5.large (~$0.192/h) fit under $0.25/h, a third does not.
      expect(w.live()).toHaveLength(2);
      const s = host.store.getState();
      expect(s.costs.budgets?.map((c) => c.label)).toEqual(['global hourly burn cap $0.25/h']);
      expect(s.statusReason).toContain(`The cost history cannot be opened (${file}: EISDIR`);
      expect(
        s.events.filter((e) => e.level === 'error' && e.message.includes('monthly budget caps hold the launches')),
      ).toHaveLength(1);

      rmdirSync(file);
      w.clock.advance(60_000);
      w.agents.step();
      await host.tickNow();
      const after = host.store.getState();
      expect(after.statusReason ?? '').not.toContain('cost history');
      // The tick recorded into it: the running instances are in the file now.
      expect(readFileSync(file, 'utf8')).toContain('"t":"launched"');
      expect(after.events.some((e) => e.message.startsWith('the cost history opened'))).toBe(true);
    } finally {
      await host.stop();
    }
  });

  it('a monthly cap holds the launches it covers, and no surface calls it ok or under the cap', async () => {
    const { w, host } = await brokenHistory({ global: { monthlyUsd: 500 } });
    try {
      const r = await host.tickNow();
      expect(r?.launched).toEqual([]);
      expect(w.live()).toHaveLength(0);
      const s = host.store.getState();
      const label = "global monthly cap $500 (holding launches: this month's spend is unknown)";
      expect(s.costs.budgets?.map((c) => [c.label, c.state])).toEqual([[label, 'unknown']]);
      const cap = s.costs.budgets![0]!;
      // The tray's cap line and the Costs tab's badge, bar text and tone.
      expect(budgetLine(cap)).toBe(label.charAt(0).toUpperCase() + label.slice(1));
      const tray = buildTrayModel(s, { launchAtLogin: false, launchAtLoginSupported: false, configured: true });
      expect(tray.items.find((i) => i.id === `budget:${cap.id}`)?.label).toContain('holding launches');
      for (const ready of [false, true]) {
        const d = capDisplay(cap, ready);
        expect([d.state, d.badge, d.tone]).toEqual(['unknown', 'spend unknown', 'warn']);
        expect(d.text).not.toMatch(/under the cap|\$0\.00 of/);
        // The figure beside the badge: the cap alone, not a placeholder "$0.00 of $500.00" spent.
        expect(d.figure).toBe('cap $500.00');
        expect(d.projected).toBeNull();
        // The Costs tab's row (name, badge, figure, sentence) says "unknown" once, in the badge, and what it does.
        const row = [d.label, d.badge, d.figure, d.text].join(' · ');
        expect(row.match(/unknown/g)).toHaveLength(1);
        expect(d.label).toBe('global monthly cap $500');
        expect(d.text).toMatch(/^holding the launches it covers: the cost history cannot be opened/);
      }
      expect(s.queues.find((q) => q.name === 'cpu')?.lastDecision).toMatch(
        /global monthly cap \$500 cannot be enforced: .*cost-history\.jsonl: EISDIR/,
      );
    } finally {
      await host.stop();
    }
  });
});
