// The headless CLI end to end: a ClearML autoscaler YAML (test/fixtures/config/clearml-reference.yaml) imports and runs one tick against the
// emulators through the real clients (AWS_ENDPOINT_URL_EC2 is the only redirection); an invalid one is refused
// with field paths and launches nothing; the cost report reads the history.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runHeadless, startFailureExit, startFailureFix } from '../../electron/engine/cli/headless.js';
import { LOCK_FILE } from '../../electron/engine/data-dir-lock.js';
import { CostHistory } from '../../electron/engine/cost/history.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { launchClearmlAutoscalerInstances } from '../../electron/engine/emulators/clearml-autoscaler-instances.js';
import { systemClock, TAG } from '../../electron/engine/ports.js';
import { AWS, KEYS } from './world.js';
import { headlessConfigFile, runScript } from '../fixtures/index.js';
import { USER_DATA_LIMIT_BYTES, userDataOverLimit } from '../../electron/engine/userdata/userdata.js';
import { ConfigSchema } from '../../shared/config.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/config');
let clearml: ClearmlEmulator;
let ec2: Ec2Emulator;
let lines: string[];
const out = { write: (l: string) => void lines.push(l) };
const saved = { ...process.env };

beforeEach(async () => {
  lines = [];
  clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS });
  ec2 = await startEc2Emulator({ clock: systemClock });
  process.env.AWS_ENDPOINT_URL_EC2 = ec2.url;
  process.env.AWS_REGION = 'us-east-1';
});
afterEach(async () => {
  process.env = { ...saved };
  await clearml.close();
  await ec2.close();
});

const env = () => ({
  CLEARML_API_HOST: clearml.url,
  CLEARML_API_ACCESS_KEY: KEYS.accessKey,
  CLEARML_API_SECRET_KEY: KEYS.secretKey,
  HOME: mkdtempSync(path.join(tmpdir(), 'home-')),
});

/** ClearML's reference autoscaler file without its cloud_credentials_region line, in a temporary folder. */
/**
 * process.env with no AWS variable but `extra` (and a region): no endpoint override, no files, no instance role, so
 * the SDK's chain finds only what `extra` gives. Returns the empty HOME it points at (afterEach restores the env).
 */
function awsOnly(extra: Record<string, string>): string {
  delete process.env.AWS_ENDPOINT_URL_EC2;
  const home = mkdtempSync(path.join(tmpdir(), 'home-'));
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, {
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    ...extra,
  });
  return home;
}

function regionlessClearmlFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'aws_autoscaler.yaml');
  const text = readFileSync(path.join(fixtures, 'clearml-reference.yaml'), 'utf8');
  writeFileSync(file, text.replace(/^\s*cloud_credentials_region:.*\n/m, ''));
  return file;
}

