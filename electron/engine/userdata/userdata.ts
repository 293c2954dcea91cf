/**
 * The bash startup script (EC2 user data) every instance boots with. It fixes the flaws of the one ClearML's AWS
 * autoscaler generates: setup runs under `set -Eeuo pipefail`; nothing is ever traced (`set -x` would copy
 * secrets to the serial console); IMDSv2 instead of IMDSv1; a `python3 -m venv` with a pinned clearml-agent instead
 * of system pip; ClearML credentials embedded single-quoted or fetched from SSM at boot; AWS credentials never
 * present; and any way the script ends (setup failure, agent crash, clean agent exit) powers the instance off,
 * so a broken instance stops billing instead of running forever. The dead-man watchdog is installed first, so
 * even a hung setup step is bounded by the lease. What users' init scripts rely on is kept: they run as under
 * ClearML, with the agent venv active, DYNAMIC_INSTANCE_ID exported and ~/.bashrc sourced.
 *
 * Every value from the config enters the script through `shellQuote` or a literal here-document.
 */
import {
  AMI_PATTERN,
  effectiveLease,
  gitCredentialProblem,
  INSTANCE_TYPE_PATTERN,
  NAME_PATTERN,
} from '../../../shared/config.js';
import { queueNameProblem } from '../../../shared/queue-name.js';
import { REGION_PATTERN } from '../../../shared/aws-region.js';
import type { AgentSettings, Config, FieldIssue, Lease, Resource } from '../../../shared/config.js';
import { expandingHeredoc, literalHeredoc, shellQuote } from './shellQuote.js';
import { WATCHDOG_SH_COMPACT, watchdogEnv } from './watchdog.js';
import { entryOf } from '../../../shared/data-record.js';

/** EC2 rejects user data over 16 KB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export const SECRETS_BEGIN_MARKER = '# >>> clearml-autoscaler secrets: never traced, never echoed >>>';
export const SECRETS_END_MARKER = '# <<< clearml-autoscaler secrets <<<';

/** Paths on the instance (the first lines of the script; tests point them at a sandbox). */
export const INSTANCE_PATHS = {
  stateDir: '/var/lib/clearml-autoscaler',
  etcDir: '/etc/clearml-autoscaler',
  binDir: '/usr/local/bin',
  unitDir: '/etc/systemd/system',
  systemdRunDir: '/run/systemd/system',
  venv: '/opt/clearml-agent-venv',
  imds: 'http://169.254.169.254',
  poweroff: 'shutdown -h now',
} as const;

/**
 * IAM policy the instance profile needs when `agent.clearmlCredentialsFrom` is `ssm`: read the SecureStrings
 * under the prefix, and decrypt them (kms:Decrypt matters only for a customer-managed key; the default
 * `aws/ssm` key is usable by any principal of the account that may read the parameter).
 */
export function ssmIamPolicy(ssmPrefix: string): string {
  const path = ssmPrefix.replace(/^\/+|\/+$/g, '');
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReadClearmlAgentSecrets',
          Effect: 'Allow',
          Action: ['ssm:GetParameter'],
          Resource: `arn:aws:ssm:*:*:parameter/${path}/*`,
        },
        {
          Sid: 'DecryptThemThroughSsmOnly',
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: '*',
          Condition: { StringLike: { 'kms:ViaService': 'ssm.*.amazonaws.com' } },
        },
      ],
    },
    null,
    2,
  );
}

/** The policy for the default prefix `/clearml-autoscaler`, for the README. */
export const SSM_IAM_POLICY: string = ssmIamPolicy('/clearml-autoscaler');

/** SSM parameter names (SecureString) read at boot in `ssm` mode. */
export function ssmParameterNames(ssmPrefix: string): { accessKey: string; secretKey: string; gitPassword: string } {
  const base = ssmPrefix.replace(/\/+$/, '');
  return { accessKey: `${base}/access_key`, secretKey: `${base}/secret_key`, gitPassword: `${base}/git_pass` };
}

