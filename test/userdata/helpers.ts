import { ConfigSchema, type ConfigInput } from '../../shared/config.js';
import path from 'node:path';
import { INSTANCE_PATHS, type UserDataOptions } from '../../electron/engine/userdata/userdata.js';

export const SECRETS = {
  accessKey: 'CLEARMLACCESSKEY0001',
  secretKey: 's3cr\'et $(touch /tmp/pwned) `id` "q"',
  gitPassword: 'ghp_g1tP\'a"ss\\word$HOME',
};

type Overrides = {
  resource?: Partial<ConfigInput['resources'][string]>;
  agent?: ConfigInput['agent'];
  lease?: ConfigInput['lease'];
  opts?: Partial<UserDataOptions>;
};

/** Options for buildUserData from a real, schema-validated config (so defaults are the schema's). */
export function userDataOptions(o: Overrides = {}): UserDataOptions {
  const cfg = ConfigSchema.parse({
    clearml: { apiHost: 'https://api.clear.ml', webHost: 'https://app.clear.ml', filesHost: 'https://files.clear.ml' },
    aws: { region: 'eu-west-1' },
    resources: {
      gpu_t4: { instanceType: 'g4dn.xlarge', amiId: 'ami-0123456789abcdef0', market: 'spot', ...o.resource },
    },
    queues: { aws_gpu: [{ resource: 'gpu_t4', maxInstances: 3 }] },
    agent: { defaultDockerImage: 'nvidia/cuda:12.2.0-runtime-ubuntu22.04', gitUser: 'alice', ...o.agent },
    lease: o.lease ?? {},
  });
  return {
    prefix: cfg.scaling.workersPrefix,
    resource: 'gpu_t4',
    resourceConf: cfg.resources['gpu_t4']!,
    queue: 'aws_gpu',
    clearml: cfg.clearml,
    agent: cfg.agent,
    lease: cfg.lease,
    clearmlCredentials: { accessKey: SECRETS.accessKey, secretKey: SECRETS.secretKey },
    gitPassword: SECRETS.gitPassword,
    region: cfg.aws.region,
    ...o.opts,
  };
}

/**
 * The user data with every production path constant redirected (state, /etc, /usr/bin, units, systemd, the agent
 * venv), the IMDS at `imdsUrl` and poweroff as a marker file. `replaced` must equal `expected` (every constant of
 * INSTANCE_PATHS), or a run could touch the machine it runs on.
 */
export function sandboxUserData(
  script: string,
  o: { dir: string; venv: string; imdsUrl: string; poweroffMark: string },
): { script: string; replaced: number; expected: number } {
  const paths: Record<string, string> = {
    CAS_DIR: path.join(o.dir, 'state'),
    CAS_ETC: path.join(o.dir, 'etc'),
    CAS_BIN: path.join(o.dir, 'usrbin'),
    CAS_UNITS: path.join(o.dir, 'units'),
    // Exists, so the script takes its systemd branch (a timer through the systemctl stub), never a real loop.
    CAS_SYSTEMD: path.join(o.dir, 'systemd'),
    CAS_VENV: o.venv,
    CAS_IMDS: o.imdsUrl,
    CAS_POWEROFF: `touch '${o.poweroffMark}'`,
  };
  let replaced = 0;
  const out = script.replace(/^(CAS_[A-Z]+)=.*$/gm, (line, name: string) => {
    if (!(name in paths)) return line;
    replaced++;
    return `${name}='${paths[name]!.replaceAll("'", `'\\''`)}'`;
  });
  return { script: out, replaced, expected: Object.keys(INSTANCE_PATHS).length };
}
