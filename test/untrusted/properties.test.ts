/**
 * Property-based tests of everything that reads text or frames we did not write: the config loader, the
 * clearml.conf parser, the IPC dispatcher and the preview WebSocket. A fixed seed and a bounded count keep `npm test`
 * repeatable; FC_RUNS and FC_SEED run them longer (`FC_RUNS=5000 npx vitest run test/untrusted/properties.test.ts`).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createStore } from 'zustand/vanilla';
import { loadConfigText, exportConfig } from '../../electron/engine/config/index.js';
import { HoconError, hoconGet, parseHocon } from '../../electron/engine/clearml/hocon.js';
import { startPreviewServer, type PreviewServer } from '../../electron/engine/preview/server.js';
import { CLOSE_PROTOCOL_ERROR, MAX_PROTOCOL_ERRORS } from '../../electron/engine/ipc-ws/hub.js';
import { createServiceHandlers } from '../../electron/engine/service/handlers.js';
import { MemorySecretStore } from '../../electron/engine/service/secret-store.js';
import { MemorySettingsRepo } from '../../electron/engine/service/settings-repo.js';
import { createConfigImporter, exportConfigText } from '../../electron/engine/service/config-io.js';
import { ConfigSchema } from '../../shared/config.js';
import { emptySnapshot, type Snapshot } from '../../shared/domain.js';
import { invokeChannels } from '../../shared/ipc/contract.js';
import { createDispatcher } from '../../shared/ipc/dispatch.js';
import { EnvelopeSchema, ServerMessageSchema } from '../../shared/ipc/ws-protocol.js';
import { FakeController, validConfigInput } from '../service/fixtures.js';

const RUNS = Number(process.env['FC_RUNS'] ?? 150);
const SEED = Number(process.env['FC_SEED'] ?? 20261204);
const params = (numRuns = RUNS) => ({ seed: SEED, numRuns });
/** A long run (FC_RUNS) needs more than vitest's default time per test. */
const TIMEOUT = 30_000 + RUNS * 40;

