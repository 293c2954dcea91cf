/**
 * What an imported ClearML autoscaler config does differently here, so switching over holds no surprise. The
 * importer defaults to ClearML's behaviour where a setting exists for it; every remaining difference, and every
 * field not carried over, is listed with the setting that controls it. Pure: codes and data, with `differenceText`
 * rendering the words the import preview and the headless warnings show.
 */
import { AGENT_DEFAULT_QUEUE_POLL_SEC, type Config, type Preference } from '../../../shared/config.js';

export type ImportDifference =
  /** A field of the file that is not carried over. */
  | { code: 'not-carried'; path: string; reason: 'launch-spec-override' | 'unused-by-clearml' | 'secret-to-keychain' }
  /** ClearML's behaviour kept; our improvement is one setting away. */
  | { code: 'surplus-idle'; maxIdleMin: number; preference: Preference }
  | { code: 'preference'; preference: Preference; maxIdleMin: number }
  | { code: 'spot-fallback-off'; resources: string[] }
  | { code: 'extra-conf-expanded'; hasDollar: boolean }
  | { code: 'polling-default'; seconds: number }
  /** Ours, deliberately: how to change it is named. */
  | { code: 'agent-pinned'; version: string }
  | { code: 'agent-queue-poll'; seconds: number }
  | { code: 'lease'; leaseMin: number; graceMin: number }
  | { code: 'startup-script' }
  | { code: 'imds-v2-only' }
  | { code: 'agent-exit-powers-off' }
  | { code: 'tags-at-launch' }
  | { code: 'zombie-workers' }
  | { code: 'lost-tasks-requeued' }
  | { code: 'idle-kept-per-pending' }
  | { code: 'global-cap'; maxTotalInstances: number }
  | { code: 'foreign-instances'; prefix: string };

/** What ClearML's startup script installs with apt-get before the init script (cloud_driver.py's template). */
export const CLEARML_BUILD_PACKAGES = ['build-essential', 'gcc', 'git', 'python3-dev', 'python3-pip'] as const;

export interface DifferenceFacts {
  /** The imported config, ClearML's behaviour applied where a setting allows it. */
  config: Config;
  /** Paths in the file that were not carried over, with why. */
  notCarried: { path: string; reason: Extract<ImportDifference, { code: 'not-carried' }>['reason'] }[];
  /** polling_interval_time_min was absent (ClearML's default applies). */
  pollingDefaulted: boolean;
}

export function clearmlDifferences(f: DifferenceFacts): ImportDifference[] {
  const c = f.config;
  const out: ImportDifference[] = f.notCarried.map((n) => ({ code: 'not-carried', ...n }));
  out.push({ code: 'surplus-idle', maxIdleMin: c.scaling.maxIdleMin, preference: c.scaling.preference });
  // No value of it is ClearML's rule, so it is always listed, with the value closest to ClearML's.
  out.push({ code: 'preference', preference: c.scaling.preference, maxIdleMin: c.scaling.maxIdleMin });
  const spot = Object.entries(c.resources)
    .filter(([, r]) => r.market === 'spot' && !r.spotFallbackToOnDemand)
    .map(([name]) => name);
  if (spot.length) out.push({ code: 'spot-fallback-off', resources: spot });
  if (c.agent.extraClearmlConf.trim() !== '' && c.agent.extraClearmlConfShellExpand) {
    out.push({ code: 'extra-conf-expanded', hasDollar: c.agent.extraClearmlConf.includes('$') });
  }
  if (f.pollingDefaulted) out.push({ code: 'polling-default', seconds: c.scaling.pollingIntervalSec });
  out.push({ code: 'agent-pinned', version: c.agent.agentVersion });
  // An init script that sets the poll itself (as ClearML's extra_vm_bash_script could) wins on the instance.
  const ownPoll = c.agent.initScript.includes('CLEARML_AGENT_QUEUE_POLL_FREQ_SEC');
  if (!ownPoll && c.agent.queuePollSec !== AGENT_DEFAULT_QUEUE_POLL_SEC) {
    out.push({ code: 'agent-queue-poll', seconds: c.agent.queuePollSec });
  }
  if (c.lease.enabled) out.push({ code: 'lease', leaseMin: c.lease.leaseMin, graceMin: c.lease.graceMin });
  out.push(
    { code: 'startup-script' },
    { code: 'imds-v2-only' },
    { code: 'agent-exit-powers-off' },
    { code: 'tags-at-launch' },
    { code: 'zombie-workers' },
    { code: 'lost-tasks-requeued' },
    { code: 'idle-kept-per-pending' },
    { code: 'global-cap', maxTotalInstances: c.scaling.maxTotalInstances },
    { code: 'foreign-instances', prefix: c.scaling.workersPrefix },
  );
  return out;
}

