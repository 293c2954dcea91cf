// Runs the generated startup script for real, under `bash -x` (as if someone debugged it), in a sandbox: its
// path constants point into a temp dir, the metadata service is the fake IMDSv2 server, and python3, apt-get,
// systemctl, aws and the agent are stubs that record what they were asked. Proves the secrets are never traced,
// the agent gets the right identity and credentials, and every ending powers the instance off.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseUserDataMarkers } from '../../electron/engine/emulators/seams.js';
import { buildUserData } from '../../electron/engine/userdata/userdata.js';
import { WATCHDOG_SH_COMPACT } from '../../electron/engine/userdata/watchdog.js';
import { startFakeImds, type FakeImds } from './fakeImds.js';
import { sandboxUserData, SECRETS, userDataOptions } from './helpers.js';

const run = promisify(execFile);
const PWNED = '/tmp/pwned'; // what SECRETS.secretKey would create if quoting failed
const REAL_PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
// Outside CI a missing python3 skips these tests and says why; in CI (which installs it) it fails them instead, so a
// broken CI image cannot pass by skipping.
const PYTHON_REASON =
  'python3 is not at /usr/bin or /usr/local/bin (apt-get install python3); the generated script cannot run here';
const skipRun = !REAL_PYTHON && !process.env['CI'];
if (skipRun) console.warn(`[user data run] skipped: ${PYTHON_REASON}`);
const RUN_TITLE = `generated user data, run in a sandbox${skipRun ? ` (skipped: ${PYTHON_REASON})` : ''}`;

let imds: FakeImds;
let root: string;
let seq = 0;

const exe = (file: string, text: string) => {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
};

interface Sandbox {
  dir: string;
  calls(): string[];
  agentArgs(): string[] | null;
  agentEnv(): Record<string, string>;
  poweredOff(): boolean;
  read(rel: string): string;
}

interface RunResult {
  code: number;
  stderr: string;
  sb: Sandbox;
}