/** Text built from the tokens that stress a YAML/HOCON parser: nesting, indicators, quotes, anchors, comments. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom('[', ']', '{', '}', '- ', '? ', ': ', '\n', '  ', ',', '"', "'", '&a ', '*a', '#', '=', '${x}'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 400 },
  )
  .map((parts) => parts.join(''));

describe('property: the config loader', () => {
  it('never throws: any text is a config or a non-empty list of issues', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.oneof(hostileText, fc.string({ maxLength: 2000 }), fc.json({ maxDepth: 8 })), (text) => {
        const r = loadConfigText(text);
        if (r.config === null) expect(r.issues.length).toBeGreaterThan(0);
        else expect(r.issues).toEqual([]);
      }),
      params(),
    );
  });

  it('what it exports loads back to the same config, whatever the free-text fields hold', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(
        fc.record({ initScript: fc.string({ maxLength: 300 }), extraClearmlConf: fc.string({ maxLength: 300 }) }),
        fc.constantFrom('yaml', 'json'),
        (agent, format) => {
          const config = ConfigSchema.parse({ ...validConfigInput(), agent });
          const back = loadConfigText(exportConfig(config, format));
          expect(back.issues).toEqual([]);
          expect(back.config).toEqual(config);
        },
      ),
      params(),
    );
  });
});

describe('property: the clearml.conf parser', () => {
  it('returns an object or throws a HoconError with a position, nothing else', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(fc.oneof(hostileText, fc.string({ maxLength: 2000 })), (text) => {
        try {
          expect(typeof parseHocon(text)).toBe('object');
        } catch (e) {
          expect(e).toBeInstanceOf(HoconError);
          expect((e as HoconError).line).toBeGreaterThan(0);
        }
      }),
      params(),
    );
  });

  it('reads back the quoted values it is given, in nested or dotted form', { timeout: TIMEOUT }, () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(key, key, fc.string({ maxLength: 40 }), fc.boolean(), (a, b, value, dotted) => {
        fc.pre(a !== b);
        const quoted = JSON.stringify(value);
        const text = dotted ? `${a}.${b}: ${quoted}` : `${a} {\n  ${b} = ${quoted}\n}`;
        expect(hoconGet(parseHocon(text), [a, b])).toBe(value);
      }),
      params(),
    );
  });
});

describe('property: the IPC dispatcher', () => {
  const settings = new MemorySettingsRepo();
  const secrets = new MemorySecretStore({ backendName: 'test', now: () => 1 });
  const dispatch = createDispatcher(
    createServiceHandlers({
      controller: new FakeController({}),
      settings,
      secrets,
      testers: {
        clearml: async () => ({ ok: false, message: 'no', details: [] }),
        aws: async () => ({ ok: false, message: 'no', details: [] }),
      },
      importClearmlConf: async () => null,
      importConfigText: createConfigImporter(() => null),
      exportConfig: () => exportConfigText(settings.get().config),
      openExternal: async () => false,
      startDemo: async () => undefined,
      isDemo: () => false,
    }),
  );

  it(
    'answers any channel with any arguments with a valid envelope, never a rejection',
    { timeout: TIMEOUT },
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constantFrom(...invokeChannels), fc.string({ maxLength: 40 })),
          fc.oneof(fc.anything({ maxDepth: 4 }), fc.record({ config: fc.anything({ maxDepth: 3 }) }), fc.json()),
          async (channel, args) => {
            const envelope = await dispatch(channel, args, { transport: 'test', caller: 'fc' });
            expect(EnvelopeSchema.safeParse(envelope).success).toBe(true);
          },
        ),
        params(),
      );
    },
  );
});

describe('property: WebSocket frames', () => {
  let server: PreviewServer;
  beforeAll(async () => {
    const store = createStore<Snapshot>(() => ({ ...emptySnapshot(), rev: 1 }));
    server = await startPreviewServer({
      dispatch: async (channel, args) => ({ ok: true, value: { channel, args } }),
      store,
      staticDir: '.',
      pushIntervalMs: 0,
    });
  });
  afterAll(() => server.close());

  const frame = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 5 }),
    fc
      .record(
        {
          type: fc.constantFrom('invoke', 'visibility', 'other'),
          id: fc.oneof(fc.integer(), fc.double(), fc.string()),
          channel: fc.string({ maxLength: 200 }),
          args: fc.anything({ maxDepth: 3 }),
          visible: fc.anything({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o) ?? 'null'),
  );

  it(
    'any sequence of frames leaves the server answering the next valid call, with a valid message',
    { timeout: TIMEOUT },
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { maxLength: 20 }), async (frames) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ipc?token=${server.token}`, {
            origin: server.origin,
          });
          try {
            await new Promise((resolve, reject) => {
              ws.once('open', resolve);
              ws.once('error', reject);
            });
            const probeId = 987654321;
            const reply = new Promise<unknown>((resolve) => {
              ws.on('message', (d: Buffer) => {
                const msg: unknown = JSON.parse(d.toString('utf8'));
                expect(ServerMessageSchema.safeParse(msg).success).toBe(true);
                if ((msg as { id?: unknown }).id === probeId) resolve(msg);
              });
              ws.on('close', (code) => resolve({ closed: code }));
            });
            for (const f of frames) ws.send(f);
            ws.send(JSON.stringify({ type: 'invoke', id: probeId, channel: 'autoscaler:config.get', args: {} }));
            const got = await reply;
            // A connection is closed (1008) only once it sent MAX_PROTOCOL_ERRORS frames that are not messages.
            if (frames.length >= MAX_PROTOCOL_ERRORS && (got as { closed?: number }).closed !== undefined)
              expect(got).toEqual({ closed: CLOSE_PROTOCOL_ERROR });
            else expect(got).toMatchObject({ type: 'result', id: probeId, envelope: { ok: true } });
          } finally {
            ws.terminate();
          }
        }),
        params(Math.max(10, Math.round(RUNS / 5))),
      );
    },
  );
});
