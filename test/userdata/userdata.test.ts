// What the generated startup script says, checked as text and by `bash -n`. Its behaviour when run is covered
// by userdata.run.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUserDataMarkers } from '../../electron/engine/emulators/seams.js';
import {
  SECRETS_BEGIN_MARKER,
  SECRETS_END_MARKER,
  SSM_IAM_POLICY,
  USER_DATA_LIMIT_BYTES,
  UserDataError,
  buildUserData,
  ssmIamPolicy,
  userDataOverLimit,
  userDataSizeMessage,
} from '../../electron/engine/userdata/userdata.js';
import { ConfigSchema, type ConfigInput } from '../../shared/config.js';
import { invokeContract } from '../../shared/ipc/contract.js';
import { WATCHDOG_SH_COMPACT } from '../../electron/engine/userdata/watchdog.js';
import { SECRETS, userDataOptions } from './helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'cas-userdata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (s: string) => s.split('\n');
const indexOfLine = (s: string, re: RegExp) => lines(s).findIndex((l) => re.test(l));

async function bashSyntaxOk(script: string): Promise<void> {
  const file = path.join(dir, `ud-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  await run('bash', ['-n', file]);
}

const hostileInit = [
  'set -x',
  'if then fi ((',
  "echo 'unterminated",
  'CAS_INIT_EOF',
  'exit 0 # would end the script early were it not a sourced file',
].join('\n');

const variants: [string, Parameters<typeof userDataOptions>[0]][] = [
  ['docker mode, embedded credentials', {}],
  ['venv mode (empty default image)', { agent: { defaultDockerImage: '' } }],
  ['resource image overrides the default', { resource: { dockerImage: 'pytorch/pytorch:2.3.0' } }],
  ['resource forces venv mode', { resource: { dockerImage: '' } }],
  ['ssm credentials', { agent: { clearmlCredentialsFrom: 'ssm', gitUser: 'alice' } }],
  ['ssm with a custom prefix', { agent: { clearmlCredentialsFrom: 'ssm', ssmPrefix: '/team/ml/' } }],
  ['cpu only, lease off', { resource: { cpuOnly: true }, lease: { enabled: false } }],
  ['no ClearML credentials, no git', { agent: { gitUser: '' }, opts: { clearmlCredentials: null, gitPassword: '' } }],
  [
    'hostile init script, extra conf and image',
    {
      agent: {
        initScript: hostileInit,
        extraClearmlConf: 'CAS_EXTRA_CONF_EOF\nsdk.aws.s3.key: "\'$(reboot)\'"\nCAS_CONF_EOF',
        defaultDockerImage: "nvidia/cuda'; rm -rf / #",
        gitUser: 'al\'ice"$(id)',
      },
    },
  ],
  ['hard lifetime and fractional lease', { lease: { leaseMin: 7.5, graceMin: 0.5, maxLifetimeHours: 12 } }],
];

describe.each(variants)('%s', (_name, o) => {
  const opts = userDataOptions(o);
  const script = buildUserData(opts);

  it('is valid bash', async () => {
    await bashSyntaxOk(script);
  });

  it('fits in EC2 user data', () => {
    expect(Buffer.byteLength(script)).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });

  it('starts strict and carries the markers the emulator parses', () => {
    expect(lines(script)[0]).toBe('#!/bin/bash');
    const strict = indexOfLine(script, /^set -Eeuo pipefail$/);
    expect(strict).toBeGreaterThan(0);
    expect(
      lines(script)
        .slice(1, strict)
        .every((l) => l.startsWith('#')),
    ).toBe(true);
    expect(parseUserDataMarkers(script)).toEqual({
      workerIdPrefix: 'dynamic_aws:gpu_t4:g4dn.xlarge',
      queue: 'aws_gpu',
      queuePollSec: opts.agent.queuePollSec,
    });
    expect(script).toContain('export CLEARML_WORKER_ID="$CLEARML_AUTOSCALER_WORKER_ID_PREFIX:$CAS_INSTANCE_ID"');
  });

  it('never enables tracing, and the secrets section starts by turning it off', () => {
    const body = lines(script);
    // The user's init script is data here (a literal here-document written to a file), not our commands.
    const initStart = body.findIndex((l) => /<<'CAS_INIT_EOF(_\d+)?'$/.test(l));
    const initEnd = initStart < 0 ? -1 : body.indexOf(body[initStart]!.replace(/^.*<<'(.*)'$/, '$1'), initStart);
    const ours = body.filter((_l, i) => initStart < 0 || i < initStart || i > initEnd).join('\n');
    expect(ours).not.toMatch(/^\s*set\s+(-[a-zA-Z]*x|-o\s+xtrace)/m);
    expect(ours).not.toMatch(/bash\s+-[a-z]*x/);
    const begin = body.indexOf(SECRETS_BEGIN_MARKER);
    const end = body.indexOf(SECRETS_END_MARKER);
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    expect(body.lastIndexOf(SECRETS_BEGIN_MARKER)).toBe(begin);
    expect(body[begin + 1]).toBe('set +x');
    if (initStart >= 0) expect(initStart).toBeGreaterThan(end);
  });

  it('keeps every secret value inside the secrets section, or out of the script entirely in ssm mode', () => {
    const ssm = opts.agent.clearmlCredentialsFrom === 'ssm';
    const begin = script.indexOf(SECRETS_BEGIN_MARKER);
    const end = script.indexOf(SECRETS_END_MARKER);
    for (const secret of [SECRETS.accessKey, "s3cr'\\''et", 'ghp_g1tP']) {
      let at = script.indexOf(secret);
      if (ssm || !opts.clearmlCredentials) expect(at, secret).toBe(-1);
      for (; at >= 0; at = script.indexOf(secret, at + 1)) {
        expect(at).toBeGreaterThan(begin);
        expect(at).toBeLessThan(end);
      }
    }
  });

  it('never contains AWS credentials', () => {
    expect(script).not.toMatch(/AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)|aws_secret_access_key/i);
    expect(script).not.toMatch(/\b(AKIA|ASIA)[A-Z0-9]{16}\b/);
  });

  it('reads metadata with an IMDSv2 token only', () => {
    const put = script.indexOf('-X PUT -H \'X-aws-ec2-metadata-token-ttl-seconds: 300\' "$CAS_IMDS/latest/api/token"');
    const get = script.indexOf('"$CAS_IMDS/latest/meta-data/instance-id"');
    expect(put).toBeGreaterThan(0);
    expect(get).toBeGreaterThan(put);
    for (const l of lines(script).filter((x) => x.includes('$CAS_IMDS/latest/meta-data'))) {
      expect(l).toContain('X-aws-ec2-metadata-token: $CAS_TOKEN');
    }
    expect(script).toContain("CAS_IMDS='http://169.254.169.254'");
  });

  it('installs a pinned agent into a venv, never with system pip', () => {
    expect(script).toContain('python3 -m venv --clear "$CAS_VENV"');
    expect(script).toContain(`CAS_AGENT_VERSION='${opts.agent.agentVersion}'`);
    expect(script).toContain('-m pip install -q --disable-pip-version-check "clearml-agent==$CAS_AGENT_VERSION"');
    for (const l of lines(script).filter((x) => /\bpip3?\b/.test(x) && !x.trim().startsWith('#'))) {
      expect(l).toMatch(/"\$CAS_VENV\/bin\/python" -m pip /);
    }
  });

  it('checks for an installed agent without piping into grep -q (pipefail would fail it at random)', () => {
    const check = lines(script).find((l) => l.startsWith('if "$CAS_VENV/bin/python"'));
    expect(check).toContain('importlib.metadata');
    expect(check).not.toContain('|');
  });

  it('runs the agent daemon in the foreground on the queue, then powers off whatever happens', () => {
    const image = opts.resourceConf.dockerImage ?? opts.agent.defaultDockerImage;
    const daemon = lines(script).find((l) => l.includes(' -m clearml_agent '));
    const expected = `daemon --queue='aws_gpu'${image ? ` --docker='${image.replaceAll("'", `'\\''`)}'` : ''}`;
    expect(daemon).toBe(
      `"$CAS_VENV/bin/python" -m clearml_agent --config-file="$CAS_CONF" ${expected} || CAS_AGENT_STATUS=$?`,
    );
    expect(daemon).not.toMatch(/&\s*$/);
    expect(script).toContain('trap cas_exit EXIT');
    expect(script).toContain("CAS_POWEROFF='shutdown -h now'");
    expect(script).toContain('eval "$CAS_POWEROFF"');
    expect(lines(script).at(-2)).toBe('exit "$CAS_AGENT_STATUS"');
  });

  it('installs the watchdog exactly when the lease is enabled, before any slow setup', () => {
    const at = script.indexOf(WATCHDOG_SH_COMPACT);
    if (!opts.lease.enabled) {
      expect(at).toBe(-1);
      expect(script).not.toContain('clearml-autoscaler-watchdog');
      return;
    }
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(script.indexOf('python3 -m venv'));
    expect(script).toContain(`WATCHDOG_LEASE_SEC=${Math.round(opts.lease.leaseMin * 60)}\n`);
    expect(script).toContain(`WATCHDOG_GRACE_SEC=${Math.round(opts.lease.graceMin * 60)}\n`);
    expect(script).toContain(`WATCHDOG_MAX_LIFETIME_SEC=${opts.lease.maxLifetimeHours * 3600}\n`);
    expect(script).toContain('systemctl start --no-block clearml-autoscaler-watchdog.timer');
  });

  it("sets the agent's queue poll before the init script, so an export of the init script's own wins", () => {
    const at = indexOfLine(script, /^export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=2$/);
    expect(at).toBeGreaterThan(0);
    const init = indexOfLine(script, /<<'CAS_INIT_EOF(_\d+)?'$/);
    if (init >= 0) expect(at).toBeLessThan(init);
    expect(at).toBeLessThan(indexOfLine(script, / -m clearml_agent /));
  });

  it('exports NVIDIA_VISIBLE_DEVICES=none exactly for cpu-only resources', () => {
    expect(script.includes('\nexport NVIDIA_VISIBLE_DEVICES=none\n')).toBe(opts.resourceConf.cpuOnly);
  });
});

