import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, repoRoot, STALE_LOCK_MS } from '../../electron/engine/preview/build.js';
import { fakeRendererBuild, tempDir } from '../fixtures/index.js';

// The renderer build behind the preview and the browser tests: test files run in parallel processes, and on a fresh
// clone each finds out/renderer missing at once.
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function freshRoot(): string {
  const root = tempDir('cta-build-');
  roots.push(root);
  mkdirSync(path.join(root, 'renderer'));
  mkdirSync(path.join(root, 'shared'));
  return root;
}

const builds = (root: string) =>
  existsSync(path.join(root, 'builds.log'))
    ? readFileSync(path.join(root, 'builds.log'), 'utf8').split('\n').length - 1
    : 0;

/** Runs ensureRendererBuilt in a process of its own, with a 700 ms fake build. */
function inChild(root: string): Promise<number | null> {
  const script = path.join(root, 'child.mts');
  const from = (file: string) => JSON.stringify(path.join(repoRoot(), file));
  writeFileSync(
    script,
    [
      `import { ensureRendererBuilt } from ${from('electron/engine/preview/build.ts')};`,
      `import { fakeRendererBuild } from ${from('test/fixtures/index.ts')};`,
      `ensureRendererBuilt(process.argv[2], () => undefined, { build: fakeRendererBuild(700) });`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script, root], { cwd: repoRoot(), stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('renderer build for the preview and the browser tests', () => {
  it('two processes that find it missing at once build it once: the second waits and uses the first build', async () => {
    const root = freshRoot();
    const codes = await Promise.all([inChild(root), inChild(root)]);
    expect(codes).toEqual([0, 0]);
    expect(builds(root)).toBe(1);
    expect(existsSync(path.join(root, 'out', '.build.lock'))).toBe(false);
  });

  it('builds when sources are newer than the build, not when the build is current', () => {
    const root = freshRoot();
    ensureRendererBuilt(root, () => undefined, { build: fakeRendererBuild() });
    ensureRendererBuilt(root, () => undefined, { build: fakeRendererBuild(), rebuildIfStale: true });
    expect(builds(root)).toBe(1);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, 'out', 'renderer', 'index.html'), old, old);
    writeFileSync(path.join(root, 'renderer', 'App.tsx'), 'changed');
    const lines: string[] = [];
    ensureRendererBuilt(root, (l) => lines.push(l), { build: fakeRendererBuild(), rebuildIfStale: true });
    expect(builds(root)).toBe(2);
    expect(lines).toEqual([
      'renderer/ or shared/ changed since out/renderer was built: running npx electron-vite build …',
    ]);
  });

  it('takes over a lock left by a process that died mid-build', () => {
    const root = freshRoot();
    const lock = path.join(root, 'out', '.build.lock');
    mkdirSync(lock, { recursive: true });
    const then = new Date(Date.now() - STALE_LOCK_MS - 60_000);
    utimesSync(lock, then, then);
    ensureRendererBuilt(root, () => undefined, { build: fakeRendererBuild() });
    expect(builds(root)).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('a failed build says so and releases the lock, so the next call builds again', () => {
    const root = freshRoot();
    expect(() => ensureRendererBuilt(root, () => undefined, { build: fakeRendererBuild(0, 1) })).toThrow(
      /Building the renderer failed \(npx electron-vite build exited with 1\)/,
    );
    expect(existsSync(path.join(root, 'out', '.build.lock'))).toBe(false);
    ensureRendererBuilt(root, () => undefined, { build: fakeRendererBuild() });
    expect(builds(root)).toBe(2);
  });
});
