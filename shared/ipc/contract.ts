/**
 * The one IPC contract. Main (router), preload (one function per channel), the preview WebSocket bridge and
 * the renderer all derive their types from this table, so a channel cannot drift between the two sides.
 * Secrets only ever travel renderer → main (credentials.set); no response schema has a secret field.
 */
import { z } from 'zod';
import { ConfigSchema, gitCredentialProblem } from '../config.js';
import { SnapshotSchema } from '../domain.js';
import { INSTANCE_ID_PATTERN, InstanceDetailSchema } from '../instance-detail.js';
import { PublicSettingsSchema, SettingsPatchSchema } from '../settings.js';
import { TimelineRangeSchema, TimelineSchema } from '../timeline.js';
import { TeamDecisionSchema } from '../team.js';

export const CHANNEL_PREFIX = 'autoscaler:';

const FieldIssueSchema = z.object({ path: z.string(), message: z.string() });
/** A git user or password as the agents can read it from clearml.conf (see gitCredentialProblem). */
const gitCredential = (what: 'git user' | 'git password') =>
  z.string().superRefine((v, ctx) => {
    const problem = gitCredentialProblem(v, what);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const CredentialKindSchema = z.enum(['clearml', 'aws', 'git']);
/** Instance ids a request acts on: at least one, at most EC2's 1000 a call. */
const InstanceIdsSchema = z.array(z.string().regex(INSTANCE_ID_PATTERN)).min(1).max(1000);

const CredentialStatusSchema = z.object({
  set: z.boolean(),
  /** ms epoch when it was stored; never the value. */
  setAt: z.number().nullable(),
  /** Where the engine would take it from when not set here: "environment", "~/clearml.conf", "AWS SDK chain". */
  fallback: z.string().nullable(),
  /**
   * ClearML only, with a fallback: the API host from the same source (api_server next to the keys in
   * clearml.conf, or CLEARML_API_HOST), so a first setup can take the keys and their server together.
   */
  fallbackApiHost: z.string().nullable().optional(),
  /**
   * ClearML only, when nothing is stored: what was found outside the app and ignored, and why (a clearml.conf with
   * a syntax error, half a key pair in the environment), so "not set" does not hide a file the user thinks is used.
   */
  fallbackProblem: z.string().optional(),
});

export const invokeContract = {
  'autoscaler:state.getSnapshot': { req: z.object({}).strict(), res: SnapshotSchema },
  'autoscaler:engine.setEnabled': {
    req: z.object({ enabled: z.boolean() }).strict(),
    res: z.object({ enabled: z.boolean() }),
  },
  'autoscaler:engine.setLaunchesPaused': {
    req: z.object({ paused: z.boolean() }).strict(),
    res: z.object({ paused: z.boolean() }),
  },
  'autoscaler:engine.scaleToZero': { req: z.object({}).strict(), res: z.object({ terminating: z.number() }) },
  /**
   * The kill switch: turns autoscaling off, then terminates every instance this app launched in every region it
   * has launched in, busy ones included. `confirm` makes an accidental call impossible; per-region results.
   */
  'autoscaler:engine.stopEverything': {
    req: z.object({ confirm: z.literal(true) }).strict(),
    res: z.object({
      regions: z.array(z.object({ region: z.string(), terminated: z.number(), error: z.string().nullable() })),
    }),
  },
  'autoscaler:queue.setPaused': {
    req: z.object({ queue: z.string().min(1).max(128), paused: z.boolean() }).strict(),
    res: z.object({ queue: z.string(), paused: z.boolean() }),
  },
  'autoscaler:instances.terminate': {
    req: z
      .object({
        instanceIds: InstanceIdsSchema,
      })
      .strict(),
    res: z.object({ terminating: z.array(z.string()) }),
  },
  /**
   * Adopt instances launched by ClearML's autoscaler (the snapshot's `adoptable`): tags them as ours. `confirm`:
   * the user saw what adoption means (this app may then terminate them when idle).
   */
  'autoscaler:instances.adopt': {
    req: z
      .object({
        instanceIds: InstanceIdsSchema,
        confirm: z.literal(true),
      })
      .strict(),
    res: z.object({
      adopted: z.array(z.string()),
      refused: z.array(z.object({ instanceId: z.string(), reason: z.string() })),
    }),
  },
  /**
   * Team mode without a lease table, when another engine acts on the workers prefix (snapshot `leadership.role`
   * 'conflict'): "this engine acts" or "stand by", remembered; null forgets the decision.
   */
  'autoscaler:leadership.decide': {
    req: z.object({ decision: TeamDecisionSchema.nullable() }).strict(),
    res: z.object({}),
  },
  /**
   * Creates the DynamoDB table of leader leases the saved config names (`team.leaseTable`), or finds it, and waits
   * until it is ACTIVE. A refusal is an error naming the IAM action to add.
   */
  'autoscaler:leadership.createLeaseTable': {
    req: z.object({}).strict(),
    res: z.object({ table: z.string(), region: z.string(), created: z.boolean() }),
  },
  /** One instance's lifecycle, price and spend, and the tail of its EC2 console when it is booting or died stuck. */
  'autoscaler:instances.detail': {
    req: z.object({ instanceId: z.string().regex(INSTANCE_ID_PATTERN) }).strict(),
    res: InstanceDetailSchema,
  },
  /**
   * The scaling history for the Overview and Costs charts, downsampled to at most a few hundred points. `after`: the
   * newest point the chart holds of this range, to get only what is new (a delta, see `applyTimeline`).
   */
  'autoscaler:timeline.get': {
    req: z.object({ hours: TimelineRangeSchema, after: z.number().optional() }).strict(),
    res: TimelineSchema,
  },
  'autoscaler:config.get': {
    req: z.object({}).strict(),
    /** The saved config (the demo's while the demo runs); null before first setup. */
    res: z.object({ config: ConfigSchema.nullable(), demo: z.boolean() }),
  },
  'autoscaler:config.validate': {
    req: z.object({ config: z.unknown() }).strict(),
    res: z.object({ ok: z.boolean(), issues: z.array(FieldIssueSchema) }),
  },
  /**
   * A change to the instance setup (init script, extra clearml.conf, docker images, agent version, credentials
   * mode), to the ClearML API host the stored keys go to, or to the world (server, region, prefix) while instances
   * of the current one run, is refused unless `confirm` says yes to exactly it; the refusal lists what needs
   * confirming (`needs`).
   */
  'autoscaler:config.save': {
    req: z
      .object({
        config: z.unknown(),
        confirm: z
          .object({
            instanceSetup: z.literal(true).optional(),
            apiHost: z.string().max(2048).optional(),
            worldMove: z.literal(true).optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    res: z.object({
      ok: z.boolean(),
      issues: z.array(FieldIssueSchema),
      /** Saved, and what the person who saved should know about it (Settings shows it with "Saved"). */
      notice: z.string().max(1000).optional(),
      needs: z
        .object({
          instanceSetup: z.array(
            z.object({ path: z.string(), label: z.string(), before: z.string(), after: z.string() }),
          ),
          apiHost: z
            .object({
              from: z.string().nullable(),
              to: z.string(),
              insecure: z.boolean(),
              /** Whose keys: absent, the stored ones; else where they are read from (a clearml.conf path). */
              keysFrom: z.string().optional(),
            })
            .nullable(),
          /** The config moves to another server, region or prefix while instances of the current one run. */
          worldMove: z
            .object({
              changed: z.array(z.enum(['server', 'region', 'prefix'])),
              from: z.object({ apiHost: z.string(), region: z.string(), workersPrefix: z.string() }),
              instances: z.number().int().nonnegative(),
              busy: z.number().int().nonnegative(),
              leases: z.boolean(),
            })
            .nullable(),
        })
        .optional(),
    }),
  },
  'autoscaler:config.import': {
    req: z
      .object({
        text: z.string().max(1_000_000),
        /**
         * The ClearML API host to import a ClearML file with (such a file does not name its server); absent: the
         * saved config's, else CLEARML_API_HOST or ~/clearml.conf's.
         */
        apiHost: z.string().max(2048).optional(),
        /**
         * The AWS region for a ClearML file without cloud_credentials_region; absent: the saved config's, else
         * AWS_REGION or AWS_DEFAULT_REGION.
         */
        region: z.string().max(64).optional(),
      })
      .strict(),
    res: z.object({
      format: z.enum(['ours', 'clearml', 'unknown']),
      config: z.unknown().nullable(),
      issues: z.array(FieldIssueSchema),
      warnings: z.array(z.string()),
      /**
       * A ClearML file: every field not carried over and every behaviour that differs from ClearML's autoscaler,
       * with the setting that controls it (null when none does).
       */
      differences: z.array(
        z.object({ code: z.string(), path: z.string().nullable(), setting: z.string().nullable(), text: z.string() }),
      ),
    }),
  },
  'autoscaler:config.export': { req: z.object({}).strict(), res: z.object({ text: z.string() }) },
  'autoscaler:credentials.status': {
    req: z.object({}).strict(),
    res: z.object({
      backend: z.string(),
      warning: z.string().nullable(),
      clearml: CredentialStatusSchema,
      aws: CredentialStatusSchema,
      /** Git user + password/token for the agents (ClearML's git_user / git_pass). */
      git: CredentialStatusSchema,
      /**
       * The network settings this process took from its environment at start (the proxy; extra certificate
       * authorities) and what it could not use, each with why. Absent when there is nothing to say.
       */
      network: z.object({ notes: z.array(z.string()), problems: z.array(z.string()) }).optional(),
    }),
  },
  'autoscaler:credentials.set': {
    req: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('clearml'),
          accessKey: z.string().min(1).max(256),
          secretKey: z.string().min(1).max(512),
        })
        .strict(),
      z
        .object({
          kind: z.literal('aws'),
          accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'access key id must look like AKIA…'),
          secretAccessKey: z.string().min(16).max(256),
          sessionToken: z.string().max(4096).optional(),
        })
        .strict(),
      z
        .object({
          kind: z.literal('git'),
          username: gitCredential('git user').min(1).max(256),
          password: gitCredential('git password').min(1).max(4096),
        })
        .strict(),
    ]),
    res: CredentialStatusSchema,
  },
  'autoscaler:credentials.clear': {
    req: z.object({ kind: CredentialKindSchema }).strict(),
    res: CredentialStatusSchema,
  },
  'autoscaler:credentials.test': {
    // ClearML and AWS only: git credentials are used by the agents on the instances, not by the app.
    // Without `unsaved`: what the engine would use now. With it: values typed but not stored yet (the first-run
    // setup checks each step before anything is saved); keys left out fall back as the engine's would.
    req: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('clearml'),
          unsaved: z
            .object({
              apiHost: z.string().min(1).max(2048),
              accessKey: z.string().min(1).max(256).optional(),
              secretKey: z.string().min(1).max(512).optional(),
            })
            .strict()
            .optional(),
        })
        .strict(),
      z
        .object({
          kind: z.literal('aws'),
          unsaved: z
            .object({
              region: z.string().min(1).max(64),
              accessKeyId: z
                .string()
                .regex(/^[A-Z0-9]{16,128}$/, 'access key id must look like AKIA…')
                .optional(),
              secretAccessKey: z.string().min(16).max(256).optional(),
            })
            .strict()
            .optional(),
        })
        .strict(),
    ]),
    res: z.object({ ok: z.boolean(), message: z.string(), details: z.array(z.string()) }),
  },
  'autoscaler:credentials.importClearmlConf': {
    req: z.object({}).strict(),
    res: z.object({ imported: z.boolean(), message: z.string(), apiHost: z.string().nullable() }),
  },
  'autoscaler:demo.start': { req: z.object({}).strict(), res: z.object({ demo: z.boolean() }) },
  /** Ends the demo: the app is as before it, with the saved config applied (none: the setup screen). */
  'autoscaler:demo.stop': { req: z.object({}).strict(), res: z.object({ demo: z.boolean() }) },
  'autoscaler:app.openExternal': {
    req: z.object({ url: z.string().url().max(2048) }).strict(),
    res: z.object({ opened: z.boolean() }),
  },
  /** `notice`: a one-time message about the settings file (e.g. it was corrupt and was reset), else null. */
  'autoscaler:settings.get': {
    req: z.object({}).strict(),
    res: z.object({ settings: PublicSettingsSchema, notice: z.string().nullable() }),
  },
  'autoscaler:settings.patch': {
    req: SettingsPatchSchema,
    res: z.object({ settings: PublicSettingsSchema, notice: z.string().nullable() }),
  },
  /**
   * Team mode (the desktop app): the team engine this app is attached to. `available` is false where attaching
   * makes no sense (a served engine, the browser preview). The token is write-only: `team.attach` stores it in the
   * keychain and nothing returns it.
   */
  'autoscaler:team.status': {
    req: z.object({}).strict(),
    res: z.object({
      available: z.boolean(),
      attachment: z.object({ url: z.string(), fingerprint: z.string() }).nullable(),
    }),
  },
  /** The certificate fingerprint a team engine presents, for the user to confirm; sends it nothing. */
  'autoscaler:team.probe': {
    req: z.object({ url: z.string().min(1).max(2048) }).strict(),
    res: z.object({ fingerprint: z.string() }),
  },
  /** Connects with the token and the confirmed fingerprint; on success the local engine stops. */
  'autoscaler:team.attach': {
    req: z
      .object({
        url: z.string().min(1).max(2048),
        token: z.string().min(1).max(512),
        fingerprint: z.string().min(1).max(200),
      })
      .strict(),
    res: z.object({ attached: z.boolean(), as: z.object({ name: z.string(), role: z.string() }).nullable() }),
  },
  /** Back to this app's own engine (autoscaling off until turned on); forgets the token. */
  'autoscaler:team.detach': { req: z.object({}).strict(), res: z.object({ attached: z.boolean() }) },
} as const;