export interface UserDataOptions {
  prefix: string;
  resource: string;
  resourceConf: Resource;
  queue: string;
  clearml: { apiHost: string; webHost?: string; filesHost?: string };
  agent: AgentSettings;
  lease: Lease;
  /** Embedded in `user-data` mode; ignored (never embedded) in `ssm` mode. null: the AMI's own clearml.conf. */
  clearmlCredentials: { accessKey: string; secretKey: string } | null;
  /** `user-data` mode: embedded. `ssm` mode: its value is never used; non-empty means read `<ssmPrefix>/git_pass`. */
  gitPassword?: string;
  region: string;
}

export class UserDataError extends Error {
  override name = 'UserDataError';
  /** Set when the script is over EC2's size limit. */
  readonly size?: UserDataSize;
  constructor(message: string, size?: UserDataSize) {
    super(message);
    if (size) this.size = size;
  }
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new UserDataError(message);
}

/**
 * Python (the agent venv's) that turns the git password from SSM, on stdin, into the clearml.conf line; argv[1] is
 * the parameter's name, for the message.
 */
const GIT_PASS_TO_CONF = [
  'import json, re, sys',
  'p = sys.stdin.buffer.read().decode("utf-8")',
  're.search("[\\x00-\\x1f\\x7f-\\x9f]", p) and sys.exit("clearml-autoscaler: the git password in SSM parameter %s contains a control character (a newline, a tab, ...), which clearml-agent cannot read from clearml.conf: store it again without one" % sys.argv[1])',
  'sys.stdout.buffer.write(("agent.git_pass: " + json.dumps(p, ensure_ascii=False) + "\\n").encode("utf-8"))',
].join('; ');

/** A HOCON line `key: "value"`; HOCON quoted strings are JSON strings. */
const hoconLine = (key: string, value: string) => `${key}: ${JSON.stringify(value)}`;

