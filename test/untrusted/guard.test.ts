import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, loadConfigText } from '../../electron/engine/config/index.js';
import { readClearmlConf } from '../../electron/engine/clearml/credentials.js';
import { readBoundedBody, readBoundedFile, readBoundedFileSync } from '../../electron/engine/untrusted/bounded-read.js';
import { CONFIG_TEXT_LIMITS, checkText, describeGuardFailure } from '../../electron/engine/untrusted/text-guard.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cas-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkText', () => {
  it.each([
    ['flow brackets', '['.repeat(1000), 'too-deep'],
    ['flow maps', '{a: '.repeat(200), 'too-deep'],
    ['a chain of complex keys', '? '.repeat(2000) + 'x', 'too-deep'],
    ['a chain of sequence dashes', '- '.repeat(2000) + 'x', 'too-deep'],
    ['indentation', Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'), 'too-deep'],
    ['many keys in one map', Array.from({ length: 9000 }, (_, i) => `k${i}: v`).join('\n'), 'too-many-entries'],
    ['a long flat list', `[${'1,'.repeat(9000)}1]`, 'too-many-entries'],
    ['a megabyte', 'a: ' + 'x'.repeat(1024 * 1024), 'too-large'],
  ])('%s is refused before parsing', (_name, text, code) => {
    expect(checkText(text, CONFIG_TEXT_LIMITS, 'yaml')?.code).toBe(code);
  });

  it('a real config passes, brackets in an init script included', () => {
    const text = [
      'agent:',
      '  initScript: |',
      '    if [[ -f /x ]]; then echo "${arr[0]}"; fi',
      '    echo "{}"',
      'queues: { gpu: [ { resource: gpu, maxInstances: 2 } ] }',
    ].join('\n');
    expect(checkText(text, CONFIG_TEXT_LIMITS, 'yaml')).toBeNull();
  });

  it.each([
    ['a bash script in a block scalar', `x: |\n  echo '${'['.repeat(70)}'\n  echo ${'{'.repeat(70)}\ny: 1\n`],
    ['a double-quoted string', `x: "${'['.repeat(100)}"\n`],
    ['a single-quoted string in a flow map', `x: {a: '${'{'.repeat(100)}'}\n`],
    ['a plain scalar', `x: echo ${'['.repeat(100)}\n`],
    ['a comment', `# ${'['.repeat(100)}\nx: 1\n`],
    ['9000 commas in a folded block', `x: >\n  ${'a,'.repeat(9000)}\n`],
    ['an unterminated string (the parser reads it to the end, as text)', `x: "${'['.repeat(100)}\n`],
  ])('brackets and commas that are text, not structure, pass: %s', (_name, text) => {
    expect(checkText(text, CONFIG_TEXT_LIMITS, 'yaml')).toBeNull();
  });

  it.each([
    ['flow brackets after a block scalar', `x: |\n  [[\ny: ${'['.repeat(100)}`],
    ['flow brackets inside a flow map, beside quoted text', `x: {a: "[[[", b: ${'['.repeat(100)}`],
    ['many commas in a flow list after a quoted one', `x: ["a,b", ${'1,'.repeat(9000)}1]`],
  ])('structure is still counted: %s', (_name, text) => {
    expect(checkText(text, CONFIG_TEXT_LIMITS, 'yaml')).not.toBeNull();
  });

  it('says what is wrong and where', () => {
    const f = checkText(`a:\n  b: ${'['.repeat(100)}`, CONFIG_TEXT_LIMITS, 'yaml')!;
    expect(describeGuardFailure(f, 'the file')).toMatch(
      /^the file is nested 65 levels deep near line 2 \(at most 64\)/,
    );
  });
});

describe('loadConfigText on hostile input', () => {
  it('1,000 open brackets, twice: an error message, not a crash', () => {
    for (let i = 0; i < 2; i++) {
      const r = loadConfigText('['.repeat(1000));
      expect(r.config).toBeNull();
      expect(r.issues[0]!.message).toMatch(/nested \d+ levels deep/);
    }
  });

  it('a 1 MB [[[… is refused at once', () => {
    const r = loadConfigText('['.repeat(1_000_000));
    expect(r.issues[0]!.message).toMatch(/more than a config can be/);
  });

  it('duplicate keys are still refused, with the line', () => {
    const r = loadConfigText('version: 1\naws: {}\nversion: 1\n');
    expect(r.issues[0]!.message).toMatch(/line 3.*'version' repeats/);
  });
});

describe('clearml.conf on hostile input', () => {
  it('deep nesting is a clear error, not a stack overflow', () => {
    expect(() => readClearmlConf('a '.repeat(1) + '{'.repeat(100_000))).toThrow(/nested \d+ levels deep/);
  });
});

describe('readBoundedBody', () => {
  /** A reply streaming `chunks` chunks of `size` bytes; counts how many were pulled. */
  function streamed(chunks: number, size: number, headers: Record<string, string> = {}) {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled === chunks) return c.close();
        pulled += 1;
        c.enqueue(new Uint8Array(size).fill(0x61));
      },
    });
    return { res: new Response(body, { headers }), pulled: () => pulled };
  }

  it.each([
    ['within the bound', 3, 10, 40, 'a'.repeat(30)],
    ['exactly at the bound', 4, 10, 40, 'a'.repeat(40)],
    ['one chunk past the bound', 5, 10, 40, null],
  ])('%s', async (_, chunks, size, max, want) => {
    expect(await readBoundedBody(streamed(chunks, size).res, max)).toBe(want);
  });

  it('stops reading as soon as the bound is passed, on an endless reply', async () => {
    const r = streamed(Infinity, 1000);
    expect(await readBoundedBody(r.res, 10_000)).toBeNull();
    expect(r.pulled()).toBeLessThanOrEqual(13);
  });

  it('refuses a declared length past the bound without reading the body', async () => {
    const r = streamed(Infinity, 1000, { 'content-length': '100000' });
    expect(await readBoundedBody(r.res, 10_000)).toBeNull();
    expect(r.pulled()).toBeLessThanOrEqual(1);
  });

  it('reads UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('queue "é…ü"');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    expect(await readBoundedBody(new Response(body), 100)).toBe('queue "é…ü"');
  });
});

describe('readBoundedFile', () => {
  it('/dev/zero is refused without reading it', async () => {
    await expect(loadConfigFile('/dev/zero')).rejects.toThrow(/not a regular file/);
    expect(readBoundedFileSync('/dev/zero', 10)).toEqual({ ok: false, code: 'not-a-file', size: 0 });
  });

  it('a FIFO with no writer does not hang', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(loadConfigFile(fifo)).rejects.toThrow(/not a regular file/);
    expect(readBoundedFileSync(fifo, 10).ok).toBe(false);
  });

  it('reads at most the limit plus one byte', async () => {
    const p = path.join(dir, 'eleven');
    writeFileSync(p, 'x'.repeat(11));
    expect(await readBoundedFile(p, 10)).toEqual({ ok: false, code: 'too-large', size: 11 });
    const ok = await readBoundedFile(p, 11);
    expect(ok.ok && ok.bytes.toString()).toBe('x'.repeat(11));
  });
});