describe("the agent's queue poll", () => {
  it('is the configured one, and an init script that exports its own overrides it (as bash would)', () => {
    expect(buildUserData(userDataOptions({ agent: { queuePollSec: 7.5 } }))).toContain(
      '\nexport CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=7.5\n',
    );
    const own = buildUserData(userDataOptions({ agent: { initScript: 'export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=9' } }));
    expect(parseUserDataMarkers(own)?.queuePollSec).toBe(9);
  });

  it("is absent from ClearML's own script, and a 0 is the agent's default as the agent reads it", () => {
    const clearml =
      "export CLEARML_WORKER_ID=dyn:gpu:g4dn.xlarge:$DYNAMIC_INSTANCE_ID\npython -m clearml_agent --config-file ~/clearml.conf daemon --queue 'gpu'\n";
    expect(parseUserDataMarkers(clearml)).toEqual({ workerIdPrefix: 'dyn:gpu:g4dn.xlarge', queue: 'gpu' });
    expect(parseUserDataMarkers(`export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC='3'\n${clearml}`)?.queuePollSec).toBe(3);
    expect(parseUserDataMarkers(`${clearml}export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=0\n`)).not.toHaveProperty(
      'queuePollSec',
    );
  });

  it('is refused below 1 s and above 60 s', () => {
    for (const queuePollSec of [0.5, 61])
      expect(() => userDataOptions({ agent: { queuePollSec } })).toThrow(/queue poll/);
  });
});

