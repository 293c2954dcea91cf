/**
 * The browser-preview wire format: the IPC contract carried over one WebSocket. Both ends parse every frame
 * with these schemas: the renderer's WebSocket bridge and the preview server in electron/engine/preview.
 */
import { z } from 'zod';

export const WS_PATH = '/ipc';

/** Big enough for `config.import` (1,000,000 characters of YAML, JSON-escaped) and a 2,000-instance snapshot. */
export const WS_MAX_PAYLOAD = 16 * 1024 * 1024;
/** A team engine's 429 says which connection limit was hit: `token` (this token's) or `all` (the server's). */
export const CONNECTION_LIMIT_HEADER = 'X-Connection-Limit';

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('invoke'),
      id: z.number().int().nonnegative(),
      channel: z.string().max(128),
      args: z.unknown(),
    })
    .strict(),
  /** A hidden tab gets no pushes; it re-pulls when it becomes visible again. */
  z.object({ type: z.literal('visibility'), visible: z.boolean() }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

const AppErrorSchema = z.object({
  code: z.enum(['unknown_channel', 'forbidden_sender', 'forbidden_role', 'invalid_args', 'not_ready', 'failed']),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const EnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: AppErrorSchema }),
]);

export const ServerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: z.number().int().nonnegative(), envelope: EnvelopeSchema }),
  z.object({ type: z.literal('event'), channel: z.string(), payload: z.unknown() }),
  /** Team mode: sent first on every connection, so the attached app knows whose token it is and what it may do. */
  z.object({
    type: z.literal('hello'),
    actor: z.object({ name: z.string(), role: z.enum(['viewer', 'operator', 'admin']) }),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
