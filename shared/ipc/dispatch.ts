/**
 * Transport-agnostic request dispatch: Electron's IPC router and the preview WebSocket server both feed raw
 * (channel, args) pairs through this one function, so validation, error shaping and redaction are identical
 * wherever the dashboard runs. Pure: no node, no electron.
 */
import type { z } from 'zod';
import { toFieldIssues } from '../config.js';
import { invokeContract, type AppError, type Envelope, type InvokeChannel, type InvokeResponse } from './contract.js';
import { redact } from './redact.js';
import type { Actor } from './roles.js';

/** Who is calling, for logs and per-caller policy; never used for authorization (the transport did that). */
export interface CallContext {
  transport: 'ipc' | 'ws' | 'team' | 'test';
  /** webContents id, WebSocket connection id, …: opaque. */
  caller: string;
  /** Team mode: the token's name and role, for the audit trail; absent means the person at this machine. */
  actor?: Actor;
}

export type Handlers = {
  [C in InvokeChannel]: (
    req: z.output<(typeof invokeContract)[C]['req']>,
    ctx: CallContext,
  ) => Promise<InvokeResponse<C>>;
};

/** Throw this from a handler to choose the error code and a message meant for the user. */
export class ServiceError extends Error {
  constructor(
    readonly code: AppError['code'],
    message: string,
    readonly issues?: AppError['issues'],
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface DispatcherOptions {
  /** Told about failures (already redacted), e.g. to log them; never sees a secret it did not already have. */
  onError?: (channel: string, error: AppError, ctx: CallContext, cause: unknown) => void;
  /** Exact secret values to mask in error messages, in addition to the secret-shaped patterns. */
  knownSecrets?: () => readonly string[];
}

export type Dispatch = (channel: string, rawArgs: unknown, ctx: CallContext) => Promise<Envelope<unknown>>;

export function isInvokeChannel(channel: string): channel is InvokeChannel {
  return Object.prototype.hasOwnProperty.call(invokeContract, channel);
}

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatch {
  const fail = (channel: string, error: AppError, ctx: CallContext, cause: unknown): Envelope<unknown> => {
    options.onError?.(channel, error, ctx, cause);
    return { ok: false, error };
  };
  const clean = (text: string) => redact(text, options.knownSecrets?.() ?? []);

  return async (channel, rawArgs, ctx) => {
    if (typeof channel !== 'string' || !isInvokeChannel(channel)) {
      return fail(
        String(channel),
        { code: 'unknown_channel', message: `Unknown channel '${clean(String(channel)).slice(0, 100)}'.` },
        ctx,
        null,
      );
    }
    const entry = invokeContract[channel];
    // Requests without a body arrive as undefined from some callers; the contract's empty object accepts {}.
    const parsed = entry.req.safeParse(rawArgs === undefined ? {} : rawArgs);
    if (!parsed.success) {
      const issues = toFieldIssues(parsed.error).map((i) => ({ path: i.path, message: clean(i.message) }));
      const first = issues[0];
      return fail(
        channel,
        {
          code: 'invalid_args',
          message: `Invalid request for ${channel}${first ? `: ${first.path}: ${first.message}` : ''}.`,
          issues,
        },
        ctx,
        parsed.error,
      );
    }

    let value: unknown;
    try {
      // The handler table is keyed by channel; TypeScript cannot correlate the two unions, the schema just did.
      const handler = handlers[channel] as (req: unknown, ctx: CallContext) => Promise<unknown>;
      value = await handler(parsed.data, ctx);
    } catch (err) {
      if (err instanceof ServiceError) {
        return fail(
          channel,
          {
            code: err.code,
            message: clean(err.message),
            ...(err.issues ? { issues: err.issues.map((i) => ({ path: i.path, message: clean(i.message) })) } : {}),
          },
          ctx,
          err,
        );
      }
      const message = err instanceof Error ? err.message : 'unexpected error';
      return fail(channel, { code: 'failed', message: clean(message) }, ctx, err);
    }

    // A response that breaks its own contract is our bug; never hand it to the renderer (and zod's output
    // drops any field the contract does not name, so nothing extra can leak through).
    const checked = entry.res.safeParse(value);
    if (!checked.success) {
      return fail(
        channel,
        {
          code: 'failed',
          message: `Internal error: the response for ${channel} did not match the contract. Please report this.`,
        },
        ctx,
        checked.error,
      );
    }
    return { ok: true, value: checked.data };
  };
}
