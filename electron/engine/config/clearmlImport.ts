/**
 * Import of a ClearML AWS autoscaler config (`aws_autoscaler.yaml`: `hyper_params` + `configurations`, as
 * ClearML's `aws_autoscaler.py` service writes it) into our config. Every field is mapped, moved (secrets go to
 * the keychain, not the config), or refused with a reason; every invalid value is reported at its path in the
 * ORIGINAL file, with what would be valid. Values are read by `clearml-reader.ts`; resources and queues by
 * `clearml-resources.ts`; this file owns the hyper-parameters, secrets, agent and scaling settings.
 */
import { ConfigSchema, MAX_POLLING_INTERVAL_SEC, type Config, type FieldIssue } from '../../../shared/config.js';
import { clearmlDifferences, type ImportDifference } from './clearml-differences.js';
import { compact, isObj, Reader, writtenNumber, type Obj } from './clearml-reader.js';
import { importQueues, importResource, RESOURCE_KEYS } from './clearml-resources.js';
import { dotted, issueMessage } from './issues.js';
import { userDataSizeIssues } from '../userdata/userdata.js';

export type ConfigFormat = 'ours' | 'clearml' | 'unknown';

export interface ImportedSecrets {
  awsAccessKeyId?: string;
  awsSecretAccessKey?: string;
  awsSessionToken?: string;
  gitPassword?: string;
}

export interface ClearmlHosts {
  /** Not in a ClearML autoscaler file: the caller resolves it (CLEARML_API_HOST or api.api_server). */
  clearmlApiHost?: string | null;
  clearmlWebHost?: string | null;
  clearmlFilesHost?: string | null;
  /**
   * The region to use when the file has no cloud_credentials_region, as ClearML's boto3 falls back to its
   * environment then: the environment's (`awsRegionFromEnv`), or in the app the saved configuration's or the one
   * entered with the file.
   */
  awsRegion?: EnvRegion | null;
}

/** A region from outside the file, with where it came from (named in the import's warning). */
export interface EnvRegion {
  region: string;
  /** "AWS_REGION", or where else it came from ("the saved configuration"). */
  from: string;
  /** From an environment variable (`from` names it): the file then runs where ClearML's would have. */
  variable?: boolean;
}

/**
 * The region an AWS tool run in this environment would use, from the variables: AWS_REGION first, as the AWS CLI
 * and SDKs take it, then AWS_DEFAULT_REGION (the one boto3, and so ClearML's autoscaler, reads). The caller passes
 * its environment: the importer reads none itself.
 */
export function awsRegionFromEnv(env: Readonly<Record<string, string | undefined>>): EnvRegion | null {
  for (const from of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const region = env[from]?.trim();
    if (region) return { region, from, variable: true };
  }
  return null;
}

export interface ClearmlImport {
  /** The validated config (defaults applied), or null when any issue was found. */
  config: Config | null;
  issues: FieldIssue[];
  warnings: string[];
  secrets: ImportedSecrets;
  /** Every field not carried over and every behaviour that differs from ClearML's autoscaler (empty when invalid). */
  differences: ImportDifference[];
}

/** Path reported when the ClearML API host argument is missing or invalid. */
export const API_HOST_PATH = 'clearmlApiHost';

const OUR_KEYS = Object.keys(ConfigSchema.shape);

function sumQueueCaps(queues: unknown): number {
  if (!isObj(queues)) return 0;
  let total = 0;
  for (const entries of Object.values(queues)) {
    if (!Array.isArray(entries)) continue;
    // A fractional cap is reported at the file's own entry; counted here it would add an issue on
    // scaling.maxTotalInstances, a setting the file does not have.
    for (const e of entries) if (isObj(e) && Number.isInteger(e['maxInstances'])) total += e['maxInstances'] as number;
  }
  return total;
}

export function detectFormat(doc: unknown): ConfigFormat {
  if (!isObj(doc)) return 'unknown';
  if ('hyper_params' in doc || 'configurations' in doc) return 'clearml';
  const keys = Object.keys(doc);
  if (
    keys.includes('resources') ||
    keys.includes('clearml') ||
    (keys.length > 0 && keys.every((k) => OUR_KEYS.includes(k)))
  ) {
    return 'ours';
  }
  return 'unknown';
}

