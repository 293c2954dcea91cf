import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataDirBusyError,
  isEngineEntry,
  LOCK_FILE,
  lockDataDir,
  lockVerdict,
  makeFolder,
  tightenDataDir,
} from '../../electron/engine/data-dir-lock.js';

const me = { pid: 100, host: 'box', alive: (pid: number) => pid === 200 };
const lock = (o: object) => JSON.stringify({ startedAt: 1, ...o });

describe('the data folder lock', () => {
  it.each([
    ['another engine on this host that runs', lock({ pid: 200, host: 'box' }), 'held'],
    ['another engine on this host that is gone (kill -9, reboot)', lock({ pid: 300, host: 'box' }), 'stale'],
    ['this process', lock({ pid: 100, host: 'box' }), 'mine'],
    [
      'an engine on another host (a shared folder): its process cannot be checked',
      lock({ pid: 300, host: 'other' }),
      'held',
    ],
    ['a torn file (power cut while it was written)', '{"pid":20', 'stale'],
    ['an empty file', '', 'stale'],
    ['a file of something else', '{"owner":"me"}', 'stale'],
  ] as const)('%s: %s', (_what, found, verdict) => {
    expect(lockVerdict(found, me)).toBe(verdict);
  });

  it('is taken in an empty folder, refused while held, taken over once stale, and released only by its owner', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'lock-')), 'data');
    const a = lockDataDir(dir, { pid: 200, host: 'box', now: 5_000, alive: () => true });
    expect(JSON.parse(readFileSync(a.file, 'utf8'))).toEqual({ pid: 200, host: 'box', startedAt: 5_000 });
    let refused: unknown = null;
    try {
      lockDataDir(dir, { pid: 300, host: 'box', alive: () => true });
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(DataDirBusyError);
    expect((refused as Error).message).toMatch(
      /another autoscaler engine \(pid 200 on box.*uses the data folder .*data/,
    );
    expect((refused as Error).message).toContain('own --data-dir');
    // The owner died: the next engine takes the folder, and the dead one's release does not remove its lock.
    const b = lockDataDir(dir, { pid: 300, host: 'box', alive: (pid) => pid !== 200 });
    a.release();
    expect(JSON.parse(readFileSync(b.file, 'utf8'))).toMatchObject({ pid: 300 });
    b.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('a real process holding the lock is seen running; once it has exited, the lock is taken over', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    writeFileSync(path.join(dir, LOCK_FILE), lock({ pid: child.pid, host: hostname() }));
    expect(() => lockDataDir(dir)).toThrow(DataDirBusyError);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const taken = lockDataDir(dir);
    expect(JSON.parse(readFileSync(taken.file, 'utf8'))).toMatchObject({ pid: process.pid });
    taken.release();
  });
});

describe('making the data folder fails with the real cause', () => {
  const errno = (code: string, p: string) => Object.assign(new Error(`${code}: mkdir '${p}'`), { code });
  /**
   * mkdir as Node's does it on a disk mounted read-only (measured on a read-only tmpfs, Node 24): the recursive
   * form says ENOENT, one level at a time says EROFS; `made` records the levels made one at a time (`roAfter` of
   * them are allowed, for a disk that turns writable), and the recursive form works once one is made.
   */
  const readOnlyMkdir = (made: string[], roAfter = 0) =>
    ((p: string, o?: { recursive?: boolean }) => {
      if (o?.recursive && made.length === 0) throw errno('ENOENT', p);
      if (o?.recursive) return undefined;
      if (made.length >= roAfter) throw errno('EROFS', p);
      made.push(p);
      return undefined;
    }) as unknown as typeof mkdirSync;
  const root = () => mkdtempSync(path.join(tmpdir(), 'ro-'));

  it.each([
    ['the folder itself', (r: string) => path.join(r, 'data'), (r: string) => path.join(r, 'data')],
    [
      'the first of several missing levels',
      (r: string) => path.join(r, 'a', 'b', 'data'),
      (r: string) => path.join(r, 'a'),
    ],
  ])('on a read-only disk, %s: EROFS naming the first level that cannot be made, not ENOENT', (_, dir, first) => {
    const r = root();
    const made: string[] = [];
    let thrown: unknown = null;
    try {
      makeFolder(dir(r), 0o700, readOnlyMkdir(made));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'EROFS', message: `EROFS: mkdir '${first(r)}'` });
    expect(made).toEqual([]);
  });

  it('a level that can be made after all (its parent appeared meanwhile) goes on to make the rest', () => {
    const r = root();
    const made: string[] = [];
    makeFolder(path.join(r, 'a', 'data'), 0o700, readOnlyMkdir(made, 1));
    expect(made).toEqual([path.join(r, 'a')]);
  });

  it('another error is thrown as it came, and a real folder is made as before', () => {
    const r = root();
    const denied = (() => {
      throw errno('EACCES', r);
    }) as unknown as typeof mkdirSync;
    expect(() => makeFolder(path.join(r, 'x'), 0o700, denied)).toThrow(/EACCES/);
    makeFolder(path.join(r, 'y', 'z'), 0o700);
    expect(statSync(path.join(r, 'y', 'z')).isDirectory()).toBe(true);
  });
});

