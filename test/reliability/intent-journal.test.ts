// The launch intent journal: durable JSON lines, a torn last line cut off, compaction, and no user data ever.
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeIntent,
  encodeResolution,
  IntentJournal,
  JOURNAL_FILE,
  parseJournal,
  type JournalIntent,
} from '../../electron/engine/reliability/intent-journal.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'intent-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const intent = (token: string, patch: Partial<JournalIntent> = {}): JournalIntent => ({
  token,
  queue: 'gpu',
  resource: 'gpu_a',
  market: 'spot',
  subnetId: 'subnet-0000aaaa',
  at: 1_000,
  region: 'us-east-1',
  session: 's1',
  ...patch,
});

describe('parseJournal', () => {
  const a = encodeIntent(intent('a'));
  const b = encodeIntent(intent('b'));
  const ra = encodeResolution('a', { outcome: 'launched', instanceId: 'i-0123456789abcdef0', at: 2_000 });
  const cases: { name: string; text: string; tokens: string[]; resolved: string[]; torn: boolean; bad: number }[] = [
    { name: 'empty', text: '', tokens: [], resolved: [], torn: false, bad: 0 },
    { name: 'two intents, one resolved', text: a + b + ra, tokens: ['a', 'b'], resolved: ['a'], torn: false, bad: 0 },
    {
      name: 'a torn last line is cut off',
      text: a + b.slice(0, 20),
      tokens: ['a'],
      resolved: [],
      torn: true,
      bad: 0,
    },
    { name: 'a line without any newline is torn', text: a.trimEnd(), tokens: [], resolved: [], torn: true, bad: 0 },
    {
      name: 'a bad complete line is skipped, the rest kept',
      text: a + '{"v":1,"t":"intent"}\n' + 'not json\n' + b,
      tokens: ['a', 'b'],
      resolved: [],
      torn: false,
      bad: 2,
    },
    {
      name: 'a resolution of an unknown token is ignored',
      text: encodeResolution('zz', { outcome: 'failed', code: 'X', at: 1 }) + a,
      tokens: ['a'],
      resolved: [],
      torn: false,
      bad: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = parseJournal(c.text);
      expect(p.entries.map((e) => e.intent.token)).toEqual(c.tokens);
      expect(p.entries.filter((e) => e.resolution).map((e) => e.intent.token)).toEqual(c.resolved);
      expect(p.validBytes < Buffer.byteLength(c.text)).toBe(c.torn);
      expect(p.badLines).toBe(c.bad);
    });
  }

  it('"launched" outranks a later failed or abandoned word', () => {
    const text =
      a +
      ra +
      encodeResolution('a', { outcome: 'abandoned', reason: 'late', at: 3_000 }) +
      b +
      encodeResolution('b', { outcome: 'failed', code: 'InsufficientInstanceCapacity', at: 3_000 }) +
      encodeResolution('b', { outcome: 'launched', instanceId: 'i-0000000000000000b', at: 4_000 });
    const p = parseJournal(text);
    expect(p.entries.map((e) => [e.intent.token, e.resolution?.outcome, e.resolution?.instanceId])).toEqual([
      ['a', 'launched', 'i-0123456789abcdef0'],
      ['b', 'launched', 'i-0000000000000000b'],
    ]);
  });
});

