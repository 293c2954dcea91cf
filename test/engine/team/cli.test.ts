// Team mode's headless flags: --create-lease-table and --team, validated before anything starts; the progress lines.
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../../electron/engine/cli/args.js';
import { progressText } from '../../../electron/engine/cli/lease-table.js';
import { statusLine } from '../../../electron/engine/cli/view.js';
import { emptySnapshot } from '../../../shared/domain.js';
import { leaseError } from '../../../electron/engine/team/lease-store.js';
import { standbyLeadership } from '../../fixtures/index.js';

describe('team flags', () => {
  it.each([
    { argv: ['--create-lease-table'], error: /give --config FILE/ },
    {
      argv: ['--config', 'a.yaml', '--create-lease-table', '--once'],
      error: /--once does not apply to --create-lease-table/,
    },
    { argv: ['--config', 'a.yaml', '--create-lease-table', '--team', 'act'], error: /--team does not apply/ },
    { argv: ['--config', 'a.yaml', '--team', 'lead'], error: /--team takes 'act', 'standby' or 'forget', not 'lead'/ },
    { argv: ['--demo', '--team', 'act'], error: /--team decides for the engine of a config/ },
  ])('refuses $argv', ({ argv, error }) => {
    const r = parseCliArgs(argv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it.each([
    { argv: ['--config', 'a.yaml', '--create-lease-table'], want: { mode: 'create-lease-table', config: 'a.yaml' } },
    { argv: ['--config', 'a.yaml', '--team', 'standby'], want: { mode: 'run', team: 'standby' } },
    { argv: ['--config', 'a.yaml', '--team', 'forget', '--once'], want: { mode: 'run', team: 'forget', once: true } },
  ])('accepts $argv', ({ argv, want }) => {
    const r = parseCliArgs(argv);
    expect(r).toMatchObject({ ok: true, options: want });
  });
});

describe('lease table messages', () => {
  it.each([
    [{ step: 'creating' } as const, "creating lease table 'leases' in eu-west-1 (on-demand billing, key 'pk')…"],
    [
      { step: 'waiting', status: 'CREATING', waitedMs: 4_200 } as const,
      "waiting for 'leases' to become ACTIVE (CREATING, 4 s)…",
    ],
    [{ step: 'exists', status: 'ACTIVE' } as const, "lease table 'leases' already exists in eu-west-1 (ACTIVE)"],
  ])('%j', (p, want) => {
    expect(progressText(p, 'leases', 'eu-west-1')).toBe(want);
  });

  it.each([
    [
      { name: 'AccessDeniedException', message: 'User: arn:aws:iam::1:user/x is not authorized' },
      'dynamodb:CreateTable',
      'access',
      /AWS refused dynamodb:CreateTable on table 'leases' \(AccessDeniedException\): add dynamodb:CreateTable to the IAM policy/,
    ],
    [
      { name: 'ResourceNotFoundException', message: 'Requested resource not found' },
      'dynamodb:GetItem',
      'no-table',
      /does not exist: create it with 'npm run headless -- --config <file> --create-lease-table'/,
    ],
    [
      { name: 'ThrottlingException', message: 'Rate exceeded' },
      'dynamodb:PutItem',
      'throttle',
      /throttling dynamodb:PutItem/,
    ],
    [
      { name: 'UnrecognizedClientException', message: 'bad token' },
      'dynamodb:GetItem',
      'credentials',
      /credentials were refused/,
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'dynamodb:GetItem',
      'unreachable',
      /could not be reached/,
    ],
    [
      Object.assign(new SyntaxError('Unexpected token'), { $response: { statusCode: 403 } }),
      'dynamodb:CreateTable',
      'access',
      /AWS refused dynamodb:CreateTable on table 'leases' \(HTTP 403\)/,
    ],
  ])('%j → %s', (raw, action, kind, text) => {
    const e = leaseError(Object.assign(new Error(raw.message), raw), action, 'leases');
    expect(e.kind).toBe(kind);
    expect(e.message).toMatch(text);
  });
});

describe('headless status line', () => {
  it('says standby and who leads instead of the bare status', () => {
    const s = {
      ...emptySnapshot(),
      lastTickAt: 1_000,
      lastTickOkAt: 1_000,
      enabled: true,
      status: 'watching' as const,
      statusReason:
        'Standby: gpu-host (eng-host) leads since 14:02; this engine takes over if it stops renewing for 90 s.',
      leadership: standbyLeadership(),
    };
    expect(statusLine(s)).toBe(
      'standby · 0 pending · 0 instances (0 busy, 0 idle, 0 booting) · $0.00/h · Standby: gpu-host (eng-host) leads since 14:02; this engine takes over if it stops renewing for 90 s.',
    );
    expect(statusLine({ ...s, leadership: { ...s.leadership, role: 'leader', acts: true } })).toMatch(/^watching · /);
  });
});