/** Builds stubs, rewrites the script's path constants into the sandbox, runs it with `bash -x`. */
async function runUserData(
  script: string,
  opts: { env?: Record<string, string>; stubs?: Record<string, string>; home?: Record<string, string> } = {},
): Promise<RunResult> {
  const dir = path.join(root, `run-${seq++}`);
  const bin = path.join(dir, 'bin');
  for (const d of ['bin', 'state', 'etc', 'usrbin', 'units', 'systemd', 'home'])
    mkdirSync(path.join(dir, d), { recursive: true });
  for (const [name, text] of Object.entries(opts.home ?? {})) writeFileSync(path.join(dir, 'home', name), text);
  const log = path.join(dir, 'calls.log');
  const rec = (name: string) => `printf '%s\\n' "${name} $*" >> '${log}'`;

  // The venv's python: pip and the agent are fakes; `-c` snippets run on the real interpreter (json escaping).
  const venvPython = [
    '#!/bin/bash',
    `if [ "$1 $2" = "-m pip" ]; then printf '%s\\n' "pip \${*:3}" >> '${log}'`,
    '  [ "$3" = show ] && exit 1',
    '  [ "$3" = install ] && exit "${FAKE_PIP_RC:-0}"',
    '  exit 0',
    'fi',
    'if [ "$1 $2" = "-m clearml_agent" ]; then',
    `  printf '%s\\0' "$@" > '${dir}/agent.args'; env -0 > '${dir}/agent.env'`,
    '  exit "${FAKE_AGENT_RC:-0}"',
    'fi',
    'if [ "$1" = -c ]; then',
    '  case $2 in *boto3*) printf "boto3:%s\\n" "$4"; exit 0 ;; esac',
    `  exec '${REAL_PYTHON}' "$@"`,
    'fi',
    'exit 99',
  ].join('\n');
  writeFileSync(path.join(dir, 'venv-python'), venvPython);

  const stubs: Record<string, string> = {
    // System python3: `-m venv [--clear] DIR` fails until "packages are installed" when FAKE_NEED_PACKAGES is set.
    python3: [
      '#!/bin/bash',
      rec('python3'),
      `if [ -n "\${FAKE_NEED_PACKAGES:-}" ] && [ ! -e '${dir}/packages-installed' ]; then exit 1; fi`,
      'venv="${@: -1}"',
      'mkdir -p "$venv/bin"',
      `cp '${dir}/venv-python' "$venv/bin/python"; chmod 755 "$venv/bin/python"`,
      // What `python3 -m venv` writes and this script relies on: activate puts the venv first on PATH.
      `[ -n "\${FAKE_NO_ACTIVATE:-}" ] || printf '%s\\n' "export VIRTUAL_ENV='$venv'" 'export PATH="$VIRTUAL_ENV/bin:$PATH"' >"$venv/bin/activate"`,
    ].join('\n'),
    'apt-get': `#!/bin/bash\n${rec('apt-get')}\ncase " $* " in *" install "*) touch '${dir}/packages-installed' ;; esac\nexit 0\n`,
    systemctl: `#!/bin/bash\n${rec('systemctl')}\n`,
    shutdown: `#!/bin/bash\ntouch '${dir}/REAL-SHUTDOWN-CALLED'\n`,
    docker: `#!/bin/bash\n${rec('docker')}\n`,
    aws: [
      '#!/bin/bash',
      rec('aws'),
      'while [ $# -gt 0 ]; do [ "$1" = --name ] && name=$2; shift; done',
      'case $name in',
      '  */access_key) echo "ssm-access-key" ;;',
      `  */secret_key) echo "ssm-secret'key" ;;`,
      `  */git_pass) echo 'ssm-git"pass' ;;`,
      '  *) exit 1 ;;',
      'esac',
    ].join('\n'),
    ...opts.stubs,
  };
  for (const [name, text] of Object.entries(stubs)) if (text) exe(path.join(bin, name), text);

  const {
    script: sandboxed,
    replaced,
    expected,
  } = sandboxUserData(script, {
    dir,
    venv: path.join(dir, 'venv'),
    imdsUrl: imds.url,
    poweroffMark: `${dir}/poweroff`,
  });
  // Every production path must have been redirected, or the run could touch the real machine.
  expect(replaced).toBe(expected);
  const file = path.join(dir, 'user-data.sh');
  writeFileSync(file, sandboxed);

  const env = {
    PATH: `${bin}:/usr/bin:/bin`,
    HOME: path.join(dir, 'home'),
    ...opts.env,
  };
  let code = 0;
  let stderr = '';
  try {
    ({ stderr } = await run('bash', ['-x', file], { env, timeout: 20_000 }));
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    code = err.code ?? -1;
    stderr = err.stderr ?? '';
  }
  expect(existsSync(path.join(dir, 'REAL-SHUTDOWN-CALLED'))).toBe(false);
  expect(existsSync(PWNED)).toBe(false);

  const sb: Sandbox = {
    dir,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : []),
    agentArgs: () => {
      const f = path.join(dir, 'agent.args');
      return existsSync(f) ? readFileSync(f, 'utf8').split('\0').slice(0, -1) : null;
    },
    agentEnv: () =>
      Object.fromEntries(
        readFileSync(path.join(dir, 'agent.env'), 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
    poweredOff: () => existsSync(path.join(dir, 'poweroff')),
    read: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
  };
  return { code, stderr, sb };
}

describe.skipIf(skipRun)(RUN_TITLE, () => {
  beforeAll(async () => {
    if (!REAL_PYTHON) throw new Error('these tests need python3 at /usr/bin or /usr/local/bin (for JSON escaping)');
    imds = await startFakeImds('i-0feedfacecafe0001');
    root = mkdtempSync(path.join(tmpdir(), 'cas-userdata-run-'));
  });

  afterAll(async () => {
    await imds.close();
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    imds.reset();
    rmSync(PWNED, { force: true });
  });

  it('boots the agent with its identity and credentials, and never traces a secret even under bash -x', async () => {
    const init = ['set -x', 'export INIT_SAYS=hello', 'false', 'echo "init ran"'].join('\n');
    const opts = userDataOptions({
      resource: { cpuOnly: true },
      agent: { initScript: init, extraClearmlConf: 'sdk.aws.s3.key: "storage-key-123"' },
    });
    const { code, stderr, sb } = await runUserData(buildUserData(opts));

    expect(code).toBe(0);
    // Tracing was on from the first line, so the trace proves where it stopped.
    expect(stderr).toContain('+ set +x');
    for (const secret of [SECRETS.accessKey, 's3cr', 'ghp_g1tP', 'storage-key-123'])
      expect(stderr).not.toContain(secret);

    expect(sb.agentArgs()).toEqual([
      '-m',
      'clearml_agent',
      `--config-file=${path.join(sb.dir, 'home', 'clearml.conf')}`,
      'daemon',
      '--queue=aws_gpu',
      '--docker=nvidia/cuda:12.2.0-runtime-ubuntu22.04',
    ]);
    expect(sb.agentEnv()).toMatchObject({
      CLEARML_WORKER_ID: 'dynamic_aws:gpu_t4:g4dn.xlarge:i-0feedfacecafe0001',
      CLEARML_API_HOST: 'https://api.clear.ml',
      CLEARML_WEB_HOST: 'https://app.clear.ml',
      CLEARML_FILES_HOST: 'https://files.clear.ml',
      CLEARML_API_ACCESS_KEY: SECRETS.accessKey,
      CLEARML_API_SECRET_KEY: SECRETS.secretKey,
      NVIDIA_VISIBLE_DEVICES: 'none',
      CLEARML_AGENT_QUEUE_POLL_FREQ_SEC: '2',
      INIT_SAYS: 'hello',
    });

    const conf = sb.read('home/clearml.conf');
    expect(conf).toBe(
      `agent.git_user: "alice"\nagent.git_pass: ${JSON.stringify(SECRETS.gitPassword)}\nsdk.aws.s3.key: "storage-key-123"\n`,
    );
    expect(statSync(path.join(sb.dir, 'home', 'clearml.conf')).mode & 0o777).toBe(0o600);
    // The password must come back out of HOCON as it went in (JSON string syntax).
    expect(JSON.parse(/agent\.git_pass: (.*)/.exec(conf)![1]!)).toBe(SECRETS.gitPassword);

    expect(sb.read('usrbin/clearml-autoscaler-watchdog')).toBe(WATCHDOG_SH_COMPACT);
    expect(sb.read('etc/watchdog.env')).toContain('WATCHDOG_LEASE_SEC=1200\nWATCHDOG_GRACE_SEC=600\n');
    expect(sb.read('units/clearml-autoscaler-watchdog.service')).toContain(
      `ExecStart=${path.join(sb.dir, 'usrbin')}/clearml-autoscaler-watchdog --once`,
    );
    expect(sb.calls().filter((c) => c.startsWith('systemctl'))).toEqual([
      'systemctl daemon-reload',
      'systemctl enable clearml-autoscaler-watchdog.timer',
      'systemctl start --no-block clearml-autoscaler-watchdog.timer',
    ]);
    expect(sb.calls()).toContain('pip install -q --disable-pip-version-check clearml-agent==3.0.3');
    expect(Number(sb.read('state/started-at'))).toBeGreaterThan(1_600_000_000);
    expect(stderr).toContain('clearml-agent exited with status 0');
    expect(sb.poweredOff()).toBe(true);

    // IMDSv2: token first, then only authorised reads.
    expect(imds.requests[0]).toMatchObject({ method: 'PUT', path: '/latest/api/token' });
    expect(imds.requests.filter((r) => r.method === 'GET').every((r) => r.authorised)).toBe(true);
  });

  it("a queue named gpu queue+a'b reaches the agent as one --queue argument, unchanged", async () => {
    const queue = "gpu queue+a'b $(touch /tmp/pwned)";
    const { code, stderr, sb } = await runUserData(buildUserData({ ...userDataOptions(), queue }));
    expect(code).toBe(0);
    expect(sb.agentArgs()).toContain(`--queue=${queue}`);
    expect(stderr).toContain(
      `clearml-autoscaler: worker dynamic_aws:gpu_t4:g4dn.xlarge:i-0feedfacecafe0001, queue ${queue}`,
    );
  });

  it('an agent that exits non-zero powers the instance off and the script reports its status', async () => {
    const { code, stderr, sb } = await runUserData(buildUserData(userDataOptions()), { env: { FAKE_AGENT_RC: '3' } });
    expect(code).toBe(3);
    expect(stderr).toContain('clearml-agent exited with status 3');
    expect(stderr).toContain('bootstrap ended (status 3');
    expect(sb.poweredOff()).toBe(true);
  });

  it('a failed setup step powers off before the agent ever starts, naming the failing line', async () => {
    const { code, stderr, sb } = await runUserData(buildUserData(userDataOptions()), { env: { FAKE_PIP_RC: '1' } });
    expect(code).toBe(1);
    expect(stderr).toMatch(/bootstrap ended \(status 1, failed command at line \d+\); powering off/);
    expect(sb.agentArgs()).toBeNull();
    expect(sb.poweredOff()).toBe(true);
  });

  it('metadata refusing a token fails the boot (and powers off) instead of guessing an identity', async () => {
    imds.tokenStatus = 403;
    const { code, sb } = await runUserData(buildUserData(userDataOptions()));
    expect(code).not.toBe(0);
    expect(sb.agentArgs()).toBeNull();
    expect(sb.poweredOff()).toBe(true);
  });

  it('installs python3-venv and git with the package manager when the AMI lacks them', async () => {
    const { code, sb } = await runUserData(buildUserData(userDataOptions({ agent: { defaultDockerImage: '' } })), {
      env: { FAKE_NEED_PACKAGES: '1' },
    });
    expect(code).toBe(0);
    const calls = sb.calls();
    expect(calls).toContain('apt-get -o DPkg::Lock::Timeout=600 -q install -y python3 python3-venv git');
    const venvCalls = calls.filter((c) => c.startsWith('python3 -m venv --clear '));
    expect(venvCalls).toHaveLength(2);
    expect(sb.agentArgs()!.some((a) => a.startsWith('--docker'))).toBe(false);
  });

  it('docker mode without docker on the AMI powers off with a clear message', async () => {
    const { code, stderr, sb } = await runUserData(buildUserData(userDataOptions()), { stubs: { docker: '' } });
    expect(code).toBe(1);
    expect(stderr).toContain("needs docker, and the 'docker' command is missing on this instance");
    expect(stderr).toContain('install it in the init script');
    expect(sb.agentArgs()).toBeNull();
    expect(sb.poweredOff()).toBe(true);
  });

  it('docker installed by the init script (as ClearML documents it) is found: the init script runs first', async () => {
    const initScript =
      'mkdir -p "$HOME/dockerbin"\nprintf \'#!/bin/sh\\n\' >"$HOME/dockerbin/docker"\nchmod 755 "$HOME/dockerbin/docker"\nexport PATH="$HOME/dockerbin:$PATH"';
    const { code, stderr, sb } = await runUserData(buildUserData(userDataOptions({ agent: { initScript } })), {
      stubs: { docker: '' },
    });
    expect(stderr).not.toContain('needs docker');
    expect(code).toBe(0);
    expect(sb.agentArgs()).toContain('--docker=nvidia/cuda:12.2.0-runtime-ubuntu22.04');
  });

  it.each([
    ['expanded by the shell as ClearML does', true, 'sdk.key: "from-env"\nagent.host: "computed"\nunset: ""\n'],
    ['verbatim', false, 'sdk.key: "$CAS_TEST_KEY"\nagent.host: "$(echo computed)"\nunset: "${NOT_SET}"\n'],
  ])('extra clearml.conf %s', async (_, expand, expected) => {
    const extraClearmlConf = 'sdk.key: "$CAS_TEST_KEY"\nagent.host: "$(echo computed)"\nunset: "${NOT_SET}"';
    const opts = userDataOptions({
      agent: { extraClearmlConf, extraClearmlConfShellExpand: expand, gitUser: '' },
      opts: { gitPassword: '' },
    });
    const { code, sb } = await runUserData(buildUserData(opts), { env: { CAS_TEST_KEY: 'from-env' } });
    expect(code).toBe(0);
    expect(sb.read('home/clearml.conf')).toBe(expected);
  });

  it('expanded extra clearml.conf whose last line ends in a backslash: the agent still starts, the conf ends there', async () => {
    // As ClearML imports write it: a Windows path in a comment. bash would take `\`+newline as a continuation.
    const extraClearmlConf = 'sdk.key: "$CAS_TEST_KEY"\n# cache on the data disk: C:\\data\\';
    const opts = userDataOptions({
      agent: { extraClearmlConf, extraClearmlConfShellExpand: true, gitUser: '' },
      opts: { gitPassword: '' },
    });
    const { code, stderr, sb } = await runUserData(buildUserData(opts), { env: { CAS_TEST_KEY: 'from-env' } });
    expect(stderr).not.toContain('here-document');
    expect(code).toBe(0);
    expect(sb.agentArgs()).not.toBeNull();
    expect(sb.read('home/clearml.conf')).toBe('sdk.key: "from-env"\n# cache on the data disk: C:\\data\n');
  });

  it('an init script that does not install docker gets a message naming the init script', async () => {
    const { code, stderr, sb } = await runUserData(
      buildUserData(userDataOptions({ agent: { initScript: 'echo setting up' } })),
      { stubs: { docker: '' } },
    );
    expect(code).toBe(1);
    expect(stderr).toContain('the init script ran but did not install it');
    expect(stderr.indexOf('init script finished')).toBeLessThan(stderr.indexOf('needs docker'));
    expect(sb.agentArgs()).toBeNull();
  });

  it('ssm mode: credentials come from Parameter Store at boot and reach the agent', async () => {
    const opts = userDataOptions({ agent: { clearmlCredentialsFrom: 'ssm', ssmPrefix: '/team/ml', gitUser: 'alice' } });
    const { code, stderr, sb } = await runUserData(buildUserData(opts));
    expect(code).toBe(0);
    expect(sb.agentEnv()).toMatchObject({
      CLEARML_API_ACCESS_KEY: 'ssm-access-key',
      CLEARML_API_SECRET_KEY: "ssm-secret'key",
    });
    expect(sb.agentEnv()['CAS_GIT_PASS']).toBeUndefined();
    expect(sb.calls()).toContain(
      'aws ssm get-parameter --region eu-west-1 --with-decryption --name /team/ml/secret_key --query Parameter.Value --output text',
    );
    expect(sb.read('home/clearml.conf')).toBe('agent.git_user: "alice"\nagent.git_pass: "ssm-git\\"pass"\n');
    for (const v of ['ssm-access-key', 'ssm-secret', 'ssm-git']) expect(stderr).not.toContain(v);
  });

  it('ssm mode: a non-ASCII git password reaches clearml.conf as UTF-8, which the agent reads back', async () => {
    const aws = `#!/bin/bash\ncase "$*" in */git_pass*) printf '%s\\n' 'p£ss§wörd' ;; *) echo key ;; esac\n`;
    const opts = userDataOptions({ agent: { clearmlCredentialsFrom: 'ssm', gitUser: 'alice' } });
    const { code, sb } = await runUserData(buildUserData(opts), { stubs: { aws }, env: { LANG: 'C' } });
    expect(code).toBe(0);
    // Not "p\\u00a3ss…": the agent's HOCON reader would keep such an escape as six characters.
    expect(sb.read('home/clearml.conf')).toBe('agent.git_user: "alice"\nagent.git_pass: "p£ss§wörd"\n');
  });

  it('ssm mode: a git password with a control character powers off with a message naming the parameter', async () => {
    const aws = `#!/bin/bash\ncase "$*" in */git_pass*) printf 'zqx\\001wvy\\n' ;; *) echo key ;; esac\n`;
    const opts = userDataOptions({ agent: { clearmlCredentialsFrom: 'ssm', ssmPrefix: '/team/ml' } });
    const { code, stderr, sb } = await runUserData(buildUserData(opts), { stubs: { aws } });
    expect(code).toBe(1);
    expect(stderr).toContain(
      'clearml-autoscaler: the git password in SSM parameter /team/ml/git_pass contains a control character',
    );
    expect(stderr).not.toContain('zqx');
    expect(sb.agentArgs()).toBeNull();
    expect(sb.poweredOff()).toBe(true);
  });

  it('ssm mode without the AWS CLI uses boto3 in the agent venv', async () => {
    const opts = userDataOptions({ agent: { clearmlCredentialsFrom: 'ssm' }, opts: { gitPassword: '' } });
    const { code, sb } = await runUserData(buildUserData(opts), { stubs: { aws: '' } });
    expect(code).toBe(0);
    expect(sb.calls()).toContain('pip install -q --disable-pip-version-check boto3');
    expect(sb.agentEnv()).toMatchObject({
      CLEARML_API_ACCESS_KEY: 'boto3:/clearml-autoscaler/access_key',
      CLEARML_API_SECRET_KEY: 'boto3:/clearml-autoscaler/secret_key',
    });
  });

  it("an init script's own CLEARML_AGENT_QUEUE_POLL_FREQ_SEC reaches the agent, as the simulator reads it", async () => {
    const script = buildUserData(
      userDataOptions({ agent: { initScript: 'export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=9' } }),
    );
    const { code, sb } = await runUserData(script);
    expect(code).toBe(0);
    expect(sb.agentEnv()['CLEARML_AGENT_QUEUE_POLL_FREQ_SEC']).toBe('9');
    expect(parseUserDataMarkers(script)?.queuePollSec).toBe(9);
  });

  it("the init script runs in ClearML's environment: agent venv active, DYNAMIC_INSTANCE_ID set, ~/.bashrc sourced", async () => {
    // A .bashrc as users write them: not for nounset (an unset variable) and not for errexit (a failing command).
    const bashrc = 'export FROM_BASHRC="yes:${NOT_SET_ANYWHERE}"\nfalse\n';
    const initScript = [
      'printf \'%s\\n\' "id=$DYNAMIC_INSTANCE_ID" "venv=$VIRTUAL_ENV" "python=$(command -v python)" "bashrc=$FROM_BASHRC" >"$HOME/probe"',
    ].join('\n');
    const script = buildUserData(userDataOptions({ agent: { initScript } }));
    const dir = path.join(root, `run-${seq}`);
    const { code, sb } = await runUserData(script, { home: { '.bashrc': bashrc } });
    expect(code).toBe(0);
    expect(sb.read('home/probe')).toBe(
      `id=i-0feedfacecafe0001\nvenv=${dir}/venv\npython=${dir}/venv/bin/python\nbashrc=yes:\n`,
    );
    // The agent, started after, sees the same environment (as ClearML's does).
    expect(sb.agentEnv()).toMatchObject({ DYNAMIC_INSTANCE_ID: 'i-0feedfacecafe0001', FROM_BASHRC: 'yes:' });
  });

  it('with no init script, no ~/.bashrc and a venv without activate, the agent still starts', async () => {
    const script = buildUserData(userDataOptions({ agent: { initScript: '' } }));
    const { code, sb } = await runUserData(script, { env: { FAKE_NO_ACTIVATE: '1' } });
    expect(code).toBe(0);
    expect(sb.agentArgs()).not.toBeNull();
    expect(sb.agentEnv()['DYNAMIC_INSTANCE_ID']).toBe('i-0feedfacecafe0001');
  });

  it('an init script that sets its own EXIT trap does not stop the power-off when the agent exits', async () => {
    const initScript = 'tmp=$(mktemp -d)\ntrap \'rm -rf "$tmp"\' EXIT\necho "using $tmp"';
    const { code, stderr, sb } = await runUserData(buildUserData(userDataOptions({ agent: { initScript } })), {
      env: { FAKE_AGENT_RC: '1' },
    });
    expect(code).toBe(1);
    expect(stderr).toContain('clearml-agent exited with status 1');
    expect(stderr).toContain('bootstrap ended (status 1');
    expect(sb.poweredOff()).toBe(true);
  });

  it("the init script runs with ClearML's default umask 022; its own file and the secrets stay mode 600", async () => {
    const initScript = 'umask >"$HOME/init-umask"\nmkdir "$HOME/shared-cache"';
    const { code, sb } = await runUserData(buildUserData(userDataOptions({ agent: { initScript } })));
    expect(code).toBe(0);
    expect(sb.read('home/init-umask').trim()).toBe('0022');
    expect(statSync(path.join(sb.dir, 'home', 'shared-cache')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(sb.dir, 'state', 'init.sh')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(sb.dir, 'home', 'clearml.conf')).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['exit 0', 'echo setting up\nexit 0\necho never', 0],
    ['set -e, then a failing command', 'set -e\nfalse\necho never', 1],
  ])(
    'an init script that ends the bootstrap (%s) is named on the console before the power-off',
    async (_, initScript, rc) => {
      const { code, stderr, sb } = await runUserData(buildUserData(userDataOptions({ agent: { initScript } })));
      expect(code).toBe(rc);
      expect(stderr).toContain(`clearml-autoscaler: the init script ended the bootstrap (status ${rc})`);
      expect(stderr).toContain('use return to leave it early');
      expect(sb.agentArgs()).toBeNull();
      expect(sb.poweredOff()).toBe(true);
    },
  );

  it('an agent exiting after the init script returned is not blamed on the init script', async () => {
    const { code, stderr } = await runUserData(
      buildUserData(userDataOptions({ agent: { initScript: 'echo setting up' } })),
      { env: { FAKE_AGENT_RC: '1' } },
    );
    expect(code).toBe(1);
    expect(stderr).toContain('bootstrap ended (status 1');
    expect(stderr).not.toContain('the init script ended the bootstrap');
  });

  it('a broken init script is reported and does not stop the agent; lease off installs no watchdog', async () => {
    const opts = userDataOptions({ agent: { initScript: 'if then ((' }, lease: { enabled: false } });
    const { code, stderr, sb } = await runUserData(buildUserData(opts));
    expect(code).toBe(0);
    expect(stderr).toMatch(/init script finished \(status [1-9]/);
    expect(sb.agentArgs()).not.toBeNull();
    expect(existsSync(path.join(sb.dir, 'usrbin', 'clearml-autoscaler-watchdog'))).toBe(false);
    expect(sb.calls().some((c) => c.startsWith('systemctl'))).toBe(false);
  });
});