export interface DifferenceView {
  code: ImportDifference['code'];
  /** The file's field, for a field not carried over. */
  path: string | null;
  /** The setting that turns our behaviour on (or off), when one exists. */
  setting: string | null;
  text: string;
}

export function differenceText(d: ImportDifference): DifferenceView {
  const v = (setting: string | null, text: string, path: string | null = null): DifferenceView => ({
    code: d.code,
    path,
    setting,
    text,
  });
  switch (d.code) {
    case 'not-carried':
      return v(
        null,
        d.reason === 'launch-spec-override'
          ? `${d.path} is not carried over: raw launch-spec overrides could drop the ownership and lease tags or the terminate-on-shutdown behaviour; use the resource's own settings (subnets, security groups, IAM profile, EBS, tags)`
          : d.reason === 'secret-to-keychain'
            ? `${d.path} is not carried over into the config: secrets belong in the OS keychain (Credentials in the app; environment or the AWS chain headless)`
            : `${d.path} is not carried over: ClearML's autoscaler reads it but never uses it`,
        d.path,
      );
    case 'surplus-idle':
      return v(
        'scaling.surplusIdleMin',
        `idle workers the keep-warm rule does not keep wait max_idle_time_min (${d.maxIdleMin} min) before they are terminated, as in ClearML (scaling.surplusIdleMin is set to it)${d.preference === 'latency' ? '' : `, but at scaling.preference ${d.preference} some idle workers go sooner (see scaling.preference)`}; set scaling.surplusIdleMin (e.g. 2) to let idle workers beyond the pending tasks and recent demand go sooner`,
      );
    case 'preference':
      return v('scaling.preference', preferenceText(d.preference, d.maxIdleMin));
    case 'spot-fallback-off':
      return v(
        'resources.<name>.spotFallbackToOnDemand',
        `spot resources ${d.resources.join(', ')} do not fall back to on-demand when spot capacity is short, as in ClearML; set spotFallbackToOnDemand: true on a resource to retry on-demand in the same placement`,
      );
    case 'extra-conf-expanded':
      return v(
        'agent.extraClearmlConfShellExpand',
        `extra_clearml_conf is written through the instance's shell, as ClearML does ($VAR and $(cmd) are expanded there)${d.hasDollar ? '; it contains $, so check each one: a HOCON substitution ${...} is expanded by the shell too' : ''}; set agent.extraClearmlConfShellExpand: false to write it verbatim`,
      );
    case 'polling-default':
      return v(
        'scaling.pollingIntervalSec',
        `polling_interval_time_min is not set, so ClearML's default of 5 min applies (${d.seconds} s); set scaling.pollingIntervalSec (e.g. 15) to react within seconds`,
      );
    case 'agent-pinned':
      return v(
        'agent.agentVersion',
        `instances install clearml-agent ${d.version}, pinned, where ClearML installs the latest release at every boot (an unpinned agent broke every ClearML autoscaler at once with 2.0.0); change agent.agentVersion to move to another release`,
      );
    case 'agent-queue-poll':
      return v(
        'agent.queuePollSec',
        `an idle agent asks its queue for a task every ${d.seconds} s, where ClearML's instances keep the agent's default of ${AGENT_DEFAULT_QUEUE_POLL_SEC} s: a task that finds an idle worker starts sooner, for more requests to the ClearML server while agents are idle; set agent.queuePollSec: ${AGENT_DEFAULT_QUEUE_POLL_SEC} for ClearML's behaviour`,
      );
    case 'lease':
      return v(
        'lease.enabled',
        `an idle instance powers itself off when this app has not renewed its lease for ${d.leaseMin} + ${d.graceMin} min (the app quit, crashed or lost the network), where ClearML's instances run on unwatched; set lease.enabled: false for ClearML's behaviour`,
      );
    case 'startup-script':
      return v(
        null,
        `the startup script differs from ClearML's: the agent runs in a python3 venv (no system pip), instance metadata is read with IMDSv2, nothing is traced (ClearML's set -x copies credentials to the console log), and a failed setup step stops the boot; the init script runs as under ClearML (the agent venv active, DYNAMIC_INSTANCE_ID exported, ~/.bashrc sourced, in the shell that then starts the agent), before the agent and before the docker check. ClearML's script also installs ${CLEARML_BUILD_PACKAGES.join(' ')} with apt-get at every boot; this one installs only python3, python3-venv and git, and only when the AMI lacks them, so a venv-mode task that compiles a C extension, or an init script that calls pip3 or gcc, needs them on the AMI or installed by the init script (e.g. apt-get install -y ${CLEARML_BUILD_PACKAGES.join(' ')})`,
      );
    case 'imds-v2-only':
      return v(
        null,
        "instances launch with IMDSv1 off (metadata tokens required; ClearML leaves the AMI's default, which often allows IMDSv1): in the init script and in tasks, a plain curl to http://169.254.169.254/latest/meta-data/... gets 401 Unauthorized. Get a token first (curl -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token, then send it as the X-aws-ec2-metadata-token header; the AWS CLI and SDKs do this themselves); the instance id is in $DYNAMIC_INSTANCE_ID, as under ClearML",
      );
    case 'agent-exit-powers-off':
      return v(
        null,
        'an instance powers off whenever its agent exits, also on an error (ClearML leaves an instance whose agent failed running)',
      );
    case 'tags-at-launch':
      return v(
        null,
        "tags are applied at launch to the instance and its volumes (ClearML tags the instance only, after launch); a user's Name tag is kept and this app's own tags are added. The global hyper_params.tags apply to every resource (ClearML reads them but tags nothing with them), and tag keys with a space or '/' are left out: instances here expose their tags to instance metadata for the lease watchdog, and EC2 then allows only letters, digits and + - = . , _ : @ in keys",
      );
    case 'zombie-workers':
      return v(
        null,
        'the ClearML worker of an instance this app terminated is unregistered at once (ClearML leaves it listed for about 10 min); a worker whose instance still exists is never unregistered',
      );
    case 'lost-tasks-requeued':
      return v(
        null,
        'a task whose instance was lost (spot interruption, crash) is stopped and enqueued again; ClearML leaves it running until the server gives up on it',
      );
    case 'idle-kept-per-pending':
      return v(
        null,
        "while a queue has pending tasks, as many idle workers as pending tasks are kept (ClearML keeps every idle worker of the queue's resources)",
      );
    case 'global-cap':
      return v(
        'scaling.maxTotalInstances',
        `at most ${d.maxTotalInstances} instances run at once (the sum of the queue caps, so nothing changes until you lower it); ClearML has no global cap`,
      );
    case 'foreign-instances':
      return v(
        null,
        `instances ClearML's autoscaler already runs (workers named ${d.prefix}:…) count as capacity and are left alone until you adopt them (the app offers it; headless: --adopt)`,
      );
  }
}

