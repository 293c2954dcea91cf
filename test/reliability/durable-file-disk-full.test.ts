// A whole-file write on a full disk: the temporary file it wrote part of must go, or it keeps the space it took
// (the disk stays full, and the launch journal, which needs a few hundred bytes, stays unwritable) and, named per
// process, such files pile up in the data folder across restarts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** Bytes the disk has left for the next temporary file; null: as much as asked. */
const disk = { left: null as number | null };

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

// Writes to a temporary file land up to `disk.left` bytes, then fail as a full disk does.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const h = await real.open(...args);
    if (!String(args[0]).endsWith('.tmp')) return h;
    return new Proxy(h, {
      get(target, prop, recv) {
        if (prop === 'writeFile')
          return async (text: string) => {
            if (disk.left === null || Buffer.byteLength(text) <= disk.left) return target.writeFile(text);
            await target.writeFile(text.slice(0, disk.left));
            throw enospc();
          };
        const v: unknown = Reflect.get(target, prop, recv);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeSync = (fd: number, text: string) => {
    if (disk.left === null || Buffer.byteLength(text) <= disk.left) return real.writeSync(fd, text);
    real.writeSync(fd, text.slice(0, disk.left));
    throw enospc();
  };
  return { ...real, writeSync, default: { ...real, writeSync } };
});

const { writeFileDurably, writeFileDurablySync } = await import('../../electron/engine/durable-file.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cta-durable-full-'));
  disk.left = null;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['async', (f: string, t: string) => writeFileDurably(f, t)],
  ['sync', async (f: string, t: string) => writeFileDurablySync(f, t)],
] as const)('durable whole-file write on a full disk (%s)', (_name, write) => {
  it('keeps the old file whole and gives back the space the part-written temporary file took', async () => {
    const file = path.join(dir, 'timeline.json');
    writeFileSync(file, 'old');
    disk.left = 4096;
    await expect(write(file, 'x'.repeat(100_000))).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['timeline.json']);
    // With space again, the next write goes through.
    disk.left = null;
    await write(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['timeline.json']);
  });
});