describe('IntentJournal', () => {
  it('survives a reopen: intents and resolutions are on disk when the calls resolve', async () => {
    const j = await IntentJournal.open({ dir });
    await j.recordIntent(intent('t1'));
    await j.recordIntent(intent('t2', { market: 'on-demand', subnetId: undefined, availabilityZone: 'us-east-1b' }));
    await j.resolve('t1', { outcome: 'launched', instanceId: 'i-0123456789abcdef0', at: 5 });
    await j.close();

    const again = await IntentJournal.open({ dir });
    expect(again.entries().map((e) => [e.intent.token, e.resolution?.outcome ?? null])).toEqual([
      ['t1', 'launched'],
      ['t2', null],
    ]);
    expect(again.get('t2')?.intent).toMatchObject({ market: 'on-demand', availabilityZone: 'us-east-1b' });
    expect(again.unresolved().map((e) => e.intent.token)).toEqual(['t2']);
    expect(again.repaired).toEqual({ tornBytes: 0, badLines: 0 });
    await again.close();
  });

  it('cuts a torn last line off before appending, so the next line is not glued to it', async () => {
    const file = path.join(dir, JOURNAL_FILE);
    const good = encodeIntent(intent('ok'));
    const torn = encodeIntent(intent('torn')).slice(0, 37);
    await writeFile(file, good + torn);

    const j = await IntentJournal.open({ dir });
    expect(j.repaired.tornBytes).toBe(Buffer.byteLength(torn));
    expect(j.unresolved().map((e) => e.intent.token)).toEqual(['ok']);
    await j.recordIntent(intent('next'));
    await j.close();

    expect(await readFile(file, 'utf8')).toBe(good + encodeIntent(intent('next', { session: 's1' })));
    const again = await IntentJournal.open({ dir });
    expect(again.entries().map((e) => e.intent.token)).toEqual(['ok', 'next']);
    expect(again.repaired).toEqual({ tornBytes: 0, badLines: 0 });
    await again.close();
  });

  it('never writes a field outside the allow-list (user data carries the ClearML secret)', async () => {
    const j = await IntentJournal.open({ dir });
    // What a careless caller might pass: the whole launch spec, user data and all.
    const withSecrets = {
      ...intent('t1'),
      userData: "CLEARML_API_SECRET_KEY='super-secret-value'",
      tags: { Name: 'x' },
      secretKey: 'super-secret-value',
    };
    await j.recordIntent(withSecrets);
    await j.resolve('t1', { outcome: 'failed', code: 'InsufficientInstanceCapacity', reason: 'no capacity', at: 9 });
    await j.close();
    const text = await readFile(path.join(dir, JOURNAL_FILE), 'utf8');
    expect(text).not.toContain('super-secret-value');
    expect(text).not.toContain('userData');
    for (const line of text.trim().split('\n')) {
      const keys = Object.keys(JSON.parse(line) as object).sort();
      expect(
        keys.every((k) =>
          [
            'v',
            't',
            'token',
            'queue',
            'resource',
            'market',
            'subnetId',
            'availabilityZone',
            'at',
            'region',
            'session',
            'outcome',
            'instanceId',
            'code',
            'reason',
          ].includes(k),
        ),
      ).toBe(true);
    }
  });

  it('compacts to the open intents and the rest of their batches, atomically', async () => {
    const j = await IntentJournal.open({ dir });
    // Batch at=1000: a1 failed, a2 launched — nothing open, dropped.
    await j.recordIntent(intent('a1'));
    await j.recordIntent(intent('a2', { subnetId: 'subnet-0000bbbb' }));
    await j.resolve('a1', { outcome: 'failed', code: 'InsufficientInstanceCapacity', at: 1 });
    await j.resolve('a2', { outcome: 'launched', instanceId: 'i-00000000000000a2', at: 2 });
    // Batch at=2000: b1 open, b2 launched — kept whole, so recovery still sees b1 was not the last attempt.
    await j.recordIntent(intent('b1', { at: 2_000 }));
    await j.recordIntent(intent('b2', { at: 2_000, subnetId: 'subnet-0000bbbb' }));
    await j.resolve('b2', { outcome: 'launched', instanceId: 'i-00000000000000b2', at: 3 });
    await j.compact();
    expect(j.entries().map((e) => e.intent.token)).toEqual(['b1', 'b2']);
    await j.recordIntent(intent('c1', { at: 3_000 }));
    await j.close();

    const again = await IntentJournal.open({ dir });
    expect(again.entries().map((e) => [e.intent.token, e.resolution?.outcome ?? null])).toEqual([
      ['b1', null],
      ['b2', 'launched'],
      ['c1', null],
    ]);
    await again.close();
  });

  it('keeps recent launches through a compaction (their instances may not be listed yet)', async () => {
    let now = 1_000_000;
    const j = await IntentJournal.open({ dir, now: () => now, keepLaunchedForMs: 600_000 });
    await j.recordIntent(intent('old', { at: now - 700_000 }));
    await j.resolve('old', { outcome: 'launched', instanceId: 'i-000000000000000a1', at: now - 700_000 });
    await j.recordIntent(intent('new', { at: now - 60_000 }));
    await j.resolve('new', { outcome: 'launched', instanceId: 'i-000000000000000a2', at: now - 60_000 });
    await j.recordIntent(intent('failed', { at: now - 60_000, subnetId: 'subnet-0000bbbb' }));
    await j.resolve('failed', { outcome: 'failed', code: 'InsufficientInstanceCapacity', at: now - 60_000 });
    await j.compact();
    expect(j.entries().map((e) => e.intent.token)).toEqual(['new']);
    now += 600_000;
    await j.compact();
    expect(j.entries()).toEqual([]);
    await j.close();
  });

  it('compacts by itself once enough lines were appended', async () => {
    const j = await IntentJournal.open({ dir, compactAfterLines: 10 });
    for (let i = 0; i < 8; i++) {
      await j.recordIntent(intent(`t${i}`, { at: i }));
      await j.resolve(`t${i}`, { outcome: 'failed', code: 'InsufficientInstanceCapacity', at: i });
    }
    await j.recordIntent(intent('open', { at: 100 }));
    await j.close();
    const lines = (await readFile(path.join(dir, JOURNAL_FILE), 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThan(10);
    const again = await IntentJournal.open({ dir });
    expect(again.unresolved().map((e) => e.intent.token)).toEqual(['open']);
    await again.close();
  });

  it('writes appends one at a time even when called concurrently', async () => {
    const j = await IntentJournal.open({ dir });
    await Promise.all(Array.from({ length: 20 }, (_, i) => j.recordIntent(intent(`c${i}`))));
    await j.close();
    const text = await readFile(path.join(dir, JOURNAL_FILE), 'utf8');
    const p = parseJournal(text);
    expect(p.badLines).toBe(0);
    expect(p.entries).toHaveLength(20);
  });

  it('a torn tail written after the last good line does not hide earlier unresolved intents', async () => {
    const j = await IntentJournal.open({ dir });
    await j.recordIntent(intent('kept'));
    await j.close();
    await appendFile(path.join(dir, JOURNAL_FILE), '{"v":1,"t":"resolution","token":"kept","outc');
    const again = await IntentJournal.open({ dir });
    expect(again.unresolved().map((e) => e.intent.token)).toEqual(['kept']);
    await again.close();
  });
});