describe('secrets and modes', () => {
  it('embeds ClearML credentials single-quoted, with git credentials as JSON-escaped HOCON', () => {
    const s = buildUserData(userDataOptions());
    expect(s).toContain(`export CLEARML_API_ACCESS_KEY='${SECRETS.accessKey}'`);
    expect(s).toContain(`export CLEARML_API_SECRET_KEY='s3cr'\\''et $(touch /tmp/pwned) \`id\` "q"'`);
    expect(s).toContain(`agent.git_user: "alice"\nagent.git_pass: ${JSON.stringify(SECRETS.gitPassword)}\n`);
    expect(s).toContain("export CLEARML_API_HOST='https://api.clear.ml'");
    expect(s).toContain("export CLEARML_WEB_HOST='https://app.clear.ml'");
    expect(s).toContain("export CLEARML_FILES_HOST='https://files.clear.ml'");
  });

  it('ssm mode fetches credentials at boot and embeds none of them', () => {
    const s = buildUserData(userDataOptions({ agent: { clearmlCredentialsFrom: 'ssm', ssmPrefix: '/team/ml' } }));
    expect(s).toContain("CLEARML_API_ACCESS_KEY=$(cas_ssm_get '/team/ml/access_key')");
    expect(s).toContain("CLEARML_API_SECRET_KEY=$(cas_ssm_get '/team/ml/secret_key')");
    expect(s).toContain("CAS_GIT_PASS=$(cas_ssm_get '/team/ml/git_pass')");
    expect(s).toContain('aws ssm get-parameter --region "$CAS_REGION" --with-decryption --name "$1"');
    expect(s).toContain("CAS_REGION='eu-west-1'");
    for (const v of Object.values(SECRETS)) expect(s).not.toContain(v);
    expect(s).not.toContain('ghp_');
  });

  it('ssm mode without a git password does not ask SSM for one', () => {
    const s = buildUserData(userDataOptions({ agent: { clearmlCredentialsFrom: 'ssm' }, opts: { gitPassword: '' } }));
    expect(s).not.toContain('git_pass');
  });

  it('a git user or password with a control character is refused: the agent would read its \\u escape literally', () => {
    const userdata = userDataOptions();
    expect(() => buildUserData({ ...userdata, gitPassword: 'pass\u0001word' })).toThrow(
      'the stored git password must not contain control characters',
    );
    expect(() => buildUserData({ ...userdata, agent: { ...userdata.agent, gitUser: 'al\tice' } })).toThrow(
      'agent.gitUser: git user must not contain control characters',
    );
    // Non-ASCII is no control character: it is written as UTF-8, which the agent reads back.
    expect(buildUserData({ ...userdata, gitPassword: 'p£ss§wörd' })).toContain('agent.git_pass: "p£ss§wörd"\n');
    // The config says so at load and save, and the credentials form cannot store one.
    const cfg = ConfigSchema.safeParse({
      clearml: { apiHost: 'https://api.clear.ml' },
      aws: { region: 'eu-west-1' },
      resources: { small: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' } },
      queues: { cpu: [{ resource: 'small', maxInstances: 1 }] },
      agent: { gitUser: 'bob\n' },
    });
    expect(cfg.success ? [] : cfg.error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'agent.gitUser',
        'git user must not contain control characters (a newline, a tab, …): clearml-agent cannot read them from clearml.conf',
      ],
    ]);
    const setGit = invokeContract['autoscaler:credentials.set'].req;
    expect(setGit.safeParse({ kind: 'git', username: 'bob', password: 'p£ss§wörd' }).success).toBe(true);
    expect(setGit.safeParse({ kind: 'git', username: 'bob', password: 'pass\u007f' }).success).toBe(false);
    expect(setGit.safeParse({ kind: 'git', username: 'bo\rb', password: 'pass' }).success).toBe(false);
  });

  it('documents the IAM policy ssm mode needs', () => {
    const policy = JSON.parse(SSM_IAM_POLICY) as { Statement: { Action: string[]; Resource: string }[] };
    expect(policy.Statement[0]).toMatchObject({
      Action: ['ssm:GetParameter'],
      Resource: 'arn:aws:ssm:*:*:parameter/clearml-autoscaler/*',
    });
    expect(JSON.parse(ssmIamPolicy('/team/ml/'))).toMatchObject({
      Statement: [{ Resource: 'arn:aws:ssm:*:*:parameter/team/ml/*' }, { Action: ['kms:Decrypt'] }],
    });
  });
});