export const eventContract = {
  /** Sent throttled, only to visible windows; `rev` increases monotonically. */
  'autoscaler:state.changed': SnapshotSchema,
  /** A notification click asks the window to show an item. */
  'autoscaler:navigate': z.object({
    view: z.enum(['overview', 'queues', 'instances', 'costs', 'events', 'settings', 'credentials']),
    id: z.string().optional(),
  }),
  /**
   * Something the snapshot does not carry changed, wherever the change came from (another window, the tray, a
   * settings file reset): the renderer refetches that topic. No payload beyond the topic: secrets never travel.
   */
  'autoscaler:changed': z.object({ topic: z.enum(['config', 'settings', 'credentials']) }),
} as const;

export type InvokeChannel = keyof typeof invokeContract;
export type EventChannel = keyof typeof eventContract;
export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof invokeContract)[C]['req']>;
export type InvokeResponse<C extends InvokeChannel> = z.output<(typeof invokeContract)[C]['res']>;
export type EventPayload<C extends EventChannel> = z.output<(typeof eventContract)[C]>;

export interface AppError {
  code: 'unknown_channel' | 'forbidden_sender' | 'forbidden_role' | 'invalid_args' | 'not_ready' | 'failed';
  message: string;
  issues?: { path: string; message: string }[];
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: AppError };

