/**
 * Where credentials live. The app picks a backend at startup (OS keychain → Electron safeStorage → memory);
 * everything else sees only this interface. Values are write-only from the UI's point of view: the handlers
 * store them and report status, and only the engine wiring ever reads them back.
 */
import { z } from 'zod';
import type { AwsCredentials, ClearmlCredentials, GitCredentials } from '../controller.js';

export type SecretKind = 'clearml' | 'aws' | 'git' | 'team';
export const SECRET_KINDS: readonly SecretKind[] = ['clearml', 'aws', 'git', 'team'];

/** Team mode: the token this app presents to the team engine it is attached to. */
export interface TeamToken {
  token: string;
}

export interface SecretValues {
  clearml: ClearmlCredentials;
  aws: AwsCredentials;
  git: GitCredentials;
  team: TeamToken;
}

export interface StoredSecret<K extends SecretKind = SecretKind> {
  kind: K;
  value: SecretValues[K];
  /** ms epoch when it was stored. */
  setAt: number;
}

export interface SecretStore {
  /** For the status line: "macOS Keychain", "Secret Service (libsecret)", "memory only". */
  readonly backendName: string;
  /** Shown to the user when the backend is a compromise (e.g. memory only); null when all is well. */
  readonly warning: string | null;
  get<K extends SecretKind>(kind: K): Promise<StoredSecret<K> | null>;
  set<K extends SecretKind>(kind: K, value: SecretValues[K]): Promise<void>;
  delete(kind: SecretKind): Promise<void>;
}

export const ClearmlCredentialsSchema = z.object({
  accessKey: z.string().min(1),
  secretKey: z.string().min(1),
});
export const AwsCredentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
});

/** For the agents' private repositories (ClearML's git_user / git_pass). */
export const GitCredentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
});

/** The JSON blob a persistent backend stores per kind: the value plus its metadata. */
export const StoredBlobSchemas = {
  clearml: z.object({ value: ClearmlCredentialsSchema, setAt: z.number() }),
  aws: z.object({ value: AwsCredentialsSchema, setAt: z.number() }),
  git: z.object({ value: GitCredentialsSchema, setAt: z.number() }),
  team: z.object({ value: z.object({ token: z.string().min(1) }), setAt: z.number() }),
} as const;

export function encodeBlob<K extends SecretKind>(value: SecretValues[K], setAt: number): string {
  return JSON.stringify({ value, setAt });
}

/** Parses a stored blob; null when it is unreadable (treated as "not set", never as a crash). */
export function decodeBlob<K extends SecretKind>(kind: K, text: string): StoredSecret<K> | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const r = StoredBlobSchemas[kind].safeParse(json);
  if (!r.success) return null;
  return { kind, value: r.data.value as SecretValues[K], setAt: r.data.setAt };
}

export class MemorySecretStore implements SecretStore {
  readonly backendName: string;
  readonly warning: string | null;
  private readonly items = new Map<SecretKind, StoredSecret>();
  private readonly now: () => number;

  constructor(opts: { backendName?: string; warning?: string | null; now?: () => number } = {}) {
    this.backendName = opts.backendName ?? 'memory only';
    this.warning = opts.warning ?? null;
    this.now = opts.now ?? Date.now;
  }

  async get<K extends SecretKind>(kind: K): Promise<StoredSecret<K> | null> {
    const item = this.items.get(kind);
    return item ? ({ ...item, value: { ...item.value } } as StoredSecret<K>) : null;
  }

  async set<K extends SecretKind>(kind: K, value: SecretValues[K]): Promise<void> {
    this.items.set(kind, { kind, value: { ...value }, setAt: this.now() });
  }

  async delete(kind: SecretKind): Promise<void> {
    this.items.delete(kind);
  }
}

/** Every secret string currently stored: the dispatcher masks these exact values in any error message. */
export async function storedSecretStrings(store: SecretStore): Promise<string[]> {
  const out: string[] = [];
  for (const kind of SECRET_KINDS) {
    const s = await store.get(kind);
    if (!s) continue;
    for (const v of Object.values(s.value)) if (typeof v === 'string' && v.length > 0) out.push(v);
  }
  return out;
}
