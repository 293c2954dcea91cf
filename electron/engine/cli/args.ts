/**
 * The headless CLI's flags, parsed and validated before anything starts: a wrong flag is a clear message and exit
 * code 2 (a supervisor that restarts on exit must not loop on a typo). Pure: no I/O.
 */
import { parseArgs } from 'node:util';
import { errorText } from '../../../shared/error-text.js';

export type Mode = 'run' | 'demo' | 'report' | 'check' | 'help' | 'create-lease-table';

export interface CliOptions {
  mode: Mode;
  config?: string;
  dryRun: boolean;
  /** Adopt instances launched by ClearML's autoscaler (the flag is the user's confirmation). */
  adopt: boolean;
  json: boolean;
  once: boolean;
  /** Stop after this many minutes; null runs until SIGINT/SIGTERM. */
  minutes: number | null;
  report?: 'costs';
  /** ms epoch, start of the UTC day given with --since. */
  since?: number;
  csv: boolean;
  dataDir?: string;
  /** Team mode without a lease table: the user's decision when another engine acts ('forget' clears it). */
  team?: 'act' | 'standby' | 'forget';
  /** Team mode: serve the IPC contract to attached apps (TLS WebSocket). */
  serve?: { listen: { host: string; port: number }; tlsCert?: string; tlsKey?: string };
}

export type ParsedArgs = { ok: true; options: CliOptions } | { ok: false; error: string };

/** One year: longer soak runs need no timer; leave --minutes out to run until stopped. */
export const MAX_MINUTES = 525_600;