export function buildUserData(opts: UserDataOptions): string {
  const { prefix, resource, resourceConf: rc, queue, agent, lease } = opts;
  // Refuse anything the config schema would: the prefix and resource become worker-id segments; the queue is
  // only ever a single-quoted shell word.
  check(NAME_PATTERN.test(prefix), `workers prefix '${prefix}' is not a valid name`);
  check(NAME_PATTERN.test(resource), `resource name '${resource}' is not a valid name`);
  check(queueNameProblem(queue) === null, `queue name ${JSON.stringify(queue)} is not valid`);
  check(INSTANCE_TYPE_PATTERN.test(rc.instanceType), `instance type '${rc.instanceType}' is not valid`);
  check(AMI_PATTERN.test(rc.amiId), `AMI id '${rc.amiId}' is not valid`);
  check(REGION_PATTERN.test(opts.region), `region '${opts.region}' is not valid`);
  const gitUserProblem = gitCredentialProblem(agent.gitUser, 'git user');
  check(gitUserProblem === null, `agent.gitUser: ${gitUserProblem}`);
  // In ssm mode the password is read at boot, where the script checks it itself.
  const gitPassProblem =
    agent.clearmlCredentialsFrom === 'ssm' ? null : gitCredentialProblem(opts.gitPassword ?? '', 'git password');
  check(gitPassProblem === null, `the stored ${gitPassProblem}; set the git credentials again without them`);

  const ssm = agent.clearmlCredentialsFrom === 'ssm';
  const dockerImage = rc.dockerImage ?? agent.defaultDockerImage;
  const P = INSTANCE_PATHS;
  const q = shellQuote;
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);

  add(
    '#!/bin/bash',
    '# clearml-tray-autoscaler instance bootstrap (generated). Runs once, as root, from cloud-init.',
    '# Any exit (setup failure, agent crash or clean agent exit) powers the instance off: it launches with',
    '# shutdown behaviour "terminate", so a broken instance stops billing instead of idling forever.',
    'set -Eeuo pipefail',
    'umask 077',
    `CLEARML_AUTOSCALER_WORKER_ID_PREFIX=${q(`${prefix}:${resource}:${rc.instanceType}`)}`,
    `CLEARML_AUTOSCALER_QUEUE=${q(queue)}`,
    `CAS_DIR=${q(P.stateDir)}`,
    `CAS_ETC=${q(P.etcDir)}`,
    `CAS_BIN=${q(P.binDir)}`,
    `CAS_UNITS=${q(P.unitDir)}`,
    `CAS_SYSTEMD=${q(P.systemdRunDir)}`,
    `CAS_VENV=${q(P.venv)}`,
    `CAS_IMDS=${q(P.imds)}`,
    `CAS_POWEROFF=${q(P.poweroff)}`,
    'CAS_CONF="${HOME:-/root}/clearml.conf"',
    "CAS_FAILED_LINE=''",
    '',
    'cas_log() { printf \'clearml-autoscaler: %s\\n\' "$*" >&2; }',
    'cas_exit() {',
    '  local rc=$?',
    '  trap - EXIT ERR',
    // The init script is sourced: its `exit`, or a failing command under its own `set -e`, ends this script, and
    // without this line the console would not say which part did.
    '  [ -z "${CAS_IN_INIT:-}" ] || cas_log "the init script ended the bootstrap (status $rc): it is sourced, so its exit (or a failing command under its own set -e) ends the startup script; use return to leave it early"',
    '  cas_log "bootstrap ended (status $rc${CAS_FAILED_LINE:+, failed command at line $CAS_FAILED_LINE}); powering off"',
    '  sync || true',
    '  eval "$CAS_POWEROFF" || cas_log "power-off failed"',
    '}',
    "trap 'CAS_FAILED_LINE=$LINENO' ERR",
    'trap cas_exit EXIT',
    'mkdir -p "$CAS_DIR" "$CAS_ETC"',
    // Written once: the watchdog counts an unrenewed lease and the hard lifetime from here.
    '[ -s "$CAS_DIR/started-at" ] || date +%s >"$CAS_DIR/started-at"',
    '',
    '# IMDSv2 (a token first): instances may require it, and IMDSv1 is off on new AMIs.',
    'CAS_TOKEN=$(curl -sSf --retry 10 --retry-connrefused --retry-delay 1 --max-time 5 -X PUT -H \'X-aws-ec2-metadata-token-ttl-seconds: 300\' "$CAS_IMDS/latest/api/token")',
    'CAS_INSTANCE_ID=$(curl -sSf --retry 5 --max-time 5 -H "X-aws-ec2-metadata-token: $CAS_TOKEN" "$CAS_IMDS/latest/meta-data/instance-id")',
    "# Under the name ClearML's instances export it: init scripts and tasks written for them read it.",
    'export DYNAMIC_INSTANCE_ID="$CAS_INSTANCE_ID"',
    'export CLEARML_WORKER_ID="$CLEARML_AUTOSCALER_WORKER_ID_PREFIX:$CAS_INSTANCE_ID"',
    'cas_log "worker $CLEARML_WORKER_ID, queue $CLEARML_AUTOSCALER_QUEUE"',
    '',
  );

  if (lease.enabled) {
    const env = watchdogEnv(lease, P.stateDir);
    const envFile = Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    add(
      '# Dead-man watchdog, installed before anything slow: powers off when the app stops renewing the lease tag',
      '# and the agent is idle. A systemd timer where systemd runs (fresh process per check, scheduled by systemd),',
      '# else a nohup loop.',
      literalHeredoc('cat >"$CAS_BIN/clearml-autoscaler-watchdog"', 'CAS_WATCHDOG_EOF', WATCHDOG_SH_COMPACT).trimEnd(),
      'chmod 755 "$CAS_BIN/clearml-autoscaler-watchdog"',
      literalHeredoc('cat >"$CAS_ETC/watchdog.env"', 'CAS_ENV_EOF', envFile).trimEnd(),
      'if [ -d "$CAS_SYSTEMD" ]; then',
      '  cat >"$CAS_UNITS/clearml-autoscaler-watchdog.service" <<EOF',
      '[Unit]',
      'Description=clearml-autoscaler dead-man watchdog (one check)',
      '[Service]',
      'Type=oneshot',
      'EnvironmentFile=$CAS_ETC/watchdog.env',
      'ExecStart=$CAS_BIN/clearml-autoscaler-watchdog --once',
      'EOF',
      '  cat >"$CAS_UNITS/clearml-autoscaler-watchdog.timer" <<EOF',
      '[Unit]',
      'Description=clearml-autoscaler dead-man watchdog, every minute',
      '[Timer]',
      'OnActiveSec=30s',
      'OnUnitActiveSec=60s',
      'AccuracySec=5s',
      '[Install]',
      'WantedBy=timers.target',
      'EOF',
      '  chmod 644 "$CAS_UNITS"/clearml-autoscaler-watchdog.*',
      '  systemctl daemon-reload',
      '  systemctl enable clearml-autoscaler-watchdog.timer',
      // --no-block: cloud-init itself runs in a systemd unit; never wait on a job from inside it.
      '  systemctl start --no-block clearml-autoscaler-watchdog.timer',
      'else',
      '  (set -a; . "$CAS_ETC/watchdog.env"; set +a',
      '    nohup "$CAS_BIN/clearml-autoscaler-watchdog" --loop >>/var/log/clearml-autoscaler-watchdog.log 2>&1 &)',
      'fi',
      'cas_log "watchdog installed"',
      '',
    );
  } else {
    add('# Lease disabled in the config: no dead-man watchdog on this instance.', '');
  }

  add(
    '# Python venv with a pinned agent (no system pip: PEP 668). A pre-baked AMI that already has this venv',
    '# with the pinned version skips every install.',
    `CAS_AGENT_VERSION=${q(agent.agentVersion)}`,
    'cas_packages() {',
    '  cas_log "installing python3 venv support and git"',
    '  if command -v apt-get >/dev/null 2>&1; then',
    '    export DEBIAN_FRONTEND=noninteractive',
    '    apt-get -o DPkg::Lock::Timeout=600 -q update',
    '    apt-get -o DPkg::Lock::Timeout=600 -q install -y python3 python3-venv git',
    '  elif command -v dnf >/dev/null 2>&1; then dnf -q install -y python3 git',
    '  elif command -v yum >/dev/null 2>&1; then yum -q install -y python3 git',
    '  else cas_log "no apt-get, dnf or yum: use an AMI that has python3 (with venv) and git"; return 1',
    '  fi',
    '}',
    // Asked of Python directly, never `pip show | grep -q`: under pipefail that pipeline fails whenever grep exits
    // before pip has written everything (pip dies of the broken pipe), which sent pre-baked venvs down the
    // reinstall path below, `venv --clear` included (found by running the real agent's venv through this script).
    `if "$CAS_VENV/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version("clearml-agent") != sys.argv[1])' "$CAS_AGENT_VERSION" 2>/dev/null; then`,
    '  cas_log "clearml-agent $CAS_AGENT_VERSION already installed"',
    'else',
    '  if ! command -v git >/dev/null 2>&1 || ! python3 -m venv --clear "$CAS_VENV" >/dev/null 2>&1; then',
    '    cas_packages',
    '    python3 -m venv --clear "$CAS_VENV"',
    '  fi',
    '  "$CAS_VENV/bin/python" -m pip install -q --disable-pip-version-check "clearml-agent==$CAS_AGENT_VERSION"',
    'fi',
  );
  if (ssm) {
    add(
      `CAS_REGION=${q(opts.region)}`,
      '# SSM mode: secrets are read at boot with the instance profile (policy: ssm:GetParameter on the prefix,',
      '# kms:Decrypt via SSM). The AWS CLI if present, else boto3 in the agent venv.',
      'if ! command -v aws >/dev/null 2>&1; then "$CAS_VENV/bin/python" -m pip install -q --disable-pip-version-check boto3; fi',
      'cas_ssm_get() {',
      '  if command -v aws >/dev/null 2>&1; then',
      '    aws ssm get-parameter --region "$CAS_REGION" --with-decryption --name "$1" --query Parameter.Value --output text',
      '  else',
      `    "$CAS_VENV/bin/python" -c 'import sys, boto3; print(boto3.client("ssm", region_name=sys.argv[1]).get_parameter(Name=sys.argv[2], WithDecryption=True)["Parameter"]["Value"])' "$CAS_REGION" "$1"`,
      '  fi',
      '}',
    );
  }
  add('');

  add(`export CLEARML_API_HOST=${q(opts.clearml.apiHost)}`);
  // Before the init script, so an export of its own wins.
  add(`export CLEARML_AGENT_QUEUE_POLL_FREQ_SEC=${agent.queuePollSec}`);
  if (opts.clearml.webHost) add(`export CLEARML_WEB_HOST=${q(opts.clearml.webHost)}`);
  if (opts.clearml.filesHost) add(`export CLEARML_FILES_HOST=${q(opts.clearml.filesHost)}`);

  // Secrets: no tracing is ever enabled in this script; `set +x` also covers a script run by hand with `bash -x`.
  add(SECRETS_BEGIN_MARKER, 'set +x');
  const confLines: string[] = [];
  if (agent.gitUser) confLines.push(hoconLine('agent.git_user', agent.gitUser));
  if (ssm) {
    const n = ssmParameterNames(agent.ssmPrefix);
    add(
      `CLEARML_API_ACCESS_KEY=$(cas_ssm_get ${q(n.accessKey)})`,
      `CLEARML_API_SECRET_KEY=$(cas_ssm_get ${q(n.secretKey)})`,
      'export CLEARML_API_ACCESS_KEY CLEARML_API_SECRET_KEY',
    );
    if (confLines.length) add(literalHeredoc('cat >>"$CAS_CONF"', 'CAS_CONF_EOF', confLines.join('\n')).trimEnd());
    if (opts.gitPassword) {
      add(
        `CAS_GIT_PASS=$(cas_ssm_get ${q(n.gitPassword)})`,
        // Written as UTF-8, not as `\u` escapes (json.dumps' default), which the agent's HOCON reader leaves
        // undecoded; for the same reason a control character is refused here, naming the parameter.
        `printf '%s' "$CAS_GIT_PASS" | "$CAS_VENV/bin/python" -c ${q(GIT_PASS_TO_CONF)} ${q(n.gitPassword)} >>"$CAS_CONF"`,
        'unset CAS_GIT_PASS',
      );
    }
  } else {
    if (opts.clearmlCredentials) {
      add(
        `export CLEARML_API_ACCESS_KEY=${q(opts.clearmlCredentials.accessKey)}`,
        `export CLEARML_API_SECRET_KEY=${q(opts.clearmlCredentials.secretKey)}`,
      );
    } else {
      add('# No ClearML credentials configured: the agent uses the clearml.conf baked into the AMI.');
    }
    if (opts.gitPassword) confLines.push(hoconLine('agent.git_pass', opts.gitPassword));
    if (confLines.length) add(literalHeredoc('cat >>"$CAS_CONF"', 'CAS_CONF_EOF', confLines.join('\n')).trimEnd());
  }
  // The extra conf often carries storage keys (sdk.aws.s3), so it stays inside the secrets section.
  if (agent.extraClearmlConf.trim() !== '') {
    if (agent.extraClearmlConfShellExpand) {
      // As ClearML writes it: through the shell, so $VAR and $(cmd) expand here; an unset variable is empty.
      add(
        'set +u',
        expandingHeredoc('cat >>"$CAS_CONF"', 'CAS_EXTRA_CONF_EOF', agent.extraClearmlConf).trimEnd(),
        'set -u',
      );
    } else {
      add(literalHeredoc('cat >>"$CAS_CONF"', 'CAS_EXTRA_CONF_EOF', agent.extraClearmlConf).trimEnd());
    }
  }
  add('touch "$CAS_CONF"', SECRETS_END_MARKER, '');

  if (rc.cpuOnly) add('export NVIDIA_VISIBLE_DEVICES=none');
  const init = agent.initScript.trim() !== '';
  // Written while the umask is still 077: the init script may carry secrets of its own.
  if (init) add(literalHeredoc('cat >"$CAS_DIR/init.sh"', 'CAS_INIT_EOF', agent.initScript).trimEnd());
  add(
    "# The environment ClearML's instances give the init script and the agent: the default umask (what the init",
    '# script creates, e.g. a cache dir a container user mounts, must be usable by others; the secrets are on disk,',
    "# mode 600, by now), the agent venv active (python and pip are the agent's), then ~/.bashrc sourced. Neither",
    '# file is written for errexit or nounset, so both run relaxed, as the init script does.',
    'umask 022',
    'trap - ERR',
    'set +Eeu +o pipefail',
    '[ -f "$CAS_VENV/bin/activate" ] && . "$CAS_VENV/bin/activate"',
    '[ -f "${HOME:-/root}/.bashrc" ] && . "${HOME:-/root}/.bashrc"',
  );
  if (init) {
    add(
      "# The user's init script, sourced from a file (a syntax error in it cannot break this script) and run as",
      '# ClearML runs it: same shell (its exports reach the agent), no errexit.',
      'cas_log "running the init script"',
      'CAS_IN_INIT=1',
      '. "$CAS_DIR/init.sh"',
      'cas_log "init script finished (status $?)"',
      "CAS_IN_INIT=''",
    );
  }
  // The init script is sourced into this shell, so a `trap … EXIT` of its own (a common cleanup idiom) replaced ours:
  // the power-off is put back with the ERR trap.
  add('set +x -Eeuo pipefail', "trap 'CAS_FAILED_LINE=$LINENO' ERR", 'trap cas_exit EXIT');
  // Checked after the init script: installing docker there is how ClearML's docs set up docker mode on an AMI
  // without it.
  if (dockerImage !== '') {
    const fix =
      agent.initScript.trim() === ''
        ? 'use an AMI with docker (e.g. a deep-learning AMI), install it in the init script, or set an empty docker image for venv mode'
        : 'the init script ran but did not install it: fix the init script, use an AMI with docker, or set an empty docker image for venv mode';
    add(
      'if ! command -v docker >/dev/null 2>&1; then',
      `  cas_log ${q(`docker mode (image ${dockerImage}) needs docker, and the 'docker' command is missing on this instance: ${fix}`)}`,
      '  exit 1',
      'fi',
    );
  }
  add('');

  // Each value joined to its option with `=`: as a separate word, a queue such as `-gpu` (a valid ClearML name) or
  // an image starting with `-` is read by the agent's argparse as an option, and the agent exits at once.
  const daemon = [`"$CAS_VENV/bin/python" -m clearml_agent --config-file="$CAS_CONF" daemon --queue=${q(queue)}`];
  if (dockerImage !== '') daemon.push(`--docker=${q(dockerImage)}`);
  add(
    '# The agent in the foreground; when it exits, for any reason, the EXIT trap powers the instance off.',
    'cas_log "starting clearml-agent $CAS_AGENT_VERSION"',
    'CAS_AGENT_STATUS=0',
    `${daemon.join(' ')} || CAS_AGENT_STATUS=$?`,
    'cas_log "clearml-agent exited with status $CAS_AGENT_STATUS"',
    'exit "$CAS_AGENT_STATUS"',
  );

  const script = out.join('\n') + '\n';
  const bytes = Buffer.byteLength(script, 'utf8');
  if (bytes > USER_DATA_LIMIT_BYTES) {
    const size = { queue, resource, bytes, ...partSizes(agent) };
    throw new UserDataError(userDataSizeMessage(size), size);
  }
  return script;
}

