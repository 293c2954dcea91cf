// Quoting is proven by bash itself: each quoted value is printed back by a real shell and must come out
// byte-identical, with nothing executed along the way.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { expandingHeredoc, literalHeredoc, shellQuote } from '../../electron/engine/userdata/shellQuote.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'cas-quote-'));
const pwned = path.join(dir, 'pwned');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hostile = [
  "'; rm -rf /",
  `'; touch ${pwned}; '`,
  `$(touch ${pwned})`,
  `\`touch ${pwned}\``,
  '${HOME} $HOME $((1+1)) !! !$',
  'a\nb\n\nc',
  '"double" \\back\\slash\\',
  "it's 'quoted' ''",
  "'",
  '',
  '* ? [a-z] ~ # ; & | < > ( ) { }',
  'ünïcødé ✓ 日本',
  '\t tab and trailing space ',
  `EOF\n$(touch ${pwned})\nEOF`,
];

describe('shellQuote', () => {
  it.each(hostile.map((v) => [JSON.stringify(v), v]))('%s survives bash unchanged', async (_label, value) => {
    const { stdout } = await run('bash', ['-c', `printf '%s' ${shellQuote(value)}`]);
    expect(stdout).toBe(value);
    expect(existsSync(pwned)).toBe(false);
  });

  it('quotes as one word even in an assignment and an argument list', async () => {
    const v = "a b'c $(id)";
    const { stdout } = await run('bash', [
      '-c',
      `X=${shellQuote(v)}; set -- ${shellQuote(v)} z; printf '%s|' "$X" "$#" "$1"`,
    ]);
    expect(stdout).toBe(`${v}|2|${v}|`);
  });

  it('is the plain single-quoted form for plain values (what the marker parser expects)', () => {
    expect(shellQuote('dynamic_aws:gpu_t4:g4dn.xlarge')).toBe("'dynamic_aws:gpu_t4:g4dn.xlarge'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('literalHeredoc', () => {
  it.each(hostile.map((v) => [JSON.stringify(v), v]))('%s is written verbatim', async (_label, body) => {
    const doc = literalHeredoc('cat', 'EOF', body);
    const { stdout } = await run('bash', ['-c', doc]);
    expect(stdout).toBe(body === '' || body.endsWith('\n') ? body : `${body}\n`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('picks another delimiter when the body contains a line equal to it', () => {
    const doc = literalHeredoc('cat', 'EOF', 'x\nEOF\nEOF_1\ny');
    expect(doc.split('\n')[0]).toBe("cat <<'EOF_2'");
    expect(doc.endsWith('\nEOF_2\n')).toBe(true);
  });
});

describe('expandingHeredoc', () => {
  // bash reads backslash-newline in an expanding document as a line continuation: a last line ending in one would
  // swallow the delimiter and every command after it.
  it.each([
    ['one trailing backslash', 'a: 1\n# C:\\temp\\', 'a: 1\n# C:\\temp\n'],
    ['a trailing backslash and a newline', 'x\\\n', 'x\n'],
    ['three trailing backslashes', 'x\\\\\\', 'x\\\n'],
    ['two trailing backslashes (an escaped one)', 'x\\\\', 'x\\\n'],
    ['only a backslash', '\\', '\n'],
  ])('%s: the document ends where it should, as ClearML writes it', async (_label, body, expected) => {
    const doc = expandingHeredoc('cat', 'EOF', body);
    const { stdout, stderr } = await run('bash', ['-c', `${doc}echo after`]);
    expect(stderr).toBe('');
    expect(stdout).toBe(`${expected}after\n`);
  });
});
