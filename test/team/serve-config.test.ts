// A team engine started with --config: a config an admin saves from an attached app applies at once, the admin is
// told that the host's --config file wins at the next start, and that start keeps the admin's version and says so.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_FILE_WINS, startServing, type Serving } from '../../electron/engine/team/serve.js';
import { tlsDir } from '../../electron/engine/team/tls.js';
import type { Config } from '../../shared/config.js';
import { baseConfig } from '../fixtures/index.js';
import { tempDir } from '../fixtures/team.js';
import { startWorld, type World } from '../fixtures/world.js';

let world: World | null = null;
const servings: Serving[] = [];
afterEach(async () => {
  for (const s of servings.splice(0)) await s.stop();
  await world?.close();
  world = null;
});

const admin = { transport: 'team' as const, caller: 'ws-1', actor: { name: 'ada', role: 'admin' as const } };

describe('a served engine started with --config', () => {
  it('tells the admin who saves that the --config file wins, and keeps their version when it does', async () => {
    world = await startWorld({ queues: ['gpu'] });
    const w = world;
    const dataDir = tempDir('serve-config-');
    const fromFile = baseConfig({ clearml: { apiHost: w.clearml.url } });
    const lines: string[] = [];
    const events: string[] = [];
    const serve = async (config: Config) => {
      // As headless does: the engine runs the --config file before it is served.
      const host = w.host({ onEvent: (e) => events.push(e.message) });
      host.configure(config, { clearml: w.clearmlKeys, aws: w.awsKeys });
      const s = await startServing({
        host,
        dataDir,
        listen: { host: '127.0.0.1', port: 0 },
        config,
        env: {},
        log: (l) => lines.push(l),
      });
      servings.push(s);
      return s;
    };
    const settingsFile = path.join(tlsDir(dataDir), 'settings.json');
    const replaced = `${settingsFile}.replaced`;

    const first = await serve(fromFile);
    const edited = { ...fromFile, scaling: { ...fromFile.scaling, maxIdleMin: 7 } };
    const r = await first.service.dispatch('autoscaler:config.save', { config: edited }, admin);
    expect(r).toEqual({ ok: true, value: { ok: true, issues: [], notice: CONFIG_FILE_WINS } });
    expect(CONFIG_FILE_WINS).toMatch(/--config file wins at the engine's next start: export this configuration/);
    await first.stop();
    servings.splice(0);

    // The next start runs the --config file, and keeps the admin's version beside it, saying where.
    await serve(fromFile);
    const kept = JSON.parse(readFileSync(replaced, 'utf8')) as { config: Config };
    expect(kept.config.scaling.maxIdleMin).toBe(7);
    const now = JSON.parse(readFileSync(settingsFile, 'utf8')) as { config: Config };
    expect(now.config.scaling.maxIdleMin).toBe(15);
    const said = new RegExp(
      `differs from the --config file, which this start runs: the saved one is kept in ${replaced}`,
    );
    expect(lines).toContainEqual(expect.stringMatching(said));
    expect(events).toContainEqual(expect.stringMatching(said));
  });

  it('keeps nothing aside when the settings hold what the --config file says', async () => {
    world = await startWorld({ queues: ['gpu'] });
    const dataDir = tempDir('serve-config-same-');
    const config = baseConfig({ clearml: { apiHost: world.clearml.url } });
    const opts = { dataDir, listen: { host: '127.0.0.1', port: 0 }, config, env: {}, log: () => undefined };
    await (await startServing({ host: world.host(), ...opts })).stop();
    servings.push(await startServing({ host: world.host(), ...opts }));
    expect(existsSync(path.join(tlsDir(dataDir), 'settings.json.replaced'))).toBe(false);
  });
});