describe('a queue name with spaces, quotes and shell characters', () => {
  it.each(["gpu queue+a'b", "q'; rm -rf / #", 'a "$(reboot)" `id` $HOME \\ *', "''''"])(
    '%j is one single-quoted word: valid bash, and the marker reads it back',
    async (queue) => {
      const script = buildUserData({ ...userDataOptions(), queue });
      await bashSyntaxOk(script);
      expect(parseUserDataMarkers(script)?.queue).toBe(queue);
      // What bash makes of the --queue word, without running the script: the word alone, echoed as argv.
      const word = /daemon --queue=('(?:[^']|'\\'')*')/.exec(script)![1]!;
      const { stdout } = await run('bash', ['-c', `printf '%s\\0' ${word}`]);
      expect(stdout).toBe(`${queue}\0`);
    },
  );
});

describe('refusals', () => {
  it.each([
    ['queue', { queue: 'q\nrm -rf /' }],
    ['prefix', { prefix: 'a:b' }],
    ['resource', { resource: 'gpu t4' }],
    ['region', { region: 'eu-west-1; reboot' }],
  ] as const)('a %s that is not a plain name is refused before any script exists', (_what, bad) => {
    expect(() => buildUserData({ ...userDataOptions(), ...bad })).toThrow(UserDataError);
  });

  it('a script over 16 KB is refused with what to shorten', () => {
    const big = 'echo padding-line-for-size-test\n'.repeat(400);
    expect(() => buildUserData(userDataOptions({ agent: { initScript: big } }))).toThrow(
      /over EC2's 16384-byte user-data limit, so every launch would be refused: the init script is 12800 bytes, the extra clearml\.conf 0 bytes/,
    );
  });

  describe('checked before any launch (import, save): userDataOverLimit', () => {
    const config = (
      agent: ConfigInput['agent'],
      queues: ConfigInput['queues'] = { cpu: [{ resource: 'small', maxInstances: 1 }] },
    ) =>
      ConfigSchema.parse({
        clearml: { apiHost: 'https://api.clear.ml' },
        aws: { region: 'eu-west-1' },
        resources: {
          small: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' },
          big: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0', dockerImage: 'x'.repeat(300) },
        },
        queues,
        agent,
      });

    it('a config whose script fits gives null', () => {
      expect(userDataOverLimit(config({ initScript: 'echo hi' }))).toBeNull();
    });

    it("names the largest pair's size, the init script's and the conf's, and how much to cut", () => {
      const initScript = 'x'.repeat(12_000);
      const over = userDataOverLimit(
        config(
          { initScript, extraClearmlConf: 'a: 1' },
          {
            cpu: [{ resource: 'small', maxInstances: 1 }],
            gpu: [{ resource: 'big', maxInstances: 1 }],
          },
        ),
      );
      expect(over).toMatchObject({ queue: 'gpu', resource: 'big', initScriptBytes: 12_000, extraConfBytes: 4 });
      expect(over!.bytes).toBeGreaterThan(USER_DATA_LIMIT_BYTES);
      const text = userDataSizeMessage(over!);
      expect(text).toContain(`is ${over!.bytes} bytes, over EC2's 16384-byte user-data limit`);
      expect(text).toContain(`by at least ${over!.bytes - USER_DATA_LIMIT_BYTES} bytes`);
      expect(text).toMatch(/bake the setup into the AMI/);
    });
  });

  it('leaves room for a realistic init script and extra conf', () => {
    const init = 'apt-get update\n'.repeat(200); // 3 KB
    const extra = 'sdk.aws.s3.region: "eu-west-1"\n'.repeat(40); // 1.2 KB
    const s = buildUserData(userDataOptions({ agent: { initScript: init, extraClearmlConf: extra } }));
    expect(Buffer.byteLength(s)).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });
});