/**
 * scaling.preference in plain words: what it changes against ClearML's rule (launch for every pending task beyond the
 * idle and booting workers; keep every idle worker for max_idle_time_min), and which value comes closest.
 */
function preferenceText(preference: Preference, maxIdleMin: number): string {
  const prewarm =
    'on a queue whose tasks come at regular intervals, a worker is started a boot ahead of the next expected task, with nothing pending yet (ClearML launches only for pending tasks)';
  switch (preference) {
    case 'latency':
      return `scaling.preference is latency, the closest to ClearML: every idle worker is kept up to max_idle_time_min (${maxIdleMin} min) while tasks keep coming, and every pending task not covered by an idle or booting worker gets a launch. One difference stays: ${prewarm}. balanced (the default) and cost save more by letting idle workers go sooner`;
    case 'balanced':
      return `scaling.preference is balanced, this app's default (ClearML has no such setting), which trades a little waiting for less idle time than ClearML's rule: on a queue whose tasks come at regular intervals, the idle worker is terminated right after its task and a new one is started a boot ahead of the next expected task, with nothing pending yet (ClearML launches only for pending tasks); an idle worker kept for an expected task goes once it has idled twice as long as that task was expected, before max_idle_time_min (${maxIdleMin} min); and a pending task is left to a busy worker likely to finish within a boot instead of getting a launch. Set scaling.preference: latency to be closest to ClearML (idle workers kept up to max_idle_time_min, a launch for every pending task; only the start ahead of a regular queue's next task stays)`;
    case 'cost':
      return `scaling.preference is cost: once a queue's arrivals are learnt, an idle worker is kept only when its next task is expected within a boot and the others are terminated at once, and a pending task is left to a busy worker likely to finish within a boot instead of getting a launch (ClearML keeps every idle worker up to max_idle_time_min, ${maxIdleMin} min, and launches for every pending task). Set scaling.preference: latency to be closest to ClearML`;
  }
}