describe('headless CLI', () => {
  it('imports a ClearML autoscaler YAML and runs a tick', async () => {
    clearml.createQueue('aws_gpu');
    for (let i = 0; i < 2; i++) clearml.addTask({ name: `train-${i}`, queue: 'aws_gpu', durationSec: 600 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const code = await runHeadless(
      ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir],
      out,
      env(),
    );
    expect(lines.join('\n')).toMatch(/aws_gpu: launched 2 × g4dn\.xlarge/);
    expect(lines.join('\n')).toMatch(/warning: .*keychain/i);
    // Every difference from ClearML's autoscaler is a warning that names the setting.
    expect(lines.join('\n')).toMatch(
      /warning: differs from ClearML's autoscaler: idle workers the keep-warm rule does not keep wait max_idle_time_min \(15 min\).*scaling\.surplusIdleMin/,
    );
    expect(lines.join('\n')).toMatch(/warning: differs from ClearML's autoscaler: .*clearml-agent 3\.0\.3, pinned/);
    expect(code).toBe(0);
    const launched = ec2.instances();
    expect(launched).toHaveLength(2);
    expect(launched[0]!.tags).toMatchObject({
      [TAG.prefix]: 'dynamic_aws',
      [TAG.queue]: 'aws_gpu',
      team: 'ml',
      owner: 'alice',
    });
  });

  it.each([
    ['AWS_REGION', { AWS_REGION: 'us-east-1' }],
    ['AWS_DEFAULT_REGION', { AWS_DEFAULT_REGION: 'us-east-1' }],
  ])(
    'a ClearML file without cloud_credentials_region runs in the region of %s, with a warning naming it',
    async (from, vars) => {
      clearml.createQueue('aws_gpu');
      clearml.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 600 });
      const file = regionlessClearmlFile();
      const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
      const code = await runHeadless(['--config', file, '--once', '--data-dir', dataDir], out, { ...env(), ...vars });
      expect(lines.join('\n')).toContain(
        `warning: hyper_params.cloud_credentials_region: not set; the region is us-east-1, from ${from} in this environment`,
      );
      expect(code).toBe(0);
      expect(ec2.instances()).toHaveLength(1);
    },
  );

  it('a ClearML file without cloud_credentials_region and no region in the environment is refused, naming the field', async () => {
    const file = regionlessClearmlFile();
    const code = await runHeadless(['--config', file, '--once'], out, env());
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toMatch(/hyper_params\.cloud_credentials_region: missing/);
    expect(ec2.instances()).toHaveLength(0);
  });

  it('ClearML hosts and git variables: all three hosts and CLEARML_AUTOSCALER_GIT_* reach the instances', async () => {
    clearml.createQueue('aws_gpu');
    clearml.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 600 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const code = await runHeadless(
      ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir],
      out,
      {
        ...env(),
        CLEARML_WEB_HOST: 'https://app.example.com',
        CLEARML_FILES_HOST: 'https://files.example.com',
        CLEARML_AUTOSCALER_GIT_USER: 'ci-bot',
        CLEARML_AUTOSCALER_GIT_PASSWORD: 'ghp_fromTheEnvironment0001',
      },
    );
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain(
      'git credentials for the agents from CLEARML_AUTOSCALER_GIT_USER and CLEARML_AUTOSCALER_GIT_PASSWORD',
    );
    expect(lines.join('\n')).not.toContain('ghp_fromTheEnvironment0001');
    const [inst] = ec2.instances();
    expect(inst?.userData).toContain(`export CLEARML_API_HOST='${clearml.url}'`);
    expect(inst?.userData).toContain("export CLEARML_WEB_HOST='https://app.example.com'");
    expect(inst?.userData).toContain("export CLEARML_FILES_HOST='https://files.example.com'");
    expect(inst?.userData).toContain('agent.git_user: "ci-bot"');
    expect(inst?.userData).toContain('agent.git_pass: "ghp_fromTheEnvironment0001"');
  });

  it('a git password from the environment that pushes the startup script over 16 KB refuses the config', async () => {
    const withInit = (initScript: string) => ({
      clearml: { apiHost: clearml.url },
      aws: { region: 'us-east-1' },
      resources: { cpu_small: { instanceType: 'm5.large', amiId: 'ami-0123456789abcdef0' } },
      queues: { cpu: [{ resource: 'cpu_small', maxInstances: 1 }] },
      agent: { initScript },
    });
    // The largest init script that fits without a git password: the script is then exactly at the limit.
    const over = userDataOverLimit(ConfigSchema.parse(withInit('x'.repeat(20_000))))!;
    const config = withInit('x'.repeat(20_000 - (over.bytes - USER_DATA_LIMIT_BYTES)));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'autoscaler.json');
    writeFileSync(file, JSON.stringify(config));
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));

    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIATESTTESTTESTTEST', AWS_SECRET_ACCESS_KEY: 'testsecret' });
    const fits = await runHeadless(['--config', file, '--once', '--data-dir', dataDir], out, env());
    expect(lines.join('\n')).not.toContain('is invalid');
    expect(fits).toBe(0);

    lines = [];
    const code = await runHeadless(['--config', file, '--once', '--data-dir', dataDir], out, {
      ...env(),
      CLEARML_AUTOSCALER_GIT_PASSWORD: 'ghp_fromTheEnvironment0001fromTheEnviron',
    });
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toContain('is invalid; nothing was launched');
    expect(lines.join('\n')).toMatch(/agent\.initScript: .*over EC2's 16384-byte user-data limit/);
    expect(ec2.instances()).toHaveLength(0);
  });

  it('creates a configured queue that does not exist on the server, and says so', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const code = await runHeadless(
      ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir],
      out,
      env(),
    );
    expect(code).toBe(0);
    expect(clearml.queues().map((q) => q.name)).toContain('aws_gpu');
    expect(lines.join('\n')).toMatch(/created queue 'aws_gpu' on the ClearML server/);
    expect(lines.join('\n')).toMatch(/aws_gpu: no pending tasks/);
  });

  it.each([
    ['without --adopt: counted, left alone, and the flag is named', false],
    ['with --adopt: tagged as ours', true],
  ])("instances from ClearML's autoscaler %s", async (_, adopt) => {
    clearml.createQueue('aws_gpu');
    const [id] = await launchClearmlAutoscalerInstances({
      endpoint: ec2.url,
      region: 'us-east-1',
      credentials: AWS,
      apiHost: clearml.url,
      instances: [{ prefix: 'dynamic_aws', resource: 'gpu_t4', instanceType: 'g4dn.xlarge', queue: 'aws_gpu' }],
    });
    clearml.registerWorker(`dynamic_aws:gpu_t4:g4dn.xlarge:${id}`, ['aws_gpu']);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const args = ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir];
    const code = await runHeadless(adopt ? [...args, '--adopt'] : args, out, env());
    expect(code).toBe(0);
    expect(clearml.workers().map((w) => w.id)).toEqual([`dynamic_aws:gpu_t4:g4dn.xlarge:${id}`]);
    const tags = ec2.instances().find((i) => i.instanceId === id)?.tags ?? {};
    if (adopt) {
      expect(tags).toMatchObject({ [TAG.prefix]: 'dynamic_aws', [TAG.queue]: 'aws_gpu', [TAG.resource]: 'gpu_t4' });
      expect(lines.join('\n')).toMatch(/adopted 1 instance launched by ClearML's autoscaler/);
    } else {
      expect(tags[TAG.prefix]).toBeUndefined();
      expect(lines.join('\n')).toMatch(
        /1 instance launched by ClearML's autoscaler runs a worker with our prefix .*run with --adopt to let this app scale it down too/,
      );
    }
  });

  it('refuses to run on a data folder another running engine uses, and runs once that one has gone', async () => {
    clearml.createQueue('aws_gpu');
    clearml.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 600 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    // Another engine: a live process on this host whose pid is in the folder's lock.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await new Promise((resolve) => other.once('spawn', resolve));
    writeFileSync(
      path.join(dataDir, LOCK_FILE),
      JSON.stringify({ pid: other.pid, host: hostname(), startedAt: Date.now() }),
    );
    const args = ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir];
    try {
      expect(await runHeadless(args, out, env())).toBe(1);
      expect(lines.join('\n')).toMatch(
        new RegExp(`another autoscaler engine \\(pid ${other.pid} on .*uses the data folder .*own --data-dir`),
      );
      expect(ec2.instances()).toHaveLength(0);
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    lines = [];
    expect(await runHeadless(args, out, env())).toBe(0);
    expect(ec2.instances()).toHaveLength(1);
    // The killed engine's lock was left behind: the start says the last run did not stop cleanly, once.
    const unclean = lines.filter((l) => l.includes('did not stop cleanly'));
    expect(unclean, lines.join('\n')).toHaveLength(1);
    expect(unclean[0]).toMatch(new RegExp(`^warning: the previous engine \\(pid ${other.pid}, started .*killed`));
    // Released at the end of the run.
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    // After a clean stop the next start finds the folder free and says nothing of the kind.
    lines = [];
    expect(await runHeadless(args, out, env())).toBe(0);
    expect(lines.join('\n')).not.toContain('did not stop cleanly');
  });

  it('a data folder the engine creates is 0700 and the files it writes there 0600', async () => {
    clearml.createQueue('aws_gpu');
    clearml.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 600 });
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'data-')), 'new', 'engine');
    const r = await runScript(
      'electron/engine/cli/headless.ts',
      ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir],
      { ...env(), AWS_ACCESS_KEY_ID: AWS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey },
    );
    expect(r.code, r.out).toBe(0);
    expect(ec2.instances()).toHaveLength(1);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dataDir, { recursive: true, encoding: 'utf8' });
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const st = statSync(path.join(dataDir, f));
      expect([f, st.mode & 0o777]).toEqual([f, st.isDirectory() ? 0o700 : 0o600]);
    }
  });

  it('a data folder an older version left readable by others (0755, files 0644) is made private at start, said once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    chmodSync(dataDir, 0o755);
    // As an older version left them: its cost history (appended to, never rewritten) and regions file.
    writeFileSync(path.join(dataDir, 'cost-history.jsonl'), '', { mode: 0o644 });
    writeFileSync(path.join(dataDir, 'regions.json'), '{"v":1,"regions":["us-east-1"]}\n', { mode: 0o644 });
    chmodSync(path.join(dataDir, 'cost-history.jsonl'), 0o644);
    chmodSync(path.join(dataDir, 'regions.json'), 0o644);
    const run = () =>
      runScript(
        'electron/engine/cli/headless.ts',
        ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir],
        { ...env(), AWS_ACCESS_KEY_ID: AWS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey },
      );
    const first = await run();
    expect(first.code, first.out).toBe(0);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dataDir, { recursive: true, encoding: 'utf8' })) {
      const st = statSync(path.join(dataDir, f));
      expect([f, st.mode & 0o777]).toEqual([f, st.isDirectory() ? 0o700 : 0o600]);
    }
    expect(first.out.match(/could be read by other users/g)).toHaveLength(1);
    expect(first.out).toContain(
      `the data folder ${dataDir} and 2 files in it (cost-history.jsonl, regions.json) could be read by other users ` +
        '(left so by an older version): now only this user has access (folders 0700, files 0600)',
    );
    const second = await run();
    expect(second.code, second.out).toBe(0);
    expect(second.out).not.toContain('could be read by other users');
  });

  it('refuses an invalid config with every field path and launches nothing', async () => {
    const code = await runHeadless(
      ['--config', path.join(fixtures, 'clearml-bad-instance-type.yaml'), '--once'],
      out,
      env(),
    );
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/resource_configurations\.\w+\.instance_type: /);
    expect(ec2.calls.total).toBe(0);
  });

  it("another engine's instances on the prefix: the hold names the flags that answer it, and --team act launches", async () => {
    clearml.createQueue('aws_gpu');
    clearml.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 600 });
    const config = path.join(fixtures, 'clearml-reference.yaml');
    // The engine of another data folder (a try by hand under HOME before the unit's StateDirectory) launched first.
    const first = mkdtempSync(path.join(tmpdir(), 'data-'));
    expect(await runHeadless(['--config', config, '--once', '--data-dir', first], out, env())).toBe(0);
    expect(ec2.instances()).toHaveLength(1);
    clearml.addTask({ name: 'train-2', queue: 'aws_gpu', durationSec: 600 });
    const unit = mkdtempSync(path.join(tmpdir(), 'data-'));
    for (const json of [false, true]) {
      lines = [];
      // A script that reads only the exit code sees that nothing was launched for the task waiting.
      const code = await runHeadless(
        ['--config', config, '--once', '--data-dir', unit, ...(json ? ['--json'] : [])],
        out,
        env(),
      );
      expect(code).toBe(1);
      const hint = json
        ? lines
            .map((l) => JSON.parse(l) as { type: string; code?: string })
            .find((l) => l.code === 'other-engine' && l.type === 'warning')
        : lines.find((l) => l.startsWith('warning: to decide on this host'));
      expect(hint, lines.join('\n')).toBeDefined();
      expect(JSON.stringify(hint)).toMatch(/--team act .*--team standby .*kept in the data folder/);
      expect(ec2.instances()).toHaveLength(1);
    }
    // The answer it names works: this engine acts, and launches for the task waiting.
    lines = [];
    expect(await runHeadless(['--config', config, '--once', '--team', 'act', '--data-dir', unit], out, env())).toBe(0);
    expect(ec2.instances()).toHaveLength(2);
  });

  it.each([
    ['another server', 'http://clearml.other.example:8008', 'CLEARML_API_HOST'],
    ['another server, by the legacy name', 'http://clearml.other.example:8008', 'TRAINS_API_HOST'],
    ['the same server with a trailing slash', 'SAME/', null],
  ] as const)(
    "CLEARML_API_HOST naming %s than the config's clearml.apiHost: said once, in --check too",
    async (_, value, named) => {
      const config = headlessConfigFile(clearml.url);
      const host = value === 'SAME/' ? `${clearml.url}/` : value;
      const e = { ...env(), CLEARML_API_HOST: '', [named ?? 'CLEARML_API_HOST']: host };
      const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
      for (const mode of ['--once', '--check']) {
        lines = [];
        await runHeadless(['--config', config, mode, '--json', '--data-dir', dataDir], out, e);
        const notes = lines
          .map((l) => JSON.parse(l) as { type: string; message?: string })
          .filter((l) => l.type === 'warning' && l.message?.includes('is not used'));
        if (named === null) expect(notes).toEqual([]);
        else
          expect(notes.map((n) => n.message)).toEqual([
            `${named} (${host}) is not used: clearml.apiHost in ${config} names another server (${clearml.url}), which wins, and the ClearML keys are sent there; make the two match or remove one`,
          ]);
      }
    },
  );

  it('dry run decides without launching', async () => {
    clearml.createQueue('aws_gpu');
    clearml.addTask({ name: 't', queue: 'aws_gpu', durationSec: 60 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const code = await runHeadless(
      [
        '--config',
        path.join(fixtures, 'clearml-reference.yaml'),
        '--once',
        '--dry-run',
        '--json',
        '--data-dir',
        dataDir,
      ],
      out,
      env(),
    );
    expect(code).toBe(0);
    const events = lines.map((l) => JSON.parse(l) as { type: string; message?: string });
    expect(events.some((e) => e.type === 'event' && e.message?.startsWith('dry run: would launch'))).toBe(true);
    expect(ec2.instances()).toHaveLength(0);
  });

  it('a run that ends during a launch says in its summary that the launched instances keep running', async () => {
    clearml.createQueue('aws_gpu');
    for (let i = 0; i < 2; i++) clearml.addTask({ name: `train-${i}`, queue: 'aws_gpu', durationSec: 600 });
    // RunInstances answers 5 s late, so the run's 2.4 s limit lands while the launch is under way.
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const hold = body.toString().includes('Action=RunInstances') ? 5000 : 0;
        setTimeout(() => {
          const headers = Object.fromEntries(
            Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
          ) as Record<string, string>;
          void fetch(`${ec2.url}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body }).then(async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/xml' });
            res.end(Buffer.from(await r.arrayBuffer()));
          });
        }, hold);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
      const argv = [
        '--config',
        path.join(fixtures, 'clearml-reference.yaml'),
        '--minutes',
        '0.04',
        '--data-dir',
        dataDir,
      ];
      expect(await runHeadless(argv, out, env())).toBe(0);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
    const text = lines.join('\n');
    expect(text).toMatch(/launched 2 × g4dn\.xlarge on 'aws_gpu'/);
    expect(ec2.instances()).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^2 instances keep running.*: the next start adopts them from their EC2 tags/);
  });

  it('prints the cost report from the history, and CSV', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const now = Date.now();
    const h = await CostHistory.open({ file: path.join(dataDir, 'cost-history.jsonl'), clock: systemClock });
    const base = {
      instanceType: 'm5.large',
      market: 'on-demand' as const,
      zone: 'us-east-1a',
      priceSource: { kind: 'bundled' as const, fetchedAt: null },
    };
    await h.record({
      t: 'launched',
      at: now - 3 * 3600_000,
      instanceId: 'i-00000001',
      queue: 'cpu',
      resource: 'cpu_m5',
      hourlyPrice: 1,
      ...base,
    });
    await h.record({ t: 'registered', at: now - 3 * 3600_000 + 60_000, instanceId: 'i-00000001' });
    await h.record({
      t: 'task-started',
      at: now - 3 * 3600_000 + 60_000,
      instanceId: 'i-00000001',
      taskId: 'task-a',
      name: 'preprocess',
    });
    await h.record({ t: 'task-ended', at: now - 3600_000, instanceId: 'i-00000001', taskId: 'task-a' });
    await h.record({ t: 'terminated', at: now - 3600_000, instanceId: 'i-00000001' });
    await h.close();
    const since = new Date(now - 86400_000 * 2).toISOString().slice(0, 10);
    expect(await runHeadless(['--report', 'costs', '--since', since, '--data-dir', dataDir], out, env())).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/total \$2\.00/);
    expect(text).toMatch(/preprocess\s+cpu\s+\$1\.98/);
    lines = [];
    expect(await runHeadless(['--report', 'costs', '--since', since, '--csv', '--data-dir', dataDir], out, env())).toBe(
      0,
    );
    expect(lines.join('\n').split('\n')[0]).toMatch(/^instance_id,queue,resource/);
  });

  it('--report costs says where its prices came from (text and JSON), and a same-day start to the minute', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const now = Date.now();
    // Launched later today than the period's midnight start: the note must tell the two apart.
    const dayStart = now - 120_000 - ((now - 120_000) % 86400_000);
    const at = Math.max(dayStart + 60_000, now - 3600_000);
    const h = await CostHistory.open({ file: path.join(dataDir, 'cost-history.jsonl'), clock: systemClock });
    const launch = (instanceId: string, kind: 'bundled' | 'estimate', note: string) =>
      h.record({
        t: 'launched',
        at,
        instanceId,
        queue: 'cpu',
        resource: 'cpu_m5',
        instanceType: 'm5.large',
        market: 'on-demand',
        zone: 'us-east-1a',
        hourlyPrice: 0.1,
        priceSource: { kind, fetchedAt: null, note },
      });
    const offline = 'the Pricing API was unreachable (ENOTFOUND)';
    await launch('i-00000003', 'bundled', offline);
    await launch('i-00000004', 'bundled', offline);
    await launch('i-00000005', 'estimate', 'unknown type');
    await h.close();
    const since = new Date(dayStart).toISOString().slice(0, 10);
    expect(await runHeadless(['--report', 'costs', '--since', since, '--data-dir', dataDir], out, env())).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain(
      '  prices: bundled price table for 2 instances, estimate for 1 instance ' +
        '(the Pricing API was unreachable (ENOTFOUND); unknown type)',
    );
    const minute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    expect(text).toContain(`note: the cost history starts at ${minute(at)}, after ${minute(dayStart)}:`);
    lines = [];
    expect(
      await runHeadless(['--report', 'costs', '--since', since, '--json', '--data-dir', dataDir], out, env()),
    ).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ priceSources: { bundled: 2, estimate: 1 } });
  });

  it('--report costs --since before the history starts says where it starts and why', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const now = Date.now();
    const start = now - 10 * 86400_000;
    const h = await CostHistory.open({ file: path.join(dataDir, 'cost-history.jsonl'), clock: systemClock });
    await h.record({
      t: 'launched',
      at: start,
      instanceId: 'i-00000002',
      queue: 'cpu',
      resource: 'cpu_m5',
      instanceType: 'm5.large',
      market: 'on-demand',
      zone: 'us-east-1a',
      hourlyPrice: 1,
      priceSource: { kind: 'bundled', fetchedAt: null },
    });
    await h.record({ t: 'terminated', at: start + 3600_000, instanceId: 'i-00000002' });
    await h.close();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const report = async (...extra: string[]) => {
      lines = [];
      expect(await runHeadless(['--report', 'costs', ...extra, '--data-dir', dataDir], out, env())).toBe(0);
      return lines.join('\n');
    };
    const since = day(now - 500 * 86400_000);
    expect(await report('--since', since)).toContain(
      `note: the cost history starts at ${day(start)}, after ${since}: spend before it is not counted ` +
        '(the history keeps instances that ended within the last 400 days)',
    );
    const json = JSON.parse(await report('--since', since, '--json')) as Record<string, unknown>;
    expect(json).toMatchObject({ historyStartsAt: new Date(start).toISOString(), retentionDays: 400, total: 1 });
    // From after the start: nothing to say.
    expect(await report('--since', day(now - 5 * 86400_000))).not.toContain('note:');
    expect(JSON.parse(await report('--since', day(now - 5 * 86400_000), '--json'))).not.toHaveProperty(
      'historyStartsAt',
    );
  });
});

describe('headless CLI: --check, errors and reports', () => {
  const ownConfig = (apiHost: string) => headlessConfigFile(apiHost);
  const awsKeys = { AWS_ACCESS_KEY_ID: 'AKIATESTTESTTESTTEST', AWS_SECRET_ACCESS_KEY: 'testsecret' };

  it('--check reports both connections and the permissions, exit 0 when all work', async () => {
    Object.assign(process.env, awsKeys);
    const code = await runHeadless(['--config', ownConfig(clearml.url), '--check'], out, env());
    const text = lines.join('\n');
    expect(text).toMatch(new RegExp(`^ok {4}ClearML {2}${clearml.url.replace(/[.]/g, '\\.')}: Connected`, 'm'));
    expect(text).toMatch(new RegExp(`^ok {4}EC2 {6}${ec2.url.replace(/[.]/g, '\\.')} \\(us-east-1`, 'm'));
    expect(text).toContain('ec2:RunInstances: allowed for m5.large (on-demand)');
    expect(text).toContain('Everything the autoscaler needs works.');
    expect(code).toBe(0);
    expect(ec2.instances()).toHaveLength(0);
  });

  it('--check exits 1 and says which side failed when ClearML is unreachable or a permission is missing', async () => {
    Object.assign(process.env, awsKeys);
    ec2.faults.push({ action: 'RunInstances', code: 'UnauthorizedOperation' });
    const code = await runHeadless(['--config', ownConfig('http://127.0.0.1:1'), '--check', '--json'], out, env());
    expect(code).toBe(1);
    const report = JSON.parse(lines.at(-1)!) as {
      ok: boolean;
      clearml: { ok: boolean; message: string };
      ec2: { ok: boolean; missing: string[] };
    };
    expect(report.ok).toBe(false);
    expect(report.clearml.ok).toBe(false);
    expect(report.clearml.message).toContain('Could not reach the ClearML server at http://127.0.0.1:1');
    expect(report.ec2.missing).toEqual(['ec2:RunInstances']);
  });

  it('--check with ClearML and EC2 unreachable says what to set in the config or the environment, as --once does', async () => {
    Object.assign(process.env, awsKeys, { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' });
    const code = await runHeadless(['--config', ownConfig('http://127.0.0.1:9'), '--check'], out, env());
    expect(code).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/^FAIL {2}ClearML {2}http:\/\/127\.0\.0\.1:9: Could not reach the ClearML server/m);
    expect(text).toMatch(
      /^ {8}Cannot reach the ClearML server at .*: check clearml\.apiHost in the config file \(or CLEARML_API_HOST\)/m,
    );
    expect(text).toMatch(
      /^ {8}ec2:DescribeInstances: could not be checked — Cannot reach the EC2 API .*: check aws\.region in the config file \(or AWS_ENDPOINT_URL_EC2\)/m,
    );
    // A terminal has no Settings, and a check that ran once has no next poll.
    expect(text).not.toContain('Settings');
    expect(text).not.toMatch(/poll/i);
  });

  it('with ClearML unreachable and no AWS credentials, --once names both, each once, with what to set', async () => {
    delete process.env.AWS_ENDPOINT_URL_EC2;
    const home = mkdtempSync(path.join(tmpdir(), 'home-'));
    const bare = {
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
      CLEARML_API_ACCESS_KEY: KEYS.accessKey,
      CLEARML_API_SECRET_KEY: KEYS.secretKey,
    };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, bare, { AWS_EC2_METADATA_DISABLED: 'true' });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const code = await runHeadless(
      ['--config', ownConfig('http://127.0.0.1:1'), '--once', '--data-dir', dataDir],
      out,
      bare,
    );
    expect(code).toBe(1);
    const errors = lines.filter((l) => /^(error: |\d\d:\d\d:\d\d {2}ERROR)/.test(l)).join('\n');
    expect(errors).toMatch(/ClearML could not be read at http:\/\/127\.0\.0\.1:1 .*clearml\.apiHost/);
    expect(errors).toMatch(
      /EC2 could not be read at https:\/\/ec2\.us-east-1\.amazonaws\.com \(no credentials\).*AWS_PROFILE/,
    );
    expect(errors).not.toContain('Settings');
    expect(errors).not.toMatch(/retry/i);
    expect(lines.filter((l) => l.includes('ClearML could not be read'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('EC2 could not be read'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('Settings');
  });

  it('--check with AWS_PROFILE naming a missing profile names that profile and the instance role', async () => {
    const home = awsOnly({ AWS_PROFILE: 'nosuch' });
    expect(await runHeadless(['--config', ownConfig(clearml.url), '--check'], out, { ...env(), HOME: home })).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/no AWS credentials were found for the profile 'nosuch' that AWS_PROFILE names: /);
    expect(text).toContain(
      "unset AWS_PROFILE to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or this EC2 host's instance role",
    );
    expect(text).not.toContain('set AWS_PROFILE, or');
  });

  it.each([
    ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
    ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'],
  ])('--check with %s set and %s not names the missing half of the key pair', async (set, missing) => {
    // An EnvironmentFile that lost a line: one half set, the other missing (the SDK then ignores both).
    const home = awsOnly({ [set]: set === 'AWS_ACCESS_KEY_ID' ? 'AKIATESTTESTTESTTEST' : 'testsecret' });
    expect(await runHeadless(['--config', ownConfig(clearml.url), '--check'], out, { ...env(), HOME: home })).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain(`${set} is set but ${missing} is empty or missing`);
    expect(text).toContain(`set ${missing} beside it`);
    expect(text).not.toContain('testsecret');
  });

  it('a ~/clearml.conf that was ignored is named first, in --json too, and by --once and --check with what to set', async () => {
    Object.assign(process.env, awsKeys);
    const home = mkdtempSync(path.join(tmpdir(), 'home-'));
    const conf = path.join(home, 'clearml.conf');
    // The closing brace of `api` is missing: the file is ignored, and with it the keys the user meant.
    writeFileSync(
      conf,
      `api {\n  credentials {\n    access_key: "${KEYS.accessKey}"\n    secret_key: "${KEYS.secretKey}"\n  }\n`,
    );
    const bare = { HOME: home, CLEARML_API_HOST: clearml.url };
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const code = await runHeadless(
      ['--config', ownConfig(clearml.url), '--once', '--json', '--data-dir', dataDir],
      out,
      bare,
    );
    expect(code).toBe(1);
    // Every line is JSON (a plain "warning: no ClearML credentials" line among them would break a log shipper).
    const events = lines.map((l) => JSON.parse(l) as { type: string; message?: string });
    expect(events[0]?.type).toBe('warning');
    expect(events[0]?.message).toMatch(/ has a syntax error at line \d+, column \d+ and was ignored$/);
    expect(events[0]?.message?.startsWith(conf)).toBe(true);
    const noKeys = events.filter((e) =>
      e.message?.startsWith('no ClearML credentials found: set CLEARML_API_ACCESS_KEY'),
    );
    expect(noKeys.map((e) => e.type)).toEqual(['warning']);
    const failed = events.find((e) => e.type === 'event' && e.message?.startsWith('ClearML could not be read'));
    expect(failed?.message).toContain(`(No ClearML credentials are set: ${conf} has a syntax error at line`);
    expect(failed?.message).toMatch(/: set CLEARML_API_ACCESS_KEY/);
    expect(JSON.stringify(events)).not.toContain(KEYS.secretKey);

    lines = [];
    expect(await runHeadless(['--config', ownConfig(clearml.url), '--check'], out, bare)).toBe(1);
    expect(lines.join('\n')).toMatch(
      new RegExp(
        `^FAIL {2}ClearML {2}\\S+: No ClearML credentials are set: .*clearml\\.conf has a syntax error at line \\d+, column \\d+ and was ignored: set CLEARML_API_ACCESS_KEY`,
        'm',
      ),
    );
  });

  it('a zero-filled cost history (a power cut) is named once, kept as .corrupt by a run, and left as it is by the report', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    const file = path.join(dataDir, 'cost-history.jsonl');
    writeFileSync(file, Buffer.alloc(1744));
    expect(await runHeadless(['--report', 'costs', '--json', '--data-dir', dataDir], out, env())).toBe(0);
    const report = JSON.parse(lines.join('')) as { total: number; warnings?: string[] };
    expect(report.total).toBe(0);
    expect(report.warnings?.[0]).toMatch(/1 line of the cost history in .* could not be read \(zero bytes.*left out/);
    expect(readFileSync(file)).toEqual(Buffer.alloc(1744));

    lines = [];
    clearml.createQueue('aws_gpu');
    const run = ['--config', path.join(fixtures, 'clearml-reference.yaml'), '--once', '--data-dir', dataDir];
    expect(await runHeadless(run, out, env())).toBe(0);
    const said = lines.filter((l) => l.includes('cost history'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/WARN.*could not be read \(zero bytes.*copied to cost-history\.jsonl\.corrupt/);
    expect(readFileSync(`${file}.corrupt`)).toEqual(Buffer.alloc(1744));
    lines = [];
    expect(await runHeadless(run, out, env())).toBe(0);
    expect(lines.filter((l) => l.includes('cost history'))).toEqual([]);
  });

  it('--report costs --csv on a damaged history keeps stdout pure CSV and names the lost lines on stderr', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    writeFileSync(path.join(dataDir, 'cost-history.jsonl'), Buffer.alloc(1744));
    const warned: string[] = [];
    const csvOut = { write: out.write, warn: (l: string) => void warned.push(l) };
    expect(await runHeadless(['--report', 'costs', '--csv', '--data-dir', dataDir], csvOut, env())).toBe(0);
    expect(lines.join('\n').split('\n')).toEqual([expect.stringMatching(/^instance_id,queue,resource/) as string]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^warning: 1 line of the cost history in .* could not be read \(zero bytes/);
  });

  it('--report costs with no history says so and creates nothing', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'data-')), 'not-yet');
    expect(await runHeadless(['--report', 'costs', '--data-dir', dataDir], out, env())).toBe(0);
    expect(lines.join('\n')).toBe(
      `No spend recorded yet: there is no cost history at ${path.join(dataDir, 'cost-history.jsonl')}.`,
    );
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("headless CLI: start-up failures name the path and what set it, in the run's format", () => {
  const json = () => lines.map((l) => JSON.parse(l) as { type: string; message: string });
  const reference = path.join(fixtures, 'clearml-reference.yaml');
  /** A file where a folder is expected: a path below it cannot be created (ENOTDIR), even by root. */
  const fileInTheWay = () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'data-')), 'a-file');
    writeFileSync(file, '');
    return file;
  };

  it.each([
    ['a missing file', () => '/nonexistent/autoscaler.yaml', /it does not exist/],
    ['a folder', () => fixtures, /it is a folder/],
  ])('--config naming %s exits 2 (a restart cannot fix it) with one JSON error', async (_, config, why) => {
    const file = config();
    expect(await runHeadless(['--config', file, '--once', '--json'], out, env())).toBe(2);
    expect(json().map((l) => l.type)).toEqual(['error']);
    expect(json()[0]!.message).toContain(`${file} (--config)`);
    expect(json()[0]!.message).toMatch(why);
    expect(ec2.calls.total).toBe(0);
  });

  it('a data folder that cannot be created exits 2 naming the folder and --data-dir, as JSON', async () => {
    clearml.createQueue('aws_gpu');
    const dataDir = path.join(fileInTheWay(), 'data');
    expect(await runHeadless(['--config', reference, '--once', '--json', '--data-dir', dataDir], out, env())).toBe(2);
    const errors = json().filter((l) => l.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(`the data folder ${dataDir} (--data-dir) cannot be used: ENOTDIR`);
    // What to do, not only the system's word for the call that failed.
    expect(errors[0]!.message).toMatch(/: move the file in the way aside$/);
    expect(ec2.calls.total).toBe(0);
  });

  it('a HOME that cannot hold the default data folder says so and how to choose another, exit 2', async () => {
    clearml.createQueue('aws_gpu');
    const home = path.join(fileInTheWay(), 'home');
    const code = await runHeadless(['--config', reference, '--once'], out, { ...env(), HOME: home });
    expect(code).toBe(2);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^error: the data folder ${home}/\\.local/share/clearml-tray-autoscaler \\(the default under HOME; ` +
          '--data-dir or AUTOSCALER_DATA_DIR choose another\\) cannot be used: ENOTDIR',
      ),
    );
  });

  it.each([
    ['a run', ['--config', reference, '--once', '--json']],
    ['--report costs', ['--report', 'costs', '--json']],
  ])('an empty AUTOSCALER_DATA_DIR is refused like an empty --data-dir: %s', async (_, argv) => {
    const cwdBefore = process.cwd();
    expect(await runHeadless(argv, out, { ...env(), AUTOSCALER_DATA_DIR: '' })).toBe(2);
    expect(json().map((l) => l.type)).toEqual(['error']);
    expect(json()[0]!.message).toMatch(/^AUTOSCALER_DATA_DIR is set but empty: give it a folder path/);
    expect(process.cwd()).toBe(cwdBefore);
    expect(existsSync(path.join(cwdBefore, LOCK_FILE))).toBe(false);
  });

  it("--report costs on a history it cannot read names the file and the data folder's source, exit 2", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
    mkdirSync(path.join(dataDir, 'cost-history.jsonl'));
    expect(await runHeadless(['--report', 'costs', '--json', '--data-dir', dataDir], out, env())).toBe(2);
    expect(json().map((l) => l.type)).toEqual(['error']);
    expect(json()[0]!.message).toContain(
      `cannot read the cost history ${path.join(dataDir, 'cost-history.jsonl')} (data folder from --data-dir): EISDIR`,
    );
  });

  it.each([
    ['ENOSPC', 1],
    ['EMFILE', 1],
    ['EACCES', 2],
    ['EROFS', 2],
    ['ENOTDIR', 2],
    [undefined, 2],
  ] as const)('a start-up file error %s exits %i', (code, exit) => {
    expect(startFailureExit(code)).toBe(exit);
  });

  it.each([
    [
      'read-only',
      /^: mount its disk writable, or, under a systemd unit with ProtectSystem=strict, .*StateDirectory=.*ReadWritePaths=$/,
    ],
    ['permissions', /^: give your user back the folder/],
    ['full', /^: free some space on its disk$/],
    [null, /^$/],
  ] as const)('a data folder that cannot be used (%s) ends its line with what to do', (fault, fix) => {
    expect(startFailureFix(fault)).toMatch(fix);
  });
});

describe('headless CLI: relative paths are taken from where the command was typed (npm run runs in the package)', () => {
  it('--config and --data-dir resolve against INIT_CWD, and messages name the absolute paths', async () => {
    clearml.createQueue('aws_gpu');
    const typedIn = mkdtempSync(path.join(tmpdir(), 'operator-'));
    writeFileSync(path.join(typedIn, 'my.yaml'), readFileSync(path.join(fixtures, 'clearml-reference.yaml')));
    const from = { ...env(), INIT_CWD: typedIn };
    expect(await runHeadless(['--config', 'my.yaml', '--once', '--data-dir', 'state'], out, from)).toBe(0);
    expect(existsSync(path.join(typedIn, 'state'))).toBe(true);
    expect(existsSync(path.resolve('state'))).toBe(false);

    lines = [];
    expect(await runHeadless(['--config', 'missing.yaml', '--once'], out, from)).toBe(2);
    expect(lines.at(-1)).toContain(`cannot load the config file ${path.join(typedIn, 'missing.yaml')} (--config)`);

    lines = [];
    expect(await runHeadless(['--report', 'costs', '--data-dir', 'elsewhere'], out, from)).toBe(0);
    expect(lines).toEqual([
      `No spend recorded yet: there is no cost history at ${path.join(typedIn, 'elsewhere', 'cost-history.jsonl')}.`,
    ]);
  });
});
