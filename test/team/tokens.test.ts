/** Team tokens: shown once, stored as hashes in a 0600 file, revocable; the CLI around them. */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTokenArgs, runTokenCommand } from '../../electron/engine/cli/token-cmd.js';
import { findToken, hashToken, TokenStore, tokenFilePath } from '../../electron/engine/team/tokens.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'team-tokens-'));

describe('TokenStore', () => {
  it('stores no plaintext token, only its sha256, in a file only the owner can read', () => {
    const store = new TokenStore(tokenFilePath(dir()));
    const { token } = store.issue('alice', 'operator', 1000);
    expect(token).toMatch(/^cta_[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(store.file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(4));
    expect(text).toContain(hashToken(token));
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(store.list()).toEqual([{ name: 'alice', role: 'operator', sha256: hashToken(token), createdAt: 1000 }]);
  });

  it('finds the record of a token, not of a wrong one; revoking removes it', () => {
    const store = new TokenStore(tokenFilePath(dir()));
    const a = store.issue('alice', 'admin').token;
    const b = store.issue('bob', 'viewer').token;
    expect(findToken(store.list(), a)?.name).toBe('alice');
    expect(findToken(store.list(), b)?.role).toBe('viewer');
    expect(findToken(store.list(), `${a}x`)).toBeNull();
    expect(store.revoke('alice')).toBe(true);
    expect(findToken(store.list(), a)).toBeNull();
    expect(store.revoke('alice')).toBe(false);
  });

  it('refuses a second token for the same name and unusable names', () => {
    const store = new TokenStore(tokenFilePath(dir()));
    store.issue('alice', 'viewer');
    expect(() => store.issue('alice', 'admin')).toThrow(/already has a token: revoke it first/);
    expect(() => store.issue('a b', 'admin')).toThrow(/not a usable name/);
  });

  it('says how to recover from a damaged file', () => {
    const store = new TokenStore(path.join(dir(), 'nope', '..', 'tokens.json'));
    store.issue('x', 'viewer');
    writeFileSync(store.file, '{not json');
    expect(() => store.list()).toThrow(/cannot be read.*issue the tokens again/);
  });
});

describe('token command', () => {
  it.each([
    [['token', 'issue', '--name', 'al', '--role', 'operator'], { action: 'issue', name: 'al', role: 'operator' }],
    [['--config', 'c.yaml', 'token', 'list'], { action: 'list' }],
    [['token', 'revoke', 'al'], { action: 'revoke', name: 'al' }],
    [['token', '--help'], { action: 'help' }],
    [['token', 'issue', '-h'], { action: 'help' }],
  ])('parses %j', (argv, expected) => {
    expect(parseTokenArgs(argv)).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    [['token', 'issue', '--name', 'al'], /needs --role/],
    [['token', 'issue', '--name', 'al', '--role', 'root'], /unknown role 'root'/],
    [['token', 'revoke'], /needs the NAME/],
    [['token', 'frobnicate'], /unknown token command/],
  ])('refuses %j', (argv, message) => {
    const r = parseTokenArgs(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('--help prints the usage and exits 0, creating no token file', () => {
    const d = dir();
    const lines: string[] = [];
    expect(runTokenCommand(['token', '--help'], d, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/^Usage: npm run headless -- \[--data-dir DIR\] token issue/);
    expect(existsSync(tokenFilePath(d))).toBe(false);
  });

  it('prints the token once, lists without it, revokes', () => {
    const d = dir();
    const lines: string[] = [];
    expect(runTokenCommand(['token', 'issue', '--name', 'carol', '--role', 'admin'], d, (l) => lines.push(l))).toBe(0);
    const token = lines.map((l) => l.trim()).find((l) => l.startsWith('cta_'))!;
    expect(token).toBeTruthy();
    lines.length = 0;
    expect(runTokenCommand(['token', 'list'], d, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/carol\s+admin/);
    expect(lines.join('\n')).not.toContain(token);
    expect(runTokenCommand(['token', 'revoke', 'carol'], d, (l) => lines.push(l))).toBe(0);
    expect(runTokenCommand(['token', 'revoke', 'carol'], d, (l) => lines.push(l))).toBe(1);
  });
});
