/**
 * One engine per data folder. Two engines on one folder both launch for the same pending tasks (each counts only
 * its own launches as booting), share one engine id (so neither sees the other as "another engine"), and
 * overwrite each other's launch journal and event log: a systemd unit running while someone starts
 * `npm run headless -- --config …` by hand does exactly that. The lock is a file holding the owner's pid and host,
 * created exclusively; a lock whose process is gone (a crash, `kill -9`, a reboot) is taken over.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'engine.lock';

const LockSchema = z.object({ pid: z.number().int().positive(), host: z.string(), startedAt: z.number() });
export type LockOwner = z.infer<typeof LockSchema>;

export class DataDirBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `another autoscaler engine (pid ${owner.pid} on ${owner.host}, since ${new Date(owner.startedAt).toISOString()}) ` +
        `uses the data folder ${dir}: two engines on one folder launch twice for the same tasks. Stop it, or give ` +
        `this one its own --data-dir. If no such process runs, delete ${path.join(dir, LOCK_FILE)}`,
    );
    this.name = 'DataDirBusyError';
  }
}

export interface LockFacts {
  pid: number;
  host: string;
  now: number;
  /** Whether the engine with this pid may still run on this host. */
  alive: (pid: number) => boolean;
}

/**
 * What to do with a lock file found in place: `held` when its owner may still run, `stale` when it is known gone
 * (same host, no such process) or the file is not a lock this code wrote (torn by a power cut: no owner to
 * protect), `mine` when this process wrote it (a second host in the same process). Pure.
 */
export function lockVerdict(found: string, me: Pick<LockFacts, 'pid' | 'host' | 'alive'>): 'held' | 'stale' | 'mine' {
  let owner: LockOwner;
  try {
    owner = LockSchema.parse(JSON.parse(found));
  } catch {
    return 'stale';
  }
  if (owner.host !== me.host) return 'held';
  if (owner.pid === me.pid) return 'mine';
  return me.alive(owner.pid) ? 'held' : 'stale';
}

/**
 * Whether the lock's owner may still run. A pid is reused after a reboot, so where the process's command line can
 * be read (Linux) one that is not a Node or Electron process is not the engine that wrote the lock.
 */
function engineMayRun(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|electron|autoscaler|tsx/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

/**
 * `mkdir -p` that fails with the real cause. Node's recursive mkdir reports ENOENT ("no such file or directory")
 * when the folder cannot be made on a read-only disk, which is every path outside StateDirectory= under systemd's
 * ProtectSystem=strict: the message then sends the operator looking for a missing parent. The first missing level
 * is made on its own to learn why (EROFS, EACCES), and the rest as usual when that works after all.
 */
export function makeFolder(dir: string, mode: number, mkdir: typeof mkdirSync = mkdirSync): void {
  try {
    mkdir(dir, { recursive: true, mode });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let first = path.resolve(dir);
    while (path.dirname(first) !== first && !existsSync(path.dirname(first))) first = path.dirname(first);
    // Throws the cause Node hid, unless that one level can be made (a parent appeared meanwhile).
    mkdir(first, { mode });
  }
  mkdir(dir, { recursive: true, mode });
}

export interface DataDirLock {
  readonly file: string;
  /** Temporary files of writes that never finished, removed when the lock was taken (`sweepStaleTemps`). */
  readonly swept: readonly string[];
  /**
   * The lock of an engine that did not stop cleanly (killed, or its host went down), taken over: its owner, or
   * 'torn' when the file was no lock (cut mid-write). Null when the folder was free: a clean stop removes the lock.
   */
  readonly tookOver: LockOwner | 'torn' | null;
  /** Removes the lock if this process still holds it. Idempotent. */
  release(): void;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Takes the folder's lock or throws `DataDirBusyError`. Synchronous, so the exit handler that releases it can be
 * too: a process ending on an uncaught error still leaves the folder free.
 */
export function lockDataDir(dir: string, facts: Partial<LockFacts> = {}): DataDirLock {
  const me: LockFacts = {
    pid: facts.pid ?? process.pid,
    host: facts.host ?? hostname(),
    now: facts.now ?? Date.now(),
    alive: facts.alive ?? engineMayRun,
  };
  // A folder made here is this user's alone: it will hold the event log and the cost history.
  makeFolder(dir, 0o700);
  const file = path.join(dir, LOCK_FILE);
  const body = `${JSON.stringify({ pid: me.pid, host: me.host, startedAt: me.now })}\n`;
  let taken = false;
  let tookOver: LockOwner | 'torn' | null = null;
  // A stale lock is removed and the create tried again; another process may win that race, and then its lock is
  // judged like any other.
  for (let attempt = 0; attempt < 3 && !taken; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        writeSync(fd, body);
      } catch (e) {
        // A full disk: an empty lock left behind would be judged torn and taken over, but it is not ours to leave.
        closeSync(fd);
        unlinkSync(file);
        throw e;
      }
      closeSync(fd);
      taken = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let found: string;
      try {
        found = readFileSync(file, 'utf8');
      } catch {
        continue; // gone between the two calls: its owner released it
      }
      const verdict = lockVerdict(found, me);
      if (verdict === 'held') throw new DataDirBusyError(dir, LockSchema.parse(JSON.parse(found)));
      if (verdict === 'mine') taken = true;
      else {
        tookOver = LockSchema.safeParse(safeJson(found)).data ?? 'torn';
        unlinkSync(file);
      }
    }
  }
  if (!taken) throw new Error(`the data folder ${dir} could not be locked: ${LOCK_FILE} keeps coming back`);
  const swept = sweepStaleTemps(dir, me);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (lockVerdict(readFileSync(file, 'utf8'), { ...me, alive: () => true }) === 'mine') unlinkSync(file);
    } catch {
      // Already gone, or unreadable: nothing of ours to remove.
    }
  };
  process.on('exit', release);
  return { file, swept, tookOver, release };
}

