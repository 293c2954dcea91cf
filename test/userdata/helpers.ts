import { ConfigSchema, type ConfigInput } from '../../shared/config.js';
import type { UserDataOptions } from '../../electron/engine/userdata/userdata.js';

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
