/**
 * Team tokens: one per person, with a role. The token is shown once when issued; the file keeps only its SHA-256
 * (a 32-byte random token needs no slow hash: there is nothing to guess), compared in constant time. The file is
 * written with 0600 permissions, atomically (a crash mid-write leaves the old file). The serving engine re-reads
 * it when it changes, so `token revoke` from another shell takes effect at once.
 */
import { errorText } from '../../../shared/error-text.js';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TeamRoleSchema } from '../../../shared/domain.js';
import type { Role } from '../../../shared/ipc/roles.js';
import { writeFileDurablySync } from '../durable-file.js';

/** What tokens look like: a prefix (so a leaked one is recognisable in a scanner) and 32 random bytes. */
export const TOKEN_PREFIX = 'cta_';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const TokenRecordSchema = z.object({
  name: z.string().regex(NAME_PATTERN),
  role: TeamRoleSchema,
  /** sha256 of the token, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.number(),
});
export type TokenRecord = z.infer<typeof TokenRecordSchema>;

const TokenFileSchema = z.object({ version: z.literal(1), tokens: z.array(TokenRecordSchema) });

export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenFilePath(dataDir: string): string {
  return path.join(dataDir, 'team', 'tokens.json');
}

export class TokenStore {
  constructor(readonly file: string) {}

  /** Every token record (no secrets in them). A missing file is an empty list. */
  list(): TokenRecord[] {
    if (!existsSync(this.file)) return [];
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      throw new TokenFileError(
        `The token file ${this.file} cannot be read (${errorText(e)}); fix or remove it and issue the tokens again.`,
      );
    }
    const parsed = TokenFileSchema.safeParse(json);
    if (!parsed.success)
      throw new TokenFileError(
        `The token file ${this.file} is not in the expected format; fix or remove it and issue the tokens again.`,
      );
    return parsed.data.tokens;
  }

  /** A new token for `name`; returned once, never stored. Refused when the name already has one. */
  issue(name: string, role: Role, now = Date.now()): { token: string; record: TokenRecord } {
    if (!NAME_PATTERN.test(name))
      throw new TokenFileError(
        `'${name}' is not a usable name: letters, digits, '.', '_', '@' and '-' only, at most 64 characters.`,
      );
    const tokens = this.list();
    if (tokens.some((t) => t.name === name))
      throw new TokenFileError(`${name} already has a token: revoke it first ('token revoke ${name}').`);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const record: TokenRecord = { name, role, sha256: hashToken(token), createdAt: now };
    this.write([...tokens, record]);
    return { token, record };
  }

  /** True when a token was removed. */
  revoke(name: string): boolean {
    const tokens = this.list();
    const kept = tokens.filter((t) => t.name !== name);
    if (kept.length === tokens.length) return false;
    this.write(kept);
    return true;
  }

  private write(tokens: TokenRecord[]): void {
    const text = `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`;
    writeFileDurablySync(this.file, text, { mode: 0o600, dirMode: 0o700 });
  }
}

/** The record a presented token belongs to, or null. Every record is compared, each in constant time. */
export function findToken(records: readonly TokenRecord[], presented: string): TokenRecord | null {
  const given = Buffer.from(hashToken(presented), 'hex');
  let found: TokenRecord | null = null;
  for (const r of records) {
    if (timingSafeEqual(given, Buffer.from(r.sha256, 'hex'))) found = r;
  }
  return found;
}
