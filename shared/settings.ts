/**
 * The persisted app settings: one zod schema for the electron-store file, the headless/preview JSON file and the
 * settings IPC channels. Secrets never live here (they go to the SecretStore); every object below strips unknown
 * keys on load, and the patch schema is strict, so nothing else can be smuggled into the file.
 */
import { z } from 'zod';
import { ConfigSchema } from './config.js';

/** Bump with a new step in `electron/engine/service/migrations.ts` (one function per version). */
export const SETTINGS_SCHEMA_VERSION = 3;

export const NOTIFICATION_CATEGORIES = [
  'launched',
  'terminated',
  'launchFailed',
  'credentialsRejected',
  'capReached',
  'team',
  'connectionLost',
] as const;
export const NotificationCategorySchema = z.enum(NOTIFICATION_CATEGORIES);
export type NotificationCategory = z.infer<typeof NotificationCategorySchema>;

/** true = muted. Every category defaults to on (not muted): failures are what users most need to hear about. */
export const NotificationMutesSchema = z.object({
  launched: z.boolean().default(false),
  terminated: z.boolean().default(false),
  launchFailed: z.boolean().default(false),
  credentialsRejected: z.boolean().default(false),
  capReached: z.boolean().default(false),
  team: z.boolean().default(false),
  connectionLost: z.boolean().default(false),
});
export type NotificationMutes = z.infer<typeof NotificationMutesSchema>;

export const ThemeSchema = z.enum(['system', 'light', 'dark']);
export type Theme = z.infer<typeof ThemeSchema>;

export const RunStateSchema = z.object({
  on: z.boolean().default(false),
  launchesPaused: z.boolean().default(false),
  pausedQueues: z.array(z.string().max(255)).max(1000).default([]),
});
export type RunState = z.infer<typeof RunStateSchema>;

/** What the app's engine does at start: autoscaling as the user left it, or always off (pauses come back either way). */
export const AtStartSchema = z.enum(['as-left', 'off']);
export type AtStart = z.infer<typeof AtStartSchema>;

export const SettingsSchema = z.object({
  schemaVersion: z.number().int().min(1).default(SETTINGS_SCHEMA_VERSION),
  /** Our config format, validated; null until the first setup. */
  config: ConfigSchema.nullable().default(null),
  notificationMutes: NotificationMutesSchema.default(NotificationMutesSchema.parse({})),
  launchAtLogin: z.boolean().default(false),
  /** The "still running in the tray" explanation is shown once, on the first close. */
  closeToTrayNoticeShown: z.boolean().default(false),
  theme: ThemeSchema.default('system'),
  /**
   * The ClearML API host the stored ClearML keys may be sent to: set when keys are stored and when the user
   * confirms a new host. Null: the saved config's host (settings from before this field).
   */
  clearmlKeysHost: z.string().nullable().default(null),
  /**
   * Team mode: the team engine this app is attached to (its token is in the keychain), with the certificate
   * fingerprint the user confirmed. Null: this app runs its own engine.
   */
  attachment: z.object({ url: z.string(), fingerprint: z.string() }).nullable().default(null),
  /**
   * How the user last left this install's own engine (never the demo's): autoscaling on or off, new launches paused,
   * queues paused. The app starts its engine that way again, so a restart (a reboot with "start at login") neither
   * leaves tasks waiting with autoscaling silently off nor lifts a pause. Changed only through the engine's own
   * channels (`engine.setEnabled` and the pauses), never by `settings.patch`.
   */
  autoscaling: RunStateSchema.default(RunStateSchema.parse({})),
  /** Whether `autoscaling.on` is restored at start ('as-left') or autoscaling starts off whatever it was ('off'). */
  autoscalingAtStart: AtStartSchema.default('as-left'),
});
export type Settings = z.infer<typeof SettingsSchema>;

export function defaultSettings(): Settings {
  return SettingsSchema.parse({});
}

/** What the renderer may change through `settings.patch` (the config goes through `config.save`). */
export const SettingsPatchSchema = z
  .object({
    // Built from plain booleans: `.partial()` of the defaulted schema would fill every absent key with false.
    notificationMutes: z
      .object(
        Object.fromEntries(NOTIFICATION_CATEGORIES.map((c) => [c, z.boolean().optional()])) as {
          [K in NotificationCategory]: z.ZodOptional<z.ZodBoolean>;
        },
      )
      .strict()
      .optional(),
    launchAtLogin: z.boolean().optional(),
    closeToTrayNoticeShown: z.boolean().optional(),
    theme: ThemeSchema.optional(),
    autoscalingAtStart: AtStartSchema.optional(),
  })
  .strict();
export type UiSettingsPatch = z.infer<typeof SettingsPatchSchema>;

/** What main-side code may change: the UI patch plus the validated config. */
export type SettingsPatch = UiSettingsPatch & {
  config?: Settings['config'];
  clearmlKeysHost?: Settings['clearmlKeysHost'];
  attachment?: Settings['attachment'];
  autoscaling?: Settings['autoscaling'];
};

/** The settings as the renderer sees them: everything but the config (served by `config.get`). */
export const PublicSettingsSchema = z.object({
  notificationMutes: NotificationMutesSchema,
  launchAtLogin: z.boolean(),
  closeToTrayNoticeShown: z.boolean(),
  theme: ThemeSchema,
  autoscalingAtStart: AtStartSchema,
});
export type PublicSettings = z.infer<typeof PublicSettingsSchema>;

export function publicSettings(s: Settings): PublicSettings {
  return {
    notificationMutes: { ...s.notificationMutes },
    launchAtLogin: s.launchAtLogin,
    closeToTrayNoticeShown: s.closeToTrayNoticeShown,
    theme: s.theme,
    autoscalingAtStart: s.autoscalingAtStart,
  };
}

/** Applies a patch (shallow, with `notificationMutes` merged per key) and re-validates. */
export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  const { notificationMutes, ...rest } = patch;
  const next = {
    ...current,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    notificationMutes: { ...current.notificationMutes, ...notificationMutes },
    schemaVersion: SETTINGS_SCHEMA_VERSION,
  };
  return SettingsSchema.parse(next);
}
