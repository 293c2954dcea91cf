/**
 * `npm run headless -- [--data-dir DIR] token issue --name NAME --role viewer|operator|admin`, `token list`,
 * `token revoke NAME`: the team tokens of the engine that serves from this data folder. The token is printed
 * once; the file keeps only its hash. A running `--serve` picks up a revocation at once.
 */
import { errorText } from '../../../shared/error-text.js';
import { parseArgs } from 'node:util';
import { isRole, ROLES } from '../../../shared/ipc/roles.js';
import { TokenFileError, TokenStore, tokenFilePath } from '../team/tokens.js';

export const TOKEN_USAGE = `Usage: npm run headless -- [--data-dir DIR] token issue --name NAME --role viewer|operator|admin
       npm run headless -- [--data-dir DIR] token list [--json]
       npm run headless -- [--data-dir DIR] token revoke NAME

  viewer    sees everything, changes nothing
  operator  also turns autoscaling on/off, pauses launches and queues, terminates, scales to zero
  admin     also edits the config, credentials and budgets, adopts, stops everything`;

export type TokenCommand =
  | { ok: true; action: 'help' }
  | { ok: true; action: 'issue'; name: string; role: (typeof ROLES)[number]; dataDir?: string; json: boolean }
  | { ok: true; action: 'list'; dataDir?: string; json: boolean }
  | { ok: true; action: 'revoke'; name: string; dataDir?: string; json: boolean }
  | { ok: false; error: string };

const TOKEN_OPTIONS = {
  // Accepted so the same command line as the server's works; tokens live in the data folder.
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  json: { type: 'boolean', default: false },
  // `token --help` (or `token issue -h`) is how one asks for this usage: without it strict parsing refuses the flag
  // with node's own message, exit 2, as if it were a typo.
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** True when the command line is a `token …` command (a positional `token`). */
export function isTokenCommand(argv: readonly string[]): boolean {
  try {
    const { positionals } = parseArgs({
      args: [...argv],
      options: TOKEN_OPTIONS,
      strict: false,
      allowPositionals: true,
    });
    return positionals[0] === 'token';
  } catch {
    return false;
  }
}

export function parseTokenArgs(argv: readonly string[]): TokenCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: TOKEN_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, action: 'help' };
  const [, action, arg, ...rest] = positionals;
  const base = { json: values.json, ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}) };
  if (rest.length) return { ok: false, error: `unexpected '${rest.join(' ')}'` };
  switch (action) {
    case 'issue': {
      const name = values.name ?? arg;
      if (!name) return { ok: false, error: 'token issue needs --name NAME (whose token it is)' };
      if (!values.role) return { ok: false, error: `token issue needs --role (${ROLES.join(', ')})` };
      if (!isRole(values.role))
        return { ok: false, error: `unknown role '${values.role}': choose ${ROLES.join(', ')}` };
      return { ok: true, action: 'issue', name, role: values.role, ...base };
    }
    case 'list':
      if (arg) return { ok: false, error: `token list takes no name ('${arg}')` };
      return { ok: true, action: 'list', ...base };
    case 'revoke': {
      const name = arg ?? values.name;
      if (!name) return { ok: false, error: 'token revoke needs the NAME whose token to revoke' };
      return { ok: true, action: 'revoke', name, ...base };
    }
    default:
      return { ok: false, error: action ? `unknown token command '${action}'` : 'token needs issue, list or revoke' };
  }
}

export function runTokenCommand(
  argv: readonly string[],
  defaultDataDir: string,
  write: (line: string) => void,
): number {
  const cmd = parseTokenArgs(argv);
  if (!cmd.ok) {
    write(`error: ${cmd.error}\n\n${TOKEN_USAGE}`);
    return 2;
  }
  if (cmd.action === 'help') {
    write(TOKEN_USAGE);
    return 0;
  }
  const store = new TokenStore(tokenFilePath(cmd.dataDir ?? defaultDataDir));
  try {
    if (cmd.action === 'issue') {
      const { token, record } = store.issue(cmd.name, cmd.role);
      if (cmd.json) write(JSON.stringify({ name: record.name, role: record.role, token }));
      else {
        write(`Token for ${record.name} (${record.role}), shown this once; only its hash is kept in ${store.file}:`);
        write('');
        write(`  ${token}`);
        write('');
        write('Give it to them privately; they paste it into "Connect to a team engine…" in the tray app.');
      }
      return 0;
    }
    if (cmd.action === 'list') {
      const tokens = store.list();
      if (cmd.json) write(JSON.stringify(tokens.map(({ name, role, createdAt }) => ({ name, role, createdAt }))));
      else if (!tokens.length) write(`No team tokens yet (${store.file}).`);
      else
        for (const t of tokens)
          write(`${t.name.padEnd(24)} ${t.role.padEnd(9)} issued ${new Date(t.createdAt).toISOString().slice(0, 16)}Z`);
      return 0;
    }
    if (!store.revoke(cmd.name)) {
      write(`error: no token named '${cmd.name}' ('token list' shows them)`);
      return 1;
    }
    write(`Revoked ${cmd.name}'s token: a running team engine cuts their connections off at once.`);
    return 0;
  } catch (e) {
    if (e instanceof TokenFileError) {
      write(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
