/**
 * Which world a config watches: the ClearML server (its queues and workers), the AWS region (its instances) and the
 * workers prefix (which of those are ours). What an engine learnt by watching one world says nothing of another,
 * so memory is handed on, or taken back after a restart, only within the same world.
 */
import type { Config } from '../../shared/config.js';
import { sameServer } from '../../shared/config-review.js';

export interface WorldKey {
  apiHost: string;
  region: string;
  workersPrefix: string;
}

export const worldOf = (c: Config): WorldKey => ({
  apiHost: c.clearml.apiHost,
  region: c.aws.region,
  workersPrefix: c.scaling.workersPrefix,
});

export const sameWorld = (a: WorldKey, b: WorldKey): boolean =>
  sameServer(a.apiHost, b.apiHost) && a.region === b.region && a.workersPrefix === b.workersPrefix;