/** A startup script's size, with the two parts the user writes. */
export interface UserDataSize {
  queue: string;
  resource: string;
  bytes: number;
  initScriptBytes: number;
  extraConfBytes: number;
}

const partSizes = (agent: AgentSettings) => ({
  initScriptBytes: Buffer.byteLength(agent.initScript, 'utf8'),
  extraConfBytes: Buffer.byteLength(agent.extraClearmlConf, 'utf8'),
});

/** What the user reads when the script is over EC2's limit, at launch and before (import, save). */
export function userDataSizeMessage(s: UserDataSize): string {
  const own = s.bytes - s.initScriptBytes - s.extraConfBytes;
  return (
    `the startup script for queue '${s.queue}' on resource '${s.resource}' is ${s.bytes} bytes, over EC2's ` +
    `${USER_DATA_LIMIT_BYTES}-byte user-data limit, so every launch would be refused: the init script is ` +
    `${s.initScriptBytes} bytes, the extra clearml.conf ${s.extraConfBytes} bytes and this app's own part about ` +
    `${own} bytes. Shorten the init script or the extra clearml.conf by at least ${s.bytes - USER_DATA_LIMIT_BYTES} ` +
    'bytes: bake the setup into the AMI, or let a short init script download the rest (e.g. from S3)'
  );
}