/** `autoscaler:state.getSnapshot` → `state.getSnapshot`: the method name the preload exposes. */
export type MethodName<C extends InvokeChannel> = C extends `autoscaler:${infer M}` ? M : never;

/**
 * What the preload exposes as `window.autoscaler` and the WebSocket bridge implements: one function per channel
 * (no function takes a channel name), plus one subscription per event. Each returns an envelope, never throws.
 */
export type AutoscalerApi = {
  [C in InvokeChannel as MethodName<C>]: (req: InvokeRequest<C>) => Promise<Envelope<InvokeResponse<C>>>;
} & {
  onStateChanged(listener: (snapshot: EventPayload<'autoscaler:state.changed'>) => void): () => void;
  onNavigate(listener: (target: EventPayload<'autoscaler:navigate'>) => void): () => void;
  onChanged(listener: (change: EventPayload<'autoscaler:changed'>) => void): () => void;
};

export type ChangeTopic = EventPayload<'autoscaler:changed'>['topic'];

export function methodName<C extends InvokeChannel>(channel: C): MethodName<C> {
  return channel.slice(CHANNEL_PREFIX.length) as MethodName<C>;
}

export const invokeChannels = Object.keys(invokeContract) as InvokeChannel[];
export const eventChannels = Object.keys(eventContract) as EventChannel[];
