// Compacting the launch journal or the cost history on a full disk: the rewrite fails, and its part-written
// temporary file must go, or it holds the space the next intent (which every launch waits for) or the waiting spend
// facts need.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COST_T0 as T0 } from '../fixtures/index.js';

/** Whether writes to a temporary file land a few bytes and then fail as a full disk does. */
const disk = { full: false };

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const h = await real.open(...args);
    if (!String(args[0]).endsWith('.tmp')) return h;
    const partly = (write: (text: string) => Promise<unknown>) => async (text: string) => {
      if (!disk.full) return write(text);
      await write(String(text).slice(0, 10));
      throw enospc();
    };
    return new Proxy(h, {
      get(target, prop, recv) {
        if (prop === 'write') return partly((t) => target.write(t));
        if (prop === 'writeFile') return partly((t) => target.writeFile(t));
        const v: unknown = Reflect.get(target, prop, recv);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});

const { IntentJournal, JOURNAL_FILE } = await import('../../electron/engine/reliability/intent-journal.js');
const { CostHistory } = await import('../../electron/engine/cost/history.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cta-compact-full-'));
  disk.full = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('compaction on a full disk', () => {
  it('the launch journal: the failed rewrite leaves no temporary file, and the journal still takes intents', async () => {
    const j = await IntentJournal.open({ dir, now: () => T0 });
    const intent = (token: string) =>
      ({ token, queue: 'gpu', resource: 'a', market: 'spot', at: T0, region: 'us-east-1' }) as const;
    await j.recordIntent(intent('a'));
    disk.full = true;
    await expect(j.compact()).rejects.toThrow(/ENOSPC/);
    expect(readdirSync(dir)).toEqual([JOURNAL_FILE]);
    disk.full = false;
    await j.recordIntent(intent('b'));
    expect(j.unresolved().map((e) => e.intent.token)).toEqual(['a', 'b']);
    await j.close();
  });

  it('the cost history: the failed rewrite leaves no temporary file', async () => {
    const file = path.join(dir, 'cost-history.jsonl');
    const clock = { now: () => T0 + 60_000, sleep: async () => undefined };
    const h = await CostHistory.open({ file, clock, compactAfterLines: 0 });
    disk.full = true;
    // Two lines for one instance pass the threshold: the compaction after the second fails, its fact is on disk.
    await h.record({
      t: 'launched',
      at: T0,
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      queue: 'gpu',
      resource: 'g5',
      instanceType: 'g5.xlarge',
      market: 'on-demand',
      zone: 'us-east-1b',
      hourlyPrice: 3.6,
      priceSource: { kind: 'pricing-api', fetchedAt: T0 },
    });
    await h.record({ t: 'registered', at: T0 + 1000, instanceId: 'i-0aaaaaaaaaaaaaaa1' });
    expect(readdirSync(dir)).toEqual(['cost-history.jsonl']);
    await h.close();
  });
});