/** The hyper_params fields that hold secrets: never carried into the config (the keychain keeps secrets). */
export const SECRET_FIELDS = [
  'cloud_credentials_key',
  'cloud_credentials_secret',
  'cloud_credentials_token',
  'git_pass',
];
/** The settings ClearML reads as true or false, in hyper_params and in each resource. */
export const BOOLEAN_SETTINGS: ReadonlySet<string> = new Set([
  'use_credentials_chain',
  'use_iam_instance_profile',
  'is_spot',
  'cpu_only',
  'enable_monitoring',
]);
/**
 * The warnings for secrets taken out of the file: the app's import replaces them with one note that names every
 * field (`service/config-io.ts`); a headless run prints them as they are.
 */
export const AWS_KEYS_MOVED =
  'hyper_params.cloud_credentials_*: AWS keys were taken out of the config; they belong in the OS keychain (the app stores them there). Remove them from the file, which anyone who can read it can use.';
export const GIT_PASS_MOVED =
  'hyper_params.git_pass: the git password was taken out of the config; it belongs in the OS keychain. Remove it from the file.';
/**
 * The same read from a service task: the secrets sit in the task's hyperparameters on the ClearML server (anyone who
 * can open the task reads them), and in the exported file.
 */
export const SECRETS_IN_TASK =
  " ClearML's autoscaler task holds them too, in its hyperparameters (anyone who can open the task in ClearML reads them): clear them there once this app runs in its place, and delete the exported file.";

const HYPER_PARAMS = new Set([
  'cloud_credentials_key',
  'cloud_credentials_secret',
  'cloud_credentials_token',
  'cloud_credentials_region',
  'use_credentials_chain',
  'use_iam_instance_profile',
  'iam_arn',
  'iam_name',
  'git_user',
  'git_pass',
  'default_docker_image',
  'max_idle_time_min',
  'polling_interval_time_min',
  'max_spin_up_time_min',
  'workers_prefix',
  'cloud_provider',
  'tags',
]);
const CONFIGURATIONS = new Set([
  'resource_configurations',
  'queues',
  'extra_clearml_conf',
  'extra_trains_conf',
  'extra_vm_bash_script',
]);

/** Every key of ClearML's autoscaler config this importer understands (checked against ClearML's code). */
export const CLEARML_KEYS = {
  hyperParams: HYPER_PARAMS as ReadonlySet<string>,
  configurations: CONFIGURATIONS as ReadonlySet<string>,
  resource: RESOURCE_KEYS as ReadonlySet<string>,
};

/** ClearML's own default when the file has no workers_prefix; the prefix decides which workers are ours. */
const CLEARML_DEFAULT_PREFIX = 'dynamic_worker';
/** scaling.pollingIntervalSec's bound, in the minutes a ClearML file counts in. */
const MAX_POLL_MIN = MAX_POLLING_INTERVAL_SEC / 60;
/** ClearML's ScalerConfig defaults, used when the file leaves a setting out. */
const CLEARML_DEFAULT_POLL_MIN = 5;
const CLEARML_DEFAULT_IDLE_MIN = 15;

