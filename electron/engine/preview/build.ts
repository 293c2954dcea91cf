/** Finds the built renderer and builds it when it is missing (the preview and the e2e tests need it). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A build lock older than this was left by a process that died mid-build: the next one takes it over. */
export const STALE_LOCK_MS = 5 * 60_000;
/** How long a process waits for another's build before it gives up. */
const LOCK_WAIT_MS = 10 * 60_000;

export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function whyBuild(root: string, index: string, rebuildIfStale: boolean): string | null {
  if (!existsSync(index)) return 'out/renderer is missing';
  if (!rebuildIfStale) return null;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(newestMtime(path.join(root, 'renderer')), newestMtime(path.join(root, 'shared')));
  return sources > built ? 'renderer/ or shared/ changed since out/renderer was built' : null;
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (the build is synchronous: a lock waiter has nothing else to do). */
export const sleepSync = (ms: number): void => void Atomics.wait(pause, 0, 0, ms);

/**
 * Runs `fn` holding `out/.build.lock` (a directory: creating one is atomic). Test files run in parallel processes,
 * and each may find the renderer missing or stale at once: without the lock two builds empty and refill `out/`
 * together and one of them reads it half-written.
 */
function withBuildLock<T>(root: string, fn: () => T): T {
  const lock = path.join(root, 'out', '.build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const giveUpAt = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let age = 0;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released between the two calls
    }
    if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > giveUpAt)
      throw new Error(`Another build has held ${lock} for ${Math.round(age / 1000)} s; remove it if no build runs.`);
    else sleepSync(200);
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function electronViteBuild(root: string): number | string | null {
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: false });
  return r.status ?? r.signal;
}

/**
 * `out/renderer`, built with `npx electron-vite build` when its index.html is missing or, with `rebuildIfStale`,
 * older than any file under renderer/ or shared/ (so a test never runs against yesterday's UI). Safe to call from
 * parallel processes: one builds, the others wait for it and use its build.
 */
export function ensureRendererBuilt(
  root: string,
  log: (line: string) => void = () => undefined,
  opts: { rebuildIfStale?: boolean; build?: (root: string) => number | string | null } = {},
): string {
  const outDir = path.join(root, 'out', 'renderer');
  const index = path.join(outDir, 'index.html');
  const stale = !!opts.rebuildIfStale;
  if (!whyBuild(root, index, stale)) return outDir;
  withBuildLock(root, () => {
    // Asked again under the lock: another process may have built it meanwhile.
    const reason = whyBuild(root, index, stale);
    if (!reason) return;
    log(`${reason}: running npx electron-vite build …`);
    const status = (opts.build ?? electronViteBuild)(root);
    if (status !== 0 || !existsSync(index))
      throw new Error(
        `Building the renderer failed (npx electron-vite build exited with ${status}). Run it by hand to see why.`,
      );
  });
  return outDir;
}