describe('taking the lock sweeps the temporary files of writes that never finished', () => {
  it("removes the engine's stale ones at the top level, and keeps a running engine's, other files' and subfolders'", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lock-sweep-'));
    mkdirSync(path.join(dir, 'team'));
    const names = [
      'cost-history.jsonl.31337.tmp', // its process is gone (a power cut mid-write)
      'cost-history.jsonl.compact.tmp', // a compaction's: only the lock's holder writes it
      'launch-intents.jsonl.tmp',
      'events.json.4242.tmp', // process 4242 still runs and may be writing it
      'notes.tmp', // not the engine's
      path.join('team', 'tokens.json.31337.tmp'), // `token` commands write here without the lock
    ];
    for (const n of names) writeFileSync(path.join(dir, n), 'part-written');
    const taken = lockDataDir(dir, { pid: 1000, alive: (pid) => pid === 4242 });
    expect(taken.swept).toEqual([
      'cost-history.jsonl.31337.tmp',
      'cost-history.jsonl.compact.tmp',
      'launch-intents.jsonl.tmp',
    ]);
    expect(names.filter((n) => existsSync(path.join(dir, n)))).toEqual([
      'events.json.4242.tmp',
      'notes.tmp',
      path.join('team', 'tokens.json.31337.tmp'),
    ]);
    taken.release();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("tightening a folder an older version left open: only the engine's own entries", () => {
  it.each([
    ['cost-history.jsonl', true],
    ['cost-history.jsonl.4242.tmp', true],
    ['events.json.corrupt', true],
    ['prices-eu-west-1.json', true],
    [path.join('team', 'tokens.json'), true],
    ['notes.txt', false],
    ['.ssh', false],
    ['teamwork', false],
    [path.join('projects', 'cost-history.jsonl'), false],
  ])('%s: %s', (rel, ours) => {
    expect(isEngineEntry(rel)).toBe(ours);
  });

  const mode = (p: string) => statSync(p).mode & 0o777;
  it("a folder shared with other files keeps its mode and theirs; the engine's files in it are made private", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tighten-'));
    chmodSync(dir, 0o755);
    for (const f of ['cost-history.jsonl', 'notes.txt']) writeFileSync(path.join(dir, f), 'x\n', { mode: 0o644 });
    mkdirSync(path.join(dir, 'team'), { mode: 0o755 });
    writeFileSync(path.join(dir, 'team', 'tokens.json'), '{}\n', { mode: 0o644 });
    const r = tightenDataDir(dir, { files: true });
    expect(r.tightened.sort()).toEqual(['cost-history.jsonl', 'team', path.join('team', 'tokens.json')]);
    expect(mode(dir)).toBe(0o755);
    expect(mode(path.join(dir, 'notes.txt'))).toBe(0o644);
    expect(mode(path.join(dir, 'cost-history.jsonl'))).toBe(0o600);
    expect(mode(path.join(dir, 'team', 'tokens.json'))).toBe(0o600);
  });

  it("a folder holding only the engine's files is made private too", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tighten-'));
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, 'regions.json'), '{}\n', { mode: 0o644 });
    tightenDataDir(dir, { files: false });
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, 'regions.json'))).toBe(0o644);
  });
});
