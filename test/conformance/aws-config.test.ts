// Our reading of `ca_bundle` in the AWS config file against botocore's (the venv's boto3, which ClearML's autoscaler
// reaches EC2 with): a table of realistic config files and environments goes through
// `botocore.session.Session().get_config_variable('ca_bundle')` and through `awsConfigCaBundle`. Each case is first
// checked against the value written down for it, so a case where both readers are wrong the same way still fails.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsConfigCaBundle } from '../../electron/engine/net/aws-config.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'aws-config-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a reader makes of one case: the bundle path, none, or the file refused. */
type Outcome = { bundle: string } | 'none' | 'refused';

interface Case {
  name: string;
  /** The text of ~/.aws/config (absent: no file). */
  config?: string;
  env?: Record<string, string>;
  want: Outcome;
}

const CASES: Case[] = [
  {
    name: 'the default profile',
    config: '[default]\nca_bundle = /etc/corp-ca.pem\n',
    want: { bundle: '/etc/corp-ca.pem' },
  },
  {
    name: 'a named profile from AWS_PROFILE',
    config: '[default]\nregion = us-east-1\n\n[profile corp]\nregion = eu-west-1\nca_bundle = /etc/corp-ca.pem\n',
    env: { AWS_PROFILE: 'corp' },
    want: { bundle: '/etc/corp-ca.pem' },
  },
  {
    name: 'the default profile when another profile has it',
    config: '[default]\nregion = us-east-1\n\n[profile corp]\nca_bundle = /etc/corp-ca.pem\n',
    want: 'none',
  },
  {
    name: 'AWS_DEFAULT_PROFILE before AWS_PROFILE',
    config: '[profile a]\nca_bundle = /a.pem\n[profile b]\nca_bundle = /b.pem\n',
    env: { AWS_DEFAULT_PROFILE: 'a', AWS_PROFILE: 'b' },
    want: { bundle: '/a.pem' },
  },
  {
    name: 'a quoted profile name with a space',
    config: '[profile "my corp"]\nca_bundle = /corp.pem\n',
    env: { AWS_PROFILE: 'my corp' },
    want: { bundle: '/corp.pem' },
  },
  {
    name: '[profile default] after [default]: the later wins',
    config: '[default]\nca_bundle = /first.pem\n[profile default]\nca_bundle = /second.pem\n',
    want: { bundle: '/second.pem' },
  },
  {
    name: '[default] after [profile default]: the later wins',
    config: '[profile default]\nca_bundle = /first.pem\n[default]\nca_bundle = /second.pem\n',
    want: { bundle: '/second.pem' },
  },
  {
    name: 'a colon, an upper-case key, spaces around the value',
    config: '[default]\nCA_Bundle :   /etc/ca.pem   \n',
    want: { bundle: '/etc/ca.pem' },
  },
  {
    name: 'whole-line comments skipped, an inline one kept in the value',
    config: '# company setup\n[default]\n; the proxy CA\nca_bundle = /etc/ca.pem ; inspected\n',
    want: { bundle: '/etc/ca.pem ; inspected' },
  },
  {
    name: 'keys indented under their section',
    config: '[default]\n  region = us-east-1\n  ca_bundle = /etc/ca.pem\n',
    want: { bundle: '/etc/ca.pem' },
  },
  {
    name: 'a nested block (the s3 = style) is not a path',
    config: '[default]\nca_bundle =\n  path = /etc/ca.pem\n',
    want: 'none',
  },
  { name: 'an empty value', config: '[default]\nca_bundle =\n', want: 'none' },
  {
    name: 'a value continued on an indented line',
    config: '[default]\nca_bundle = /a\n  /b\n',
    want: { bundle: '/a\n/b' },
  },
  {
    name: 'a blank line inside a continued value, and blank lines after it',
    config: '[default]\nca_bundle = /a\n\n\t/b\n\n\nregion = x\n',
    want: { bundle: '/a\n\n/b' },
  },
  {
    name: 'a bracketed line indented under a key continues its value',
    config: '[default]\nca_bundle = /a\n   [profile x]\n',
    want: { bundle: '/a\n[profile x]' },
  },
  {
    name: '[DEFAULT] is inherited by every section',
    config: '[DEFAULT]\nca_bundle = /inherited.pem\n[default]\nregion = us-east-1\n',
    want: { bundle: '/inherited.pem' },
  },
  {
    name: 'Windows line endings',
    config: '[default]\r\nca_bundle = C:\\certs\\ca.pem\r\n',
    want: { bundle: 'C:\\certs\\ca.pem' },
  },
  { name: '[ default ] with spaces names no profile', config: '[ default ]\nca_bundle = /x.pem\n', want: 'none' },
  { name: 'text before the first section', config: 'ca_bundle = /x.pem\n[default]\n', want: 'refused' },
  { name: 'a section twice', config: '[default]\nregion = a\n[default]\nca_bundle = /x.pem\n', want: 'refused' },
  { name: 'a key twice', config: '[default]\nca_bundle = /x.pem\nca_bundle = /y.pem\n', want: 'refused' },
  { name: 'a line that is no key', config: '[default]\nca_bundle /x.pem\n', want: 'refused' },
  { name: 'no config file', want: 'none' },
  {
    name: 'AWS_CONFIG_FILE names another file',
    config: '[default]\nca_bundle = /home-file.pem\n',
    env: { AWS_CONFIG_FILE: 'OTHER' },
    want: { bundle: '/other-file.pem' },
  },
  // boto3 itself stops with ProfileNotFound; the SDK's credential chain reports a missing profile here.
  {
    name: 'a profile the file lacks',
    config: '[default]\nca_bundle = /x.pem\n',
    env: { AWS_PROFILE: 'gone' },
    want: 'none',
  },
];

