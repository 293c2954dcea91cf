/** Finds the built renderer and builds it when it is missing (the preview and the e2e tests need it). */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/**
 * `out/renderer`, built with `npx electron-vite build` when its index.html is missing or, with `rebuildIfStale`,
 * older than any file under renderer/ or shared/ (so a test never runs against yesterday's UI).
 */
export function ensureRendererBuilt(
  root: string,
  log: (line: string) => void = () => undefined,
  opts: { rebuildIfStale?: boolean } = {},
): string {
  const outDir = path.join(root, 'out', 'renderer');
  const index = path.join(outDir, 'index.html');
  let reason: string | null = null;
  if (!existsSync(index)) reason = 'out/renderer is missing';
  else if (opts.rebuildIfStale) {
    const built = statSync(index).mtimeMs;
    const sources = Math.max(newestMtime(path.join(root, 'renderer')), newestMtime(path.join(root, 'shared')));
    if (sources > built) reason = 'renderer/ or shared/ changed since out/renderer was built';
  }
  if (reason) {
    log(`${reason}: running npx electron-vite build …`);
    const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit', shell: false });
    if (r.status !== 0 || !existsSync(index))
      throw new Error(
        `Building the renderer failed (npx electron-vite build exited with ${r.status ?? r.signal}). Run it by hand to see why.`,
      );
  }
  return outDir;
}
