import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { PortInUseError, startPreviewServer } from '../../electron/engine/preview/server.js';
import { createRunTempDir } from '../../electron/engine/temp-dir.js';
import { parseConfig } from '../../shared/config.js';
import { emptySnapshot, type Snapshot } from '../../shared/domain.js';

describe('a port in use', () => {
  it('is a PortInUseError that says what to do, not a raw EADDRINUSE', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const store = createStore<Snapshot>(() => emptySnapshot());
      const started = startPreviewServer({
        dispatch: async () => ({ ok: true, value: null }),
        store,
        staticDir: '.',
        port,
      });
      await expect(started).rejects.toBeInstanceOf(PortInUseError);
      await expect(started).rejects.toThrow(`Port ${port} on 127.0.0.1 is already in use`);
      await expect(started).rejects.toThrow(/choose another port with --port/);
    } finally {
      blocker.close();
    }
  });
});

describe('run temp folders', () => {
  it('remove() deletes the folder and what is in it', () => {
    const dir = createRunTempDir('cas-run-test-');
    writeFileSync(path.join(dir.path, 'settings.json'), '{}');
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
    dir.remove();
  });

  it('a process that exits without cleaning up still leaves nothing behind', () => {
    const script = `
      const { createRunTempDir } = await import(${JSON.stringify(path.resolve('electron/engine/temp-dir.ts'))});
      const d = createRunTempDir('cas-run-exit-');
      console.log(d.path);
      process.exit(3);
    `;
    let out = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    const dir = out.trim();
    expect(dir).toMatch(/cas-run-exit-/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('reserved tag keys', () => {
  const base = {
    clearml: { apiHost: 'https://api.clear.ml' },
    aws: { region: 'us-east-1' },
    queues: { q: [{ resource: 'r', maxInstances: 1 }] },
  };
  const withTags = (tags: Record<string, string>) => ({
    ...base,
    resources: { r: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0', tags } },
  });

  it.each(['clearml-autoscaler:queue', 'Clearml-Autoscaler:lease-until', 'clearml-autoscaler:mine'])(
    '%s is refused with a message naming the prefix',
    (key) => {
      const r = parseConfig(withTags({ [key]: 'x' }));
      expect(r.ok).toBe(false);
      expect(!r.ok && r.issues).toEqual([
        {
          path: 'resources.r.tags',
          message: expect.stringMatching(/'clearml-autoscaler:' are reserved for the autoscaler's own tags/) as unknown,
        },
      ]);
    },
  );

  it('other tags, including ones that merely mention the name, are fine', () => {
    expect(parseConfig(withTags({ team: 'ml', 'clearml-autoscaler': 'x', 'my:clearml-autoscaler:x': 'y' })).ok).toBe(
      true,
    );
  });
});
