import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurably, writeFileDurablySync } from '../../electron/engine/durable-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cta-durable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writers = [
  ['async', (f: string, t: string, o?: { mode?: number; dirMode?: number }) => writeFileDurably(f, t, o)],
  ['sync', async (f: string, t: string, o?: { mode?: number; dirMode?: number }) => writeFileDurablySync(f, t, o)],
] as const;

describe.each(writers)('durable whole-file write (%s)', (_name, write) => {
  it('creates missing folders, replaces the old text and leaves no temporary file', async () => {
    const file = path.join(dir, 'a', 'b', 'state.json');
    await write(file, 'old');
    await write(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(path.dirname(file))).toEqual(['state.json']);
  });

  it('gives the file the requested mode even over a stale temporary file with another mode', async () => {
    const file = path.join(dir, 'tokens.json');
    writeFileSync(`${file}.${process.pid}.tmp`, 'stale', { mode: 0o644 });
    await write(file, 'secret', { mode: 0o600, dirMode: 0o700 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('secret');
  });

  it('keeps the old file and removes the temporary one when the rename fails', async () => {
    const target = path.join(dir, 'taken');
    mkdirSync(path.join(target, 'inside'), { recursive: true }); // a non-empty folder cannot be renamed over
    await expect(write(target, 'x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(statSync(target).isDirectory()).toBe(true);
  });
});