export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        demo: { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        adopt: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        once: { type: 'boolean', default: false },
        minutes: { type: 'string' },
        report: { type: 'string' },
        since: { type: 'string' },
        csv: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        'create-lease-table': { type: 'boolean', default: false },
        team: { type: 'string' },
        serve: { type: 'boolean', default: false },
        listen: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
  const base = {
    dryRun: values['dry-run'],
    adopt: values.adopt,
    json: values.json,
    once: values.once,
    csv: values.csv,
    minutes: null,
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
  };
  if (values.help) return { ok: true, options: { ...base, mode: 'help' } };

  const modes = [
    values.config !== undefined && '--config',
    values.demo && '--demo',
    values.report !== undefined && '--report',
  ].filter(Boolean);
  if (modes.length > 1) return { ok: false, error: `${modes.join(' and ')} cannot be combined: choose one` };
  if (modes.length === 0) return { ok: false, error: 'nothing to do: give --config FILE, --demo or --report costs' };
  if (values.config === '') return { ok: false, error: '--config needs a file path' };
  if (values['data-dir'] === '') return { ok: false, error: '--data-dir needs a folder path' };

  if (values.report !== undefined) {
    if (values.report !== 'costs')
      return { ok: false, error: `unknown report '${values.report}': the only report is 'costs'` };
    for (const [flag, on] of [
      ['--once', values.once],
      ['--dry-run', values['dry-run']],
      ['--minutes', values.minutes !== undefined],
      ['--check', values.check],
      ['--adopt', values.adopt],
    ] as const)
      if (on) return { ok: false, error: `${flag} does not apply to --report` };
    if (values.csv && values.json)
      return { ok: false, error: '--csv and --json are two formats of one report: choose one' };
    let since: number | undefined;
    if (values.since !== undefined) {
      since = /^\d{4}-\d{2}-\d{2}$/.test(values.since) ? Date.parse(`${values.since}T00:00:00Z`) : NaN;
      if (!Number.isFinite(since))
        return { ok: false, error: `--since must be a date like 2026-11-01, not '${values.since}'` };
      // Date.parse rolls an impossible day over (2026-02-31 becomes March 3): a typo must not move the period.
      if (new Date(since).toISOString().slice(0, 10) !== values.since)
        return { ok: false, error: `--since ${values.since} is not a day of the calendar (check the month's length)` };
    }
    return {
      ok: true,
      options: { ...base, mode: 'report', report: 'costs', ...(since !== undefined ? { since } : {}) },
    };
  }
  const serve = serveOptions(values);
  if (typeof serve === 'string') return { ok: false, error: serve };
  if (serve && (values.check || values.once))
    return {
      ok: false,
      error: `--serve keeps the engine running for attached apps: ${values.check ? '--check' : '--once'} does not apply`,
    };
  if (values.since !== undefined) return { ok: false, error: '--since applies only to --report costs' };
  if (values.csv) return { ok: false, error: '--csv applies only to --report costs' };

  if (values['create-lease-table']) {
    if (!values.config)
      return {
        ok: false,
        error: '--create-lease-table creates the table a config names (team.leaseTable): give --config FILE',
      };
    for (const [flag, on] of [
      ['--check', values.check],
      ['--once', values.once],
      ['--minutes', values.minutes !== undefined],
      ['--dry-run', values['dry-run']],
      ['--adopt', values.adopt],
      ['--team', values.team !== undefined],
    ] as const)
      if (on) return { ok: false, error: `${flag} does not apply to --create-lease-table` };
    return { ok: true, options: { ...base, mode: 'create-lease-table', config: values.config } };
  }
  let team: CliOptions['team'];
  if (values.team !== undefined) {
    if (values.team !== 'act' && values.team !== 'standby' && values.team !== 'forget')
      return { ok: false, error: `--team takes 'act', 'standby' or 'forget', not '${values.team}'` };
    if (!values.config) return { ok: false, error: '--team decides for the engine of a config: give --config FILE' };
    team = values.team;
  }

  if (values.check) {
    if (!values.config) return { ok: false, error: '--check tests the connections of a config: give --config FILE' };
    for (const [flag, on] of [
      ['--once', values.once],
      ['--minutes', values.minutes !== undefined],
      ['--dry-run', values['dry-run']],
      ['--adopt', values.adopt],
    ] as const)
      if (on) return { ok: false, error: `${flag} does not apply to --check` };
    return { ok: true, options: { ...base, mode: 'check', config: values.config } };
  }

  let minutes: number | null = null;
  if (values.minutes !== undefined) {
    if (values.once) return { ok: false, error: '--once runs one tick: --minutes does not apply' };
    const text = values.minutes.trim();
    minutes = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(minutes) || minutes <= 0)
      return {
        ok: false,
        error: `--minutes must be a positive number of minutes (e.g. 2 or 0.5), not '${values.minutes}'`,
      };
    if (minutes > MAX_MINUTES)
      return {
        ok: false,
        error: `--minutes ${values.minutes} is more than a year: leave --minutes out to run until stopped`,
      };
  }
  return {
    ok: true,
    options: {
      ...base,
      minutes,
      mode: values.demo ? 'demo' : 'run',
      ...(values.config !== undefined ? { config: values.config } : {}),
      ...(team ? { team } : {}),
      ...(serve ? { serve } : {}),
    },
  };
}

/** The team-mode flags: null without --serve, a message when they are wrong. */
function serveOptions(values: {
  serve?: boolean;
  listen?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
}): CliOptions['serve'] | null | string {
  const extra = values.listen !== undefined || values['tls-cert'] !== undefined || values['tls-key'] !== undefined;
  if (!values.serve) return extra ? '--listen, --tls-cert and --tls-key apply only with --serve' : null;
  if (!values['tls-cert'] !== !values['tls-key'])
    return 'give both --tls-cert and --tls-key (a certificate and its key, PEM), or neither for a generated one';
  let listen = { host: '0.0.0.0', port: 7465 };
  if (values.listen !== undefined) {
    const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(values.listen.trim());
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535)
      return `--listen must be HOST:PORT (e.g. 0.0.0.0:7465 or 127.0.0.1:0), not '${values.listen}'`;
    listen = { host: m[1] ?? (m[2] || '0.0.0.0'), port };
  }
  return {
    listen,
    ...(values['tls-cert'] ? { tlsCert: values['tls-cert'] } : {}),
    ...(values['tls-key'] ? { tlsKey: values['tls-key'] } : {}),
  };
}