export function importClearmlConfig(doc: unknown, hosts: ClearmlHosts = {}): ClearmlImport {
  const r = new Reader();
  const secrets: ImportedSecrets = {};
  if (!isObj(doc)) {
    r.issue('(root)', 'not a ClearML autoscaler config: expected a mapping with hyper_params and configurations');
    return { config: null, issues: r.issues, warnings: r.warnings, secrets, differences: [] };
  }
  for (const k of Object.keys(doc)) {
    if (k !== 'hyper_params' && k !== 'configurations')
      r.warnings.push(`${k}: not part of a ClearML autoscaler config; ignored`);
  }
  const hpRaw = doc['hyper_params'] ?? {};
  const cfRaw = doc['configurations'] ?? {};
  if (!isObj(hpRaw)) r.issue('hyper_params', 'must be a mapping of settings');
  if (!isObj(cfRaw)) r.issue('configurations', 'must be a mapping with resource_configurations and queues');
  const hp: Obj = isObj(hpRaw) ? hpRaw : {};
  const cf: Obj = isObj(cfRaw) ? cfRaw : {};
  r.unknownKeys(hp, HYPER_PARAMS, 'hyper_params');
  r.unknownKeys(cf, CONFIGURATIONS, 'configurations');
  const H = (k: string) => `hyper_params.${k}`;
  const C = (k: string) => `configurations.${k}`;

  // AWS credentials leave the config: the app keeps them in the OS keychain.
  const chain = r.bool(hp['use_credentials_chain'], H('use_credentials_chain')) ?? false;
  const key = r.text(hp['cloud_credentials_key'], H('cloud_credentials_key'));
  const secret = r.text(hp['cloud_credentials_secret'], H('cloud_credentials_secret'));
  const token = r.text(hp['cloud_credentials_token'], H('cloud_credentials_token'));
  if (chain && (key || secret || token)) {
    r.warnings.push(
      'hyper_params.cloud_credentials_*: ignored because use_credentials_chain is true (ClearML ignores them too); the default AWS credential chain (environment, profiles, SSO) will be used. Delete them from the file.',
    );
  } else if (key || secret || token) {
    if (!key || !secret) {
      r.warnings.push(
        'hyper_params.cloud_credentials_key/secret: only one of the pair is set, so neither is usable; the default AWS credential chain will be used unless you enter both',
      );
    }
    if (key && secret) {
      secrets.awsAccessKeyId = key;
      secrets.awsSecretAccessKey = secret;
      if (token) secrets.awsSessionToken = token;
    }
    r.warnings.push(AWS_KEYS_MOVED);
  }

  for (const k of SECRET_FIELDS) {
    if (typeof hp[k] === 'string' && hp[k].trim() !== '')
      r.notCarried.push({ path: H(k), reason: 'secret-to-keychain' });
  }
  for (const k of ['use_iam_instance_profile', 'cloud_provider']) {
    if (hp[k] !== undefined && hp[k] !== null && hp[k] !== '')
      r.notCarried.push({ path: H(k), reason: 'unused-by-clearml' });
  }

  const gitPass = r.text(hp['git_pass'], H('git_pass'));
  if (gitPass) {
    secrets.gitPassword = gitPass;
    r.warnings.push(GIT_PASS_MOVED);
  }

  const iamArn = r.text(hp['iam_arn'], H('iam_arn'));
  const iamName = r.text(hp['iam_name'], H('iam_name'));
  if (iamArn && iamName) r.warnings.push('hyper_params.iam_name: ignored because iam_arn is set (as in ClearML)');
  const iam = iamArn ? { arn: iamArn } : iamName ? { name: iamName } : undefined;
  const iamPath = iamArn ? H('iam_arn') : iamName ? H('iam_name') : undefined;

  const globalTags = r.tags(hp['tags'], H('tags'));

  // Resources and queues.
  const rcRaw = cf['resource_configurations'];
  const resources: Obj = {};
  if (rcRaw === undefined || rcRaw === null) {
    r.issue(C('resource_configurations'), 'missing: a map of resource name to its EC2 settings');
  } else if (!isObj(rcRaw)) {
    r.issue(C('resource_configurations'), 'must be a map of resource name to its EC2 settings');
  } else {
    for (const [name, raw] of Object.entries(rcRaw)) {
      const res = importResource(r, name, raw, { tags: globalTags, iam, iamPath });
      if (res) resources[name] = res;
    }
  }
  const queues = importQueues(r, cf['queues'], isObj(rcRaw) ? Object.keys(rcRaw) : []);

  // Agent settings.
  const extraClearmlConf = r.block(cf['extra_clearml_conf'], C('extra_clearml_conf'));
  // ClearML's driver writes only extra_clearml_conf into the instances' clearml.conf (CloudDriver.from_config never
  // reads extra_trains_conf): its instances never had this text, so it is left off ours too, whatever its type.
  const trains = cf['extra_trains_conf'];
  if (trains !== undefined && trains !== null && !(typeof trains === 'string' && trains.trim() === '')) {
    r.warnings.push(
      `${C('extra_trains_conf')}: ClearML's autoscaler ignores it (only extra_clearml_conf reaches the instances' clearml.conf), so it is not put on the instances here either. If its settings are meant for the agents, move them into extra_clearml_conf`,
    );
  }
  r.origin.set('agent.extraClearmlConf', C('extra_clearml_conf'));
  r.origin.set('agent.initScript', C('extra_vm_bash_script'));
  r.origin.set('agent.gitUser', H('git_user'));
  r.origin.set('agent.defaultDockerImage', H('default_docker_image'));
  if (extraClearmlConf?.includes('$')) {
    r.warnings.push(
      "configurations.extra_clearml_conf contains '$': as in ClearML, the instance's shell expands $VAR and $(cmd) in it, and a HOCON substitution ${...} is expanded by the shell as well (usually to nothing). Check each '$', or set agent.extraClearmlConfShellExpand: false to write the text verbatim",
    );
  }
  const agent = compact({
    defaultDockerImage: r.text(hp['default_docker_image'], H('default_docker_image')),
    extraClearmlConf,
    // ClearML writes it through an unquoted here-document.
    extraClearmlConfShellExpand: true,
    initScript: r.block(cf['extra_vm_bash_script'], C('extra_vm_bash_script')),
    gitUser: r.text(hp['git_user'], H('git_user')),
  });

  // Scaling: ClearML thinks in minutes, fractions allowed here (ClearML's validators reject 0.5).
  const pollInFile = minutesSetting(r, hp, 'polling_interval_time_min');
  const pollMin = pollInFile ?? CLEARML_DEFAULT_POLL_MIN;
  const pollingIntervalSec = Math.round(pollMin * 60 * 1000) / 1000;
  r.origin.set('scaling.pollingIntervalSec', H('polling_interval_time_min'));
  if (pollInFile !== undefined && pollInFile <= 0) {
    // Refused, not copied: without a pause ClearML's loop asked the ClearML server as fast as it answered; with a
    // negative one, Python's sleep failed at the end of every poll, and the restarted loop forgot its booting
    // instances and launched again for the tasks they were for.
    r.issue(
      H('polling_interval_time_min'),
      pollInFile === 0
        ? `is 0: ClearML's autoscaler polled without a pause, as fast as the ClearML server answered; this app waits at least 2 s between polls. Write the minutes between polls, e.g. ${CLEARML_DEFAULT_POLL_MIN} (ClearML's default) or 0.25 (15 s)`
        : `is ${pollInFile}: ClearML's autoscaler failed at the end of each poll (Python cannot sleep a negative time) and started over 15 s later, forgetting the instances it had just launched, so it launched again for the tasks they were for. Write the minutes between polls, e.g. ${CLEARML_DEFAULT_POLL_MIN} (ClearML's default) or 0.25 (15 s)`,
    );
  } else if (pollInFile !== undefined && pollInFile > MAX_POLL_MIN) {
    // Kept: launches and terminations are decided at each poll, so a longer one leaves queued tasks waiting and
    // idle instances billing for that long, and an instance's lease is renewed only then.
    r.issue(
      H('polling_interval_time_min'),
      `${pollInFile} min is more than this app's ${MAX_POLL_MIN} min (ClearML's autoscaler allowed it). This app decides launches and terminations at each poll, so a queued task would wait up to ${pollInFile} min for an instance; write ${MAX_POLL_MIN} or less (ClearML's default is ${CLEARML_DEFAULT_POLL_MIN})`,
    );
  }
  if (pollInFile !== undefined) {
    r.notes.set('scaling.pollingIntervalSec', `(the file says ${pollMin} min = ${pollingIntervalSec} s)`);
  }
  r.origin.set('scaling.maxIdleMin', H('max_idle_time_min'));
  r.origin.set('scaling.maxSpinUpMin', H('max_spin_up_time_min'));
  r.origin.set('scaling.workersPrefix', H('workers_prefix'));
  let maxIdleMin = minutesSetting(r, hp, 'max_idle_time_min') ?? CLEARML_DEFAULT_IDLE_MIN;
  if (maxIdleMin < 0) {
    // ClearML terminates an idle worker once it has idled longer than this: any time at all, as with 0.
    r.warnings.push(
      `${H('max_idle_time_min')} is ${maxIdleMin}: ClearML's autoscaler terminated each idle worker at the next poll, as with 0. Imported as 0, which does the same; write 0`,
    );
    maxIdleMin = 0;
  }
  r.origin.set('scaling.surplusIdleMin', H('max_idle_time_min'));
  const spinUpMin = minutesSetting(r, hp, 'max_spin_up_time_min');
  if (spinUpMin !== undefined && spinUpMin <= 0) {
    // Kept: an instance that has not registered its worker within this time is terminated as stuck.
    r.issue(
      H('max_spin_up_time_min'),
      `must be more than 0 (ClearML's autoscaler allowed ${spinUpMin}, and then terminated as stuck every instance that had not registered its worker by the next poll). Write the minutes an instance may take to boot, e.g. 30 (ClearML's default)`,
    );
  }
  const scaling = compact({
    pollingIntervalSec,
    maxIdleMin,
    // ClearML keeps every idle worker for max_idle_time_min; our shorter surplus rule is one setting away.
    surplusIdleMin: maxIdleMin,
    maxSpinUpMin: spinUpMin,
    workersPrefix: r.text(hp['workers_prefix'], H('workers_prefix')) ?? CLEARML_DEFAULT_PREFIX,
    // ClearML has no global cap: the sum of the queue caps keeps the imported file's limits, no lower.
    maxTotalInstances: Math.min(10_000, Math.max(1, sumQueueCaps(queues))),
  });

  // Region and the ClearML server (not in the file).
  const inFile = r.text(hp['cloud_credentials_region'], H('cloud_credentials_region'));
  const fromEnv = inFile === undefined ? (hosts.awsRegion ?? null) : null;
  const region = inFile ?? fromEnv?.region;
  r.origin.set('aws.region', H('cloud_credentials_region'));
  if (fromEnv) {
    r.warnings.push(
      fromEnv.variable
        ? `hyper_params.cloud_credentials_region: not set; the region is ${fromEnv.region}, from ${fromEnv.from} in this environment (ClearML's autoscaler also takes the region from its environment then). Set cloud_credentials_region (aws.region here) to keep it from changing with the environment`
        : `hyper_params.cloud_credentials_region: not set; the region is ${fromEnv.region}, from ${fromEnv.from} (ClearML's autoscaler takes it from its environment then: check it is the region its instances ran in). Set cloud_credentials_region in the file to name it there`,
    );
    r.notes.set('aws.region', `(it came from ${fromEnv.from})`);
  }
  const apiHost = hosts.clearmlApiHost?.trim() || undefined;
  r.origin.set('clearml.apiHost', API_HOST_PATH);
  r.origin.set('clearml', API_HOST_PATH);
  r.origin.set('clearml.webHost', 'clearmlWebHost');
  r.origin.set('clearml.filesHost', 'clearmlFilesHost');
  if (!apiHost) {
    r.issue(
      API_HOST_PATH,
      'missing: the ClearML API server URL (e.g. https://api.clear.ml) is not part of a ClearML autoscaler config; set CLEARML_API_HOST or api.api_server in ~/clearml.conf, or enter it in the app',
    );
  }

  const input = {
    clearml: compact({
      apiHost: apiHost ?? 'https://clearml-api-host.invalid', // placeholder so other fields still get validated
      webHost: hosts.clearmlWebHost?.trim() || undefined,
      filesHost: hosts.clearmlFilesHost?.trim() || undefined,
    }),
    aws: { region },
    resources,
    queues,
    scaling,
    agent,
  };

  const parsed = ConfigSchema.safeParse(input);
  const seen = new Set(r.issues.map((i) => i.path));
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      const ours = dotted(zi.path);
      const path = originalPath(r.origin, zi.path) ?? ours;
      if (seen.has(path)) continue; // already reported by the importer, with the file's own wording
      seen.add(path);
      const note = r.notes.get(ours);
      r.issues.push({ path, message: note ? `${issueMessage(zi)} ${note}` : issueMessage(zi) });
    }
  }
  // ClearML's startup script is about 1 KB, ours several: an init script that fitted there may not here, and EC2
  // would refuse every launch. Said now, at the init script, rather than at the first launch.
  if (parsed.success && r.issues.length === 0) {
    r.issues.push(...userDataSizeIssues(parsed.data, C('extra_vm_bash_script'), secrets));
  }
  const config = parsed.success && r.issues.length === 0 ? parsed.data : null;
  const differences = config
    ? clearmlDifferences({ config, notCarried: r.notCarried, pollingDefaulted: pollInFile === undefined })
    : [];
  return { config, issues: r.issues, warnings: r.warnings, secrets, differences };
}

