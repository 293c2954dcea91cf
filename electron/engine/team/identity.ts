/**
 * This engine's identity (stable per install: an id kept in the data folder, the host name for display) and the
 * user's team decision in detection mode (`team.json` in the data folder, so a restart keeps it). Without a data
 * folder both live in memory for the process.
 *
 * A `team.json` that exists but cannot be read (emptied or zeroed by a power cut) is kept as `team.json.corrupt`.
 * The id is then taken back from what is legible in it, or else from this folder's launch journal, whose intents
 * carry the stamp this engine put on its launches (only a stamp of this host: a folder copied to another machine
 * must not take the original's id). Without that the engine gets a new id, and its instances stamped with the old
 * one look like another engine's until their stamps age out: the notice and the conflict message say so.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TeamDecisionSchema } from '../../../shared/team.js';
import { parseStamp, type StoredDecision } from './detection.js';
import { writeFileDurably } from '../durable-file.js';
import { JOURNAL_FILE, parseJournal } from '../reliability/intent-journal.js';

export const TEAM_FILE = 'team.json';

export interface EngineIdentity {
  engineId: string;
  host: string;
}

const ENGINE_ID = /^eng-[0-9a-f]{12}$/;

const TeamFileSchema = z.object({
  v: z.literal(1),
  engineId: z.string().regex(ENGINE_ID),
  decision: z
    .object({ decision: TeamDecisionSchema, engines: z.array(z.string()).nullable(), at: z.number() })
    .nullable()
    .default(null),
});

/** How this start's identity differs from the last run's, when `team.json` did not give it. */
export interface IdentityReset {
  cause: 'unreadable' | 'missing';
  /** Where the previous id was found again (then nothing changed for the engine), or null: the id is new. */
  recoveredFrom: 'damaged-file' | 'launch-journal' | null;
}

export interface TeamState {
  readonly identity: EngineIdentity;
  /** Set when `team.json` did not give the id at this start although an earlier run had one. */
  readonly reset?: IdentityReset | null;
  /** What to tell the user once about `team.json` at this start (the first caller takes it), or null. */
  takeNotice?(): string | null;
  decision(): StoredDecision | null;
  /** Durable when it resolves (without a data folder: for this process). */
  setDecision(d: StoredDecision | null): Promise<void>;
}

const newEngineId = () => `eng-${randomBytes(6).toString('hex')}`;
const shortHost = () => (hostname().split('.')[0] || 'unknown-host').replace(/\s+/g, '-').slice(0, 64);

export function memoryTeamState(identity: Partial<EngineIdentity> = {}): TeamState {
  let decision: StoredDecision | null = null;
  return {
    identity: { engineId: identity.engineId ?? newEngineId(), host: identity.host ?? shortHost() },
    decision: () => decision,
    setDecision(d) {
      decision = d;
      return Promise.resolve();
    },
  };
}

/**
 * The previous engine id, from what a damaged `team.json` still shows, or else from the stamps of this folder's
 * launch journal put there by this host (the latest one). Pure: the caller reads the files.
 */
export function previousEngineId(
  damaged: string | null,
  journal: string | null,
  host: string,
): { engineId: string; from: 'damaged-file' | 'launch-journal' } | null {
  const inFile = /"engineId"\s*:\s*"(eng-[0-9a-f]{12})"/.exec(damaged ?? '')?.[1];
  if (inFile) return { engineId: inFile, from: 'damaged-file' };
  let latest: { engineId: string; at: number } | null = null;
  for (const { intent } of parseJournal(journal ?? '').entries) {
    const s = intent.stamp === undefined ? null : parseStamp(intent.stamp);
    if (!s || s.host !== host || !ENGINE_ID.test(s.engineId)) continue;
    if (!latest || s.at >= latest.at) latest = s;
  }
  return latest ? { engineId: latest.engineId, from: 'launch-journal' } : null;
}

function resetNotice(file: string, reset: IdentityReset, engineId: string, problem: string): string {
  const kept = reset.cause === 'unreadable' ? `; it was kept as ${path.basename(file)}.corrupt` : '';
  const what = reset.cause === 'unreadable' ? `${file} could not be read (${problem})${kept}` : `${file} was missing`;
  if (reset.recoveredFrom)
    return (
      `${what}: this engine keeps its id ${engineId}, found in ` +
      `${reset.recoveredFrom === 'damaged-file' ? 'the damaged file' : 'its launch journal'}; ` +
      'a team decision it held is gone and is asked again if another engine shows up'
    );
  return (
    `${what}: this engine has a new id, ${engineId}. Instances it launched under its old id may be taken for ` +
    `another engine's on this host until their stamps are older than lease.leaseMin; if no other autoscaler ` +
    `runs here on this workers prefix, answer "this engine acts"`
  );
}

/** Reads (or creates) `team.json` in `dir`; see the top of this file for a file that cannot be read. */
export async function openTeamState(dir: string, host: string = shortHost()): Promise<TeamState> {
  const file = path.join(dir, TEAM_FILE);
  let parsed: z.infer<typeof TeamFileSchema> | null = null;
  let raw: string | null = null;
  let problem = 'missing';
  try {
    raw = await readFile(file, 'utf8');
    const r = TeamFileSchema.safeParse(JSON.parse(raw));
    if (r.success) parsed = r.data;
    else problem = r.error.issues[0]?.message ?? 'unexpected content';
  } catch (e) {
    if (raw !== null) problem = !raw.trim() ? 'empty' : /^\0+$/.test(raw) ? 'zero bytes' : 'not valid JSON';
    else if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problem = (e as Error).message;
  }
  let reset: IdentityReset | null = null;
  let engineId = parsed?.engineId ?? null;
  if (!parsed) {
    const journal = await readFile(path.join(dir, JOURNAL_FILE), 'utf8').catch(() => null);
    if (problem !== 'missing') {
      await rename(file, `${file}.corrupt`).catch(() => undefined);
      const found = previousEngineId(raw, journal, host);
      reset = { cause: 'unreadable', recoveredFrom: found?.from ?? null };
      engineId = found?.engineId ?? null;
    } else if (journal !== null && parseJournal(journal).entries.some((e) => e.intent.stamp !== undefined)) {
      // A stamped launch means an earlier run with an id; a deleted team.json asks for a new id (a cloned machine
      // image). A journal without stamps was written before team mode, which had no ids: nothing can be taken for
      // another engine's, so this is a first start. (An emptied journal cannot tell the two apart: first start too.)
      reset = { cause: 'missing', recoveredFrom: null };
    }
  }
  engineId ??= newEngineId();
  let notice = reset ? resetNotice(file, reset, engineId, problem) : null;
  let decision: StoredDecision | null = parsed?.decision ?? null;
  const save = () => writeFileDurably(file, `${JSON.stringify({ v: 1, engineId, decision })}\n`);
  if (!parsed) await save();
  return {
    identity: { engineId, host },
    reset,
    takeNotice() {
      const n = notice;
      notice = null;
      return n;
    },
    decision: () => decision,
    async setDecision(d) {
      decision = d;
      await save();
    },
  };
}