/**
 * Stand-ins for the ClearML keys, which are not known where a config is checked before launch (import, save). A
 * little longer than the keys ClearML servers hand out, so a script that fits with them fits with the real keys; the
 * launch checks again with the real ones.
 */
const SIZE_CHECK_KEYS = { accessKey: 'K'.repeat(32), secretKey: 'S'.repeat(64) };

/**
 * The largest startup script any (queue, resource) pair of the config would launch with, when it is over EC2's
 * limit (null when every one fits): the same build as at launch, so the user learns it before the first launch
 * fails. A pair the builder refuses for another reason is left to the config's own checks.
 */
export function userDataOverLimit(
  config: Config,
  secrets: { gitUser?: string; gitPassword?: string } = {},
): UserDataSize | null {
  // As the engine builds it: a stored git user wins over the config's (host.ts).
  const agent = secrets.gitUser ? { ...config.agent, gitUser: secrets.gitUser } : config.agent;
  let worst: UserDataSize | null = null;
  for (const [queue, entries] of Object.entries(config.queues)) {
    for (const { resource } of entries) {
      const rc = entryOf(config.resources, resource);
      if (!rc) continue;
      try {
        buildUserData({
          prefix: config.scaling.workersPrefix,
          resource,
          resourceConf: rc,
          queue,
          clearml: config.clearml,
          agent,
          lease: effectiveLease(config),
          clearmlCredentials: SIZE_CHECK_KEYS,
          ...(secrets.gitPassword ? { gitPassword: secrets.gitPassword } : {}),
          region: config.aws.region,
        });
      } catch (e) {
        if (!(e instanceof UserDataError)) throw e;
        const size = e.size;
        if (size && (worst === null || size.bytes > worst.bytes)) worst = size;
      }
    }
  }
  return worst;
}

