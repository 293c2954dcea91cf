/**
 * This engine's identity (stable per install: an id kept in the data folder, the host name for display) and the
 * user's team decision in detection mode (`team.json` in the data folder, so a restart keeps it). Without a data
 * folder both live in memory for the process.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TeamDecisionSchema } from '../../../shared/team.js';
import type { StoredDecision } from './detection.js';
import { writeFileDurably } from '../durable-file.js';

export const TEAM_FILE = 'team.json';

export interface EngineIdentity {
  engineId: string;
  host: string;
}

const TeamFileSchema = z.object({
  v: z.literal(1),
  engineId: z.string().regex(/^eng-[0-9a-f]{12}$/),
  decision: z
    .object({ decision: TeamDecisionSchema, engines: z.array(z.string()).nullable(), at: z.number() })
    .nullable()
    .default(null),
});

export interface TeamState {
  readonly identity: EngineIdentity;
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

/** Reads (or creates) `team.json` in `dir`. An unreadable file gets a new id: this install is then a new engine. */
export async function openTeamState(dir: string, host: string = shortHost()): Promise<TeamState> {
  const file = path.join(dir, TEAM_FILE);
  let parsed: z.infer<typeof TeamFileSchema> | null = null;
  try {
    const r = TeamFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (r.success) parsed = r.data;
  } catch {
    // ENOENT or torn: a new identity below.
  }
  const engineId = parsed?.engineId ?? newEngineId();
  let decision: StoredDecision | null = parsed?.decision ?? null;
  const save = () => writeFileDurably(file, `${JSON.stringify({ v: 1, engineId, decision })}\n`);
  if (!parsed) await save();
  return {
    identity: { engineId, host },
    decision: () => decision,
    async setDecision(d) {
      decision = d;
      await save();
    },
  };
}
