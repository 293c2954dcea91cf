// Checklist #4: a sandboxed renderer can load only a CommonJS preload that requires nothing but `electron`.
// This reads the real build output; it builds first when the output is missing or older than the sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bundle = path.join(root, 'out/preload/index.cjs');

function newestSource(): number {
  let newest = 0;
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const full = path.join(p, name);
      if (statSync(full).isDirectory()) walk(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(root, 'electron/preload'));
  walk(path.join(root, 'shared/ipc'));
  return newest;
}

beforeAll(() => {
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource()) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: root,
      stdio: 'pipe',
    });
  }
}, 240_000);

describe('built preload (out/preload/index.cjs)', () => {
  it('is CommonJS and requires only electron', () => {
    const text = readFileSync(bundle, 'utf8');
    const requires = [...text.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
    expect(requires.length).toBeGreaterThan(0);
    expect([...new Set(requires)]).toEqual(['electron']);
    expect(text).not.toMatch(/^\s*import\s.+from\s/m);
    expect(text).not.toMatch(/\bexport\s+(const|function|default|\{)/);
  });

  it('exposes the API through contextBridge and carries every channel name', () => {
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('exposeInMainWorld');
    for (const ch of ['autoscaler:state.getSnapshot', 'autoscaler:credentials.set', 'autoscaler:state.changed'])
      expect(text).toContain(ch);
  });

  it('does not bundle zod (the preload imports channel names only)', () => {
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/ZodError|safeParse/);
  });

  it('the main bundle points at this preload file', () => {
    const main = readFileSync(path.join(root, 'out/main/index.js'), 'utf8');
    expect(main).toContain('../preload/index.cjs');
  });
});