/**
 * Removes the temporary files of the engine's writes that never finished (a power cut or `kill -9` mid-write): at its
 * top level, the engine's own entries ending in `.tmp` (`isEngineEntry`), except those named for a process that may
 * still be writing them (`<file>.<pid>.tmp` of a running engine). Left, each kept the space it took for ever (a
 * part-written copy of the cost history can be megabytes, on the disk that filled). Only the lock's holder writes
 * the fixed-name ones (compactions), so once the lock is taken they are stale. Subfolders (the served engine's
 * tokens, written by `token` commands too) are not touched. Returns the names removed.
 */
export function sweepStaleTemps(dir: string, me: Pick<LockFacts, 'pid' | 'alive'>): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const swept: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.tmp') || !isEngineEntry(name)) continue;
    const pid = Number(/\.(\d+)\.tmp$/.exec(name)?.[1] ?? NaN);
    if (pid === me.pid || (Number.isInteger(pid) && me.alive(pid))) continue;
    try {
      rmSync(path.join(dir, name), { force: true });
      swept.push(name);
    } catch {
      // Not removable (permissions): the next start tries again; it harms nothing but space.
    }
  }
  return swept.sort();
}

// ---------------------------------------------------------------- modes of a folder from an older version

/** What `tightenDataDir` changed (paths relative to the folder, '.' for the folder itself) and what it could not. */
export interface TightenReport {
  dir: string;
  tightened: string[];
  failed: { path: string; error: string }[];
}

/** The mode without group and other bits when they have any, or null when only the owner has access. Pure. */
export function privateMode(mode: number): number | null {
  return mode & 0o077 ? mode & 0o7700 : null;
}

/**
 * What the engine keeps in its data folder (its files, with the suffixes of a write in progress or a copy kept
 * aside, and the `team` folder of a served engine's tokens and TLS material): only these are tightened.
 * `--data-dir` may name a folder that holds other things too, which are not the engine's to change.
 */
const ENGINE_ENTRY =
  /^(?:(?:cost-history\.jsonl|launch-intents\.jsonl|regions\.json|team\.json|events\.json|keep-warm\.json|timeline\.json|engine\.lock|prices-[a-z0-9-]+\.json)(?:\..+)?|team)$/;

/** Whether a path inside the data folder (relative, any depth) is the engine's own: its first segment is. Pure. */
export function isEngineEntry(rel: string): boolean {
  return ENGINE_ENTRY.test(rel.split(path.sep)[0] ?? '');
}

/**
 * Takes group and other access away from the data folder (and, with `files`, from the engine's files in it): a
 * folder an older version wrote keeps the 0755/0644 modes it was created with (the umask and the lock's mode only
 * apply to new files), so its cost history, team.json and regions.json stayed readable by every local user while a
 * fresh folder is private. Only the engine's own entries are changed, and the folder itself only when it holds
 * nothing else (a folder shared with other files keeps its mode; the engine's files in it are still made private).
 * Symbolic links are left alone (their target is not the engine's). Synchronous, like the lock it follows.
 */
export function tightenDataDir(dir: string, opts: { files: boolean }): TightenReport {
  const report: TightenReport = { dir, tightened: [], failed: [] };
  const tighten = (rel: string) => {
    const full = path.join(dir, rel);
    try {
      const st = lstatSync(full);
      const mode = st.isSymbolicLink() ? null : privateMode(st.mode);
      if (mode === null) return;
      chmodSync(full, mode);
      report.tightened.push(rel);
    } catch (e) {
      report.failed.push({ path: rel, error: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
  };
  // One listing, the whole tree: its top level says whether the folder holds anything not the engine's.
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (e) {
    report.failed.push({ path: '.', error: (e as NodeJS.ErrnoException).code ?? String(e) });
    return report;
  }
  if (entries.filter((rel) => !rel.includes(path.sep)).every(isEngineEntry)) tighten('.');
  if (!opts.files) return report;
  for (const rel of entries.filter(isEngineEntry).sort()) tighten(rel);
  return report;
}

/** What a start says of `tightenDataDir`'s report (nothing when the folder was already private). */
export function tightenedText(r: TightenReport): { level: 'info' | 'warning'; message: string }[] {
  const lines: { level: 'info' | 'warning'; message: string }[] = [];
  const names = (paths: string[]) => {
    const shown = paths.slice(0, 4).join(', ');
    return paths.length > 4 ? `${shown} and ${paths.length - 4} more` : shown;
  };
  if (r.tightened.length) {
    const files = r.tightened.filter((p) => p !== '.');
    const folder = r.tightened.includes('.');
    const many = files.length === 1 ? 'a file' : `${files.length} files`;
    const what = [
      ...(folder ? [`the data folder ${r.dir}`] : []),
      ...(files.length ? [`${many} in ${folder ? 'it' : r.dir} (${names(files)})`] : []),
    ].join(' and ');
    lines.push({
      level: 'info',
      message:
        `${what} could be read by other users (left so by an older version): now only this user has access ` +
        '(folders 0700, files 0600)',
    });
  }
  if (r.failed.length)
    lines.push({
      level: 'warning',
      message:
        `other users may still read ${names(r.failed.map((f) => `${f.path} (${f.error})`))} in the data folder ` +
        `${r.dir}: the engine could not change their modes; run chmod -R go-rwx ${r.dir}`,
    });
  return lines;
}