/**
 * ClearML's ScalerConfig checks the types of its three minute settings before it starts: max_idle_time_min and
 * max_spin_up_time_min must be Python ints (true and false pass, as 1 and 0), polling_interval_time_min an int or a
 * float. This app takes fractions in all three.
 */
const WHOLE_MINUTES: ReadonlySet<string> = new Set(['max_idle_time_min', 'max_spin_up_time_min']);
const DEFAULT_MINUTES: Readonly<Record<string, number>> = {
  max_idle_time_min: CLEARML_DEFAULT_IDLE_MIN,
  max_spin_up_time_min: 30,
  polling_interval_time_min: CLEARML_DEFAULT_POLL_MIN,
};

/**
 * A minutes setting of hyper_params, with a warning when ClearML's autoscaler refused to start with the form it is
 * written in (text; a fraction where it takes whole minutes) and this app reads it. true/false is refused: ClearML
 * ran it as 1 or 0 min, but in a minutes setting it is a slip, not a duration.
 */
function minutesSetting(r: Reader, hp: Obj, field: string): number | undefined {
  const path = `hyper_params.${field}`;
  const w = writtenNumber(hp[field]);
  const eg = DEFAULT_MINUTES[field]!;
  switch (w.form) {
    case 'missing':
      return undefined;
    case 'boolean':
      return r.issue(
        path,
        `is ${w.value}, not a number of minutes (ClearML's autoscaler took it as ${w.value ? 1 : 0} min); write the minutes, e.g. ${eg} (ClearML's default)`,
      );
    case 'other':
      return r.issue(path, `must be a number of minutes, not ${w.written}; e.g. ${eg} (ClearML's default)`);
    case 'text':
      if (w.value === undefined) {
        return r.issue(
          path,
          `must be a number of minutes, not ${JSON.stringify(w.text)}; e.g. ${eg} (ClearML's default)`,
        );
      }
      r.warnings.push(
        `${path} is the text ${JSON.stringify(w.text)}: ClearML's autoscaler refused to start with text here (it checks for a number). Imported as ${w.value} min; write ${w.value} without quotes`,
      );
      return w.value;
    case 'number':
      if (WHOLE_MINUTES.has(field) && !Number.isInteger(w.value)) {
        r.warnings.push(
          `${path} is ${w.value}: ClearML's autoscaler refused to start with it (it takes whole minutes here). Imported as ${w.value} min, as this app takes fractions; write a whole number if ClearML's autoscaler must run the file too`,
        );
      }
      return w.value;
  }
}

/** Longest registered prefix of our path, with the rest appended (e.g. a tag key under a tags string). */
function originalPath(origin: Map<string, string>, path: readonly PropertyKey[]): string | undefined {
  const segs = path.map(String);
  for (let n = segs.length; n > 0; n--) {
    const hit = origin.get(segs.slice(0, n).join('.'));
    if (hit !== undefined && hit !== '') return [hit, ...segs.slice(n)].join('.');
  }
  return undefined;
}