/** Agent credentials for simulated instances (the simulator's scripts are only parsed for their markers). */
export const SIMULATED_AGENT_KEYS = { accessKey: 'SIMULATED', secretKey: 'simulated-not-a-secret' };

/**
 * The startup-script builder the engine takes (`EngineDeps.userData`) for one config and one set of agent secrets.
 * The script depends only on the config and the (queue, resource) pair, so each is built once.
 */
export function userDataBuilder(
  config: Config,
  secrets: { clearml: { accessKey: string; secretKey: string } | null; gitPassword?: string },
): (launch: { queue: string; resource: string }) => string {
  const built = new Map<string, string>();
  return ({ queue, resource }) => {
    const key = `${queue}|${resource}`;
    let text = built.get(key);
    if (text === undefined) {
      text = buildUserData({
        prefix: config.scaling.workersPrefix,
        resource,
        resourceConf: entryOf(config.resources, resource)!,
        queue,
        clearml: config.clearml,
        agent: config.agent,
        lease: effectiveLease(config),
        clearmlCredentials: secrets.clearml,
        ...(secrets.gitPassword ? { gitPassword: secrets.gitPassword } : {}),
        region: config.aws.region,
      });
      built.set(key, text);
    }
    return text;
  };
}

/**
 * The issue a config gets, at `path` (the init script's field in the form or file at hand), when a startup script it
 * would launch with is over EC2's limit; none when every one fits. `secrets`: the git credentials the launches would
 * use, where they are known, since they are part of the script.
 */
export function userDataSizeIssues(
  config: Config,
  path: string,
  secrets: { gitUser?: string; gitPassword?: string } = {},
): FieldIssue[] {
  const over = userDataOverLimit(config, secrets);
  return over ? [{ path, message: userDataSizeMessage(over) }] : [];
}
