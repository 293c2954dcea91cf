import { describe, expect, it, vi } from 'vitest';
import { invokeChannels, type InvokeChannel } from '../../shared/ipc/contract.js';
import { createDispatcher, ServiceError, type CallContext, type Handlers } from '../../shared/ipc/dispatch.js';
import { emptySnapshot } from '../../shared/domain.js';

const ctx: CallContext = { transport: 'test', caller: 't' };

/** Every handler throws unless overridden: a test only reaches the handler it means to. */
function handlers(over: Partial<Handlers> = {}): Handlers {
  const all = Object.fromEntries(
    invokeChannels.map((c) => [
      c,
      async () => {
        throw new Error(`unexpected call to ${c}`);
      },
    ]),
  ) as unknown as Handlers;
  return { ...all, ...over };
}

describe('createDispatcher', () => {
  it('refuses an unknown channel without calling anything', async () => {
    const onError = vi.fn();
    const d = createDispatcher(handlers(), { onError });
    for (const ch of ['autoscaler:nope', 'toString', '__proto__', 'constructor']) {
      const r = await d(ch, {}, ctx);
      expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    }
    expect(onError).toHaveBeenCalledTimes(4);
  });

  it('returns invalid_args with field issues and does not call the handler', async () => {
    const setPaused = vi.fn(async ({ queue, paused }: { queue: string; paused: boolean }) => ({ queue, paused }));
    const d = createDispatcher(handlers({ 'autoscaler:queue.setPaused': setPaused }));
    const r = await d('autoscaler:queue.setPaused', { queue: '', paused: 'yes' }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_args');
    expect(r.error.issues?.map((i) => i.path).sort()).toEqual(['paused', 'queue']);
    expect(setPaused).not.toHaveBeenCalled();
  });

  it('rejects extra fields (strict requests) and bounds (instance ids)', async () => {
    const d = createDispatcher(handlers());
    const extra = await d('autoscaler:engine.setEnabled', { enabled: true, admin: true }, ctx);
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
    const ids = await d('autoscaler:instances.terminate', { instanceIds: ['i-xyz; rm -rf /'] }, ctx);
    expect(ids).toMatchObject({ ok: false, error: { code: 'invalid_args' } });
  });

  it('treats a missing body as {} for channels without arguments', async () => {
    const d = createDispatcher(handlers({ 'autoscaler:state.getSnapshot': async () => emptySnapshot() }));
    const r = await d('autoscaler:state.getSnapshot', undefined, ctx);
    expect(r).toMatchObject({ ok: true, value: { rev: 0, status: 'off' } });
  });

  it('wraps a handler error as failed, with the message redacted', async () => {
    const d = createDispatcher(
      handlers({
        'autoscaler:engine.scaleToZero': async () => {
          throw new Error('AWS said no for AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
        },
      }),
    );
    const r = await d('autoscaler:engine.scaleToZero', {}, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('failed');
    expect(r.error.message).toContain('AWS said no');
    expect(r.error.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(r.error.message).not.toContain('wJalrXUtnFEMI');
  });

  it('masks the exact known secrets even when they match no pattern', async () => {
    const d = createDispatcher(
      handlers({
        'autoscaler:engine.scaleToZero': async () => {
          throw new Error('bad key: hunter2-is-my-pass');
        },
      }),
      { knownSecrets: () => ['hunter2-is-my-pass'] },
    );
    const r = await d('autoscaler:engine.scaleToZero', {}, ctx);
    expect(JSON.stringify(r)).not.toContain('hunter2');
  });

  it('passes a ServiceError code and issues through', async () => {
    const d = createDispatcher(
      handlers({
        'autoscaler:engine.setEnabled': async () => {
          throw new ServiceError('not_ready', 'Save a configuration first.', [{ path: 'config', message: 'missing' }]);
        },
      }),
    );
    const r = await d('autoscaler:engine.setEnabled', { enabled: true }, ctx);
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'not_ready',
        message: 'Save a configuration first.',
        issues: [{ path: 'config', message: 'missing' }],
      },
    });
  });

  it('refuses a response that breaks the contract (a bug) instead of sending it', async () => {
    const onError = vi.fn();
    const d = createDispatcher(
      handlers({
        // @ts-expect-error deliberately wrong type: the runtime check must catch what the types would
        'autoscaler:engine.setEnabled': async () => ({ enabled: 'yes' }),
      }),
      { onError },
    );
    const r = await d('autoscaler:engine.setEnabled', { enabled: true }, ctx);
    expect(r).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(onError).toHaveBeenCalledOnce();
  });

  it('strips fields the response contract does not name', async () => {
    const d = createDispatcher(
      handlers({
        'autoscaler:engine.setLaunchesPaused': async () =>
          ({ paused: true, secretAccessKey: 'leak' }) as unknown as { paused: boolean },
      }),
    );
    const r = await d('autoscaler:engine.setLaunchesPaused', { paused: true }, ctx);
    expect(r).toEqual({ ok: true, value: { paused: true } });
  });

  it('hands the handler the parsed request and the call context', async () => {
    const seen: unknown[] = [];
    const d = createDispatcher(
      handlers({
        'autoscaler:queue.setPaused': async (req, c) => {
          seen.push(req, c);
          return req;
        },
      }),
    );
    const channel: InvokeChannel = 'autoscaler:queue.setPaused';
    const r = await d(channel, { queue: 'gpu', paused: true }, ctx);
    expect(r).toEqual({ ok: true, value: { queue: 'gpu', paused: true } });
    expect(seen).toEqual([{ queue: 'gpu', paused: true }, ctx]);
  });
});
