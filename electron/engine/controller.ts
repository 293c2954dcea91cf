/**
 * What the outside (Electron main, the preview server, the headless CLI) may ask of a running engine.
 * Implemented by `host.ts`; the IPC service handlers depend only on this interface.
 */
import type { Config } from '../../shared/config.js';
import type { InstanceDetail } from '../../shared/instance-detail.js';
import type { Timeline, TimelineRange } from '../../shared/timeline.js';
import type { MainStore } from './store.js';

export interface ClearmlCredentials {
  accessKey: string;
  secretKey: string;
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Written to the agents' clearml.conf as agent.git_user / agent.git_pass. */
export interface GitCredentials {
  username: string;
  password: string;
}

export interface ResolvedCredentials {
  clearml: ClearmlCredentials | null;
  /**
   * Why `clearml` is null when keys exist or were meant to: withheld from a host never confirmed for them, or
   * found outside the app but ignored (a clearml.conf with a syntax error). The engine's error says this sentence
   * instead of "none set".
   */
  clearmlMissing?: string;
  /** null: use the AWS SDK default chain (env, profiles, SSO). */
  aws: AwsCredentials | null;
  /** For private repositories: written to the agent's clearml.conf (or fetched from SSM), never traced. */
  gitPassword?: string;
  /** From the keychain's git kind: wins over the config's agent.gitUser. */
  gitUser?: string;
}

export interface EngineController {
  readonly store: MainStore;
  /** Turn autoscaling on (start ticking) or off (stop ticking; instances keep running). */
  setEnabled(enabled: boolean): Promise<void>;
  setLaunchesPaused(paused: boolean): void;
  setQueuePaused(queue: string, paused: boolean): void;
  /** Terminate these instances (ours only); returns the ids actually sent to EC2. */
  terminate(instanceIds: readonly string[], reason: string): Promise<string[]>;
  /**
   * Tag instances launched by ClearML's autoscaler (listed in the snapshot's `adoptable`) as ours, after the user
   * confirmed; 'all' adopts every adoptable one. From the next tick they are scaled like instances we launched.
   */
  adopt(instanceIds: readonly string[] | 'all'): Promise<{
    adopted: string[];
    refused: { instanceId: string; reason: string }[];
  }>;
  /** Terminate every instance of ours; returns how many. */
  scaleToZero(): Promise<number>;
  /** After sleep or a network change: observe and reconcile before deciding anything. */
  reconcileNow(reason: string): void;
  /**
   * Test connection passed with the credentials the engine uses (not values typed and unsaved): launches stopped by
   * a refusal of those credentials resume now instead of at the next try.
   */
  credentialsTested?(kind: 'aws' | 'clearml'): void;
  /** Apply a validated config and credentials; takes effect at the next tick. */
  configure(config: Config, credentials: ResolvedCredentials): void;
  /** Stop ticking and wait for the current tick to finish. */
  stop(): Promise<void>;
  /** The scaling history for the charts (absent in hosts that keep none: the dashboard shows an empty chart). */
  /** `after`: the newest point the caller holds of this range; the answer is then a delta. */
  timeline?(hours: TimelineRange, after?: number): Promise<Timeline>;
  /** One instance's lifecycle, spend and, when it is booting or died stuck, its console tail. */
  instanceDetail?(instanceId: string): Promise<InstanceDetail>;
  /**
   * Team mode without a lease table, when another engine acts on the prefix: "this engine acts" or "stand by"
   * (persisted); null forgets the decision.
   */
  teamDecide?(decision: 'act' | 'standby' | null): Promise<void>;
  /** Creates (or finds) the lease table the current config names and waits until it is ACTIVE. */
  createLeaseTable?(): Promise<{ table: string; region: string; created: boolean }>;
}