/** botocore's answer for each case, in one Python process: the value, or how it refused. */
const BOTOCORE = `
import json, os, sys
import botocore.session, botocore.exceptions
out = []
for case in json.load(sys.stdin):
    for k in ('AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_CONFIG_FILE', 'AWS_CA_BUNDLE'):
        os.environ.pop(k, None)
    os.environ.update(case['env'])
    try:
        v = botocore.session.Session().get_config_variable('ca_bundle')
        out.append({'value': v if isinstance(v, str) or v is None else {'not-a-path': str(type(v))}})
    except botocore.exceptions.ConfigParseError as e:
        out.append({'refused': str(e)})
    except botocore.exceptions.ProfileNotFound:
        out.append({'value': None})
print(json.dumps(out))
`;

type BotocoreAnswer = { value: unknown } | { refused: string };

/** botocore's answers for these environments, in one Python process with nothing else of ours in its environment. */
async function askBotocore(envs: Record<string, string>[]): Promise<BotocoreAnswer[]> {
  const child = run(path.join(venvBin(), 'python'), ['-c', BOTOCORE], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir },
  });
  child.child.stdin!.end(JSON.stringify(envs.map((env) => ({ env }))));
  return JSON.parse((await child).stdout) as BotocoreAnswer[];
}

interface Prepared {
  env: Record<string, string>;
}

const prepared: Prepared[] = [];
let botocore: BotocoreAnswer[] = [];

beforeAll(async () => {
  CASES.forEach((c, i) => {
    const home = path.join(dir, `home-${i}`);
    mkdirSync(path.join(home, '.aws'), { recursive: true });
    if (c.config !== undefined) writeFileSync(path.join(home, '.aws', 'config'), c.config);
    const env: Record<string, string> = { HOME: home, ...c.env };
    if (env.AWS_CONFIG_FILE === 'OTHER') {
      env.AWS_CONFIG_FILE = path.join(home, 'other-config');
      writeFileSync(env.AWS_CONFIG_FILE, '[default]\nca_bundle = /other-file.pem\n');
    }
    prepared.push({ env });
  });
  botocore = await askBotocore(prepared.map((p) => p.env));
}, 60_000);

function ours(env: Record<string, string>): Outcome {
  const r = awsConfigCaBundle(env, env.HOME);
  return r.kind === 'bundle' ? { bundle: r.file } : r.kind === 'problem' ? 'refused' : 'none';
}

function theirs(answer: BotocoreAnswer): Outcome {
  if ('refused' in answer) return 'refused';
  return typeof answer.value === 'string' && answer.value !== '' ? { bundle: answer.value } : 'none';
}

describe('ca_bundle in the AWS config file: ours against botocore', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = CASES[i]!;
    expect(theirs(botocore[i]!), 'botocore against the expected value').toEqual(c.want);
    expect(ours(prepared[i]!.env)).toEqual(c.want);
  });

  it('AWS_CA_BUNDLE in the environment wins over the file, for botocore too (the variable itself is read elsewhere)', async () => {
    const home = path.join(dir, 'home-env');
    mkdirSync(path.join(home, '.aws'), { recursive: true });
    writeFileSync(path.join(home, '.aws', 'config'), '[default]\nca_bundle = /file.pem\n');
    const env = { HOME: home, AWS_CA_BUNDLE: '/env.pem' };
    expect(await askBotocore([env])).toEqual([{ value: '/env.pem' }]);
    expect(awsConfigCaBundle(env, home)).toEqual({ kind: 'none' });
  });
});
