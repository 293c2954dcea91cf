// Runs the real watchdog script under bash, one `--once` iteration at a time, against a fake IMDSv2 server on
// 127.0.0.1. The clock is injected (WATCHDOG_NOW) and the busy probe and power-off are tiny commands writing
// marker files, so every decision is observable and nothing real is powered off.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WATCHDOG_SH, WATCHDOG_SH_COMPACT, compactScript } from '../../electron/engine/userdata/watchdog.js';
import { TAG } from '../../electron/engine/ports.js';
import { deadUrl, startFakeImds, type FakeImds } from './fakeImds.js';

const run = promisify(execFile);
const SOURCE = path.resolve(import.meta.dirname, '../../electron/engine/userdata/watchdog.sh');
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const LEASE = 1200;
const GRACE = 600;

let imds: FakeImds;
let root: string;
let compactPath: string;

beforeAll(async () => {
  imds = await startFakeImds();
  root = mkdtempSync(path.join(tmpdir(), 'cas-watchdog-'));
  compactPath = path.join(root, 'watchdog-compact.sh');
  writeFileSync(compactPath, WATCHDOG_SH_COMPACT);
  // Safety net: if a case ever fell through to the default power-off, this `shutdown` runs, not the host's.
  mkdirSync(path.join(root, 'bin'));
  writeFileSync(path.join(root, 'bin', 'shutdown'), `#!/bin/sh\ntouch "${root}/REAL-SHUTDOWN-CALLED"\n`);
  chmodSync(path.join(root, 'bin', 'shutdown'), 0o755);
});

afterAll(async () => {
  await imds.close();
  rmSync(root, { recursive: true, force: true });
});

describe('embedding', () => {
  it('watchdog.generated.ts matches watchdog.sh (regenerate with `npx tsx electron/engine/userdata/embed-watchdog.ts`)', () => {
    expect(WATCHDOG_SH).toBe(readFileSync(SOURCE, 'utf8'));
  });

  it('the compact form keeps the shebang, drops comments and indentation, and still parses', async () => {
    expect(WATCHDOG_SH_COMPACT.startsWith('#!/bin/bash\n')).toBe(true);
    expect(WATCHDOG_SH_COMPACT.split('\n').slice(1)).not.toContainEqual(expect.stringMatching(/^\s*#|^\s+\S/));
    expect(WATCHDOG_SH_COMPACT.length).toBeLessThan(WATCHDOG_SH.length * 0.7);
    expect(compactScript('#!/bin/bash\n  # c\n\n  echo  x # y\n')).toBe('#!/bin/bash\necho  x # y\n');
    await expect(run('bash', ['-n', compactPath])).resolves.toBeDefined();
  });

  it('reads the tag the engine writes', () => {
    expect(WATCHDOG_SH).toContain(`lease_tag=${TAG.lease}`);
  });
});

interface Case {
  dir: string;
  busy(on: boolean): void;
  startedAt(epoch: number | null): void;
  once(extra?: Record<string, string>): Promise<{ stdout: string; poweredOff: boolean }>;
}

describe.each([
  ['watchdog.sh', () => SOURCE],
  ['compact form installed by the user data', () => compactPath],
])('%s', (_label, scriptPath) => {
  let c: Case;
  let seq = 0;

  beforeEach(() => {
    imds.reset();
    const dir = path.join(root, `case-${_label.length}-${seq++}`);
    const state = path.join(dir, 'state');
    mkdirSync(state, { recursive: true });
    const baseEnv = {
      PATH: `${path.join(root, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      WATCHDOG_IMDS_URL: imds.url,
      WATCHDOG_LEASE_SEC: String(LEASE),
      WATCHDOG_GRACE_SEC: String(GRACE),
      WATCHDOG_MAX_LIFETIME_SEC: '0',
      WATCHDOG_INTERVAL_SEC: '60',
      WATCHDOG_STATE_DIR: state,
      WATCHDOG_BUSY_CMD: `test -e '${dir}/busy'`,
      WATCHDOG_POWEROFF_CMD: `touch '${dir}/poweroff'`,
      WATCHDOG_SPOT_NOTICE_CMD: `echo x >> '${dir}/spot-hook'`,
      WATCHDOG_CONSOLE: '/dev/null',
      WATCHDOG_NOW: String(NOW),
    };
    c = {
      dir,
      busy: (on) => (on ? writeFileSync(path.join(dir, 'busy'), '') : rmSync(path.join(dir, 'busy'), { force: true })),
      startedAt: (epoch) =>
        epoch === null
          ? rmSync(path.join(state, 'started-at'), { force: true })
          : writeFileSync(path.join(state, 'started-at'), `${epoch}\n`),
      once: async (extra = {}) => {
        const { stdout } = await run('bash', [scriptPath(), '--once'], { env: { ...baseEnv, ...extra } });
        return { stdout, poweredOff: existsSync(path.join(dir, 'poweroff')) };
      },
    };
    c.startedAt(NOW - 300);
  });

  afterEach(() => {
    expect(existsSync(path.join(root, 'REAL-SHUTDOWN-CALLED'))).toBe(false);
  });

  const lease = (until: number) => imds.tags.set(TAG.lease, String(until));

  it.each([
    ['fresh lease', NOW + 600, false],
    ['expired, still within grace', NOW - GRACE, false],
    ['expired more than grace ago', NOW - GRACE - 1, true],
  ])('idle agent, %s', async (_name, until, off) => {
    lease(until);
    const r = await c.once();
    expect(r.poweredOff).toBe(off);
    expect(r.stdout).toContain(off ? 'decision=poweroff reason=lease-expired' : 'decision=keep reason=lease-valid');
    expect(r.stdout).toContain(`lease_until=${until} source=tag`);
  });

  it('expired lease but a busy agent: keeps running', async () => {
    lease(NOW - 7200);
    c.busy(true);
    const r = await c.once();
    expect(r.poweredOff).toBe(false);
    expect(r.stdout).toContain('decision=keep reason=lease-expired-busy');
    c.busy(false);
    expect((await c.once()).poweredOff).toBe(true);
  });

  it('hard lifetime exceeded: powers off even when busy and leased', async () => {
    lease(NOW + 3600);
    c.busy(true);
    c.startedAt(NOW - 3599);
    expect((await c.once({ WATCHDOG_MAX_LIFETIME_SEC: '3600' })).poweredOff).toBe(false);
    c.startedAt(NOW - 3600);
    const r = await c.once({ WATCHDOG_MAX_LIFETIME_SEC: '3600' });
    expect(r.poweredOff).toBe(true);
    expect(r.stdout).toContain('decision=poweroff reason=max-lifetime age=3600 max_lifetime=3600 busy=1');
  });

  it('metadata unreachable and idle: powers off only after lease+grace worth of consecutive failures', async () => {
    const env = { WATCHDOG_IMDS_URL: await deadUrl(), WATCHDOG_LEASE_SEC: '120', WATCHDOG_GRACE_SEC: '60' };
    const budget = 3; // (120 + 60) / 60
    for (let i = 1; i < budget; i++) {
      const r = await c.once(env);
      expect(r.poweredOff).toBe(false);
      expect(r.stdout).toContain(`decision=keep reason=metadata-unreachable failures=${i} budget=${budget}`);
    }
    const r = await c.once(env);
    expect(r.poweredOff).toBe(true);
    expect(r.stdout).toContain(`decision=poweroff reason=metadata-unreachable failures=${budget}`);
  });

  it('a successful read resets the failure count', async () => {
    const down = { WATCHDOG_IMDS_URL: await deadUrl(), WATCHDOG_LEASE_SEC: '120', WATCHDOG_GRACE_SEC: '60' };
    lease(NOW + 600);
    await c.once(down);
    await c.once(down);
    expect((await c.once({ WATCHDOG_LEASE_SEC: '120', WATCHDOG_GRACE_SEC: '60' })).stdout).toContain('lease-valid');
    await c.once(down);
    const r = await c.once(down);
    expect(r.poweredOff).toBe(false);
    expect(r.stdout).toContain('failures=2');
  });

  it('metadata answering 500 counts as unreachable too', async () => {
    imds.failing = true;
    const r = await c.once({ WATCHDOG_LEASE_SEC: '60', WATCHDOG_GRACE_SEC: '0' });
    expect(r.stdout).toContain('decision=poweroff reason=metadata-unreachable failures=1 budget=1');
    expect(r.poweredOff).toBe(true);
  });

  it('metadata unreachable and busy: never powers off for that reason', async () => {
    const env = { WATCHDOG_IMDS_URL: await deadUrl(), WATCHDOG_LEASE_SEC: '120', WATCHDOG_GRACE_SEC: '60' };
    c.busy(true);
    for (let i = 1; i <= 6; i++) {
      const r = await c.once(env);
      expect(r.poweredOff).toBe(false);
      expect(r.stdout).toContain(`decision=keep reason=metadata-unreachable-busy failures=${i}`);
    }
  });

  it('spot interruption notice: logged, hook run once, no premature power-off', async () => {
    lease(NOW + 600);
    imds.spotAction = '{"action": "terminate", "time": "2026-01-01T00:02:00Z"}';
    const first = await c.once();
    const second = await c.once();
    for (const r of [first, second]) {
      expect(r.poweredOff).toBe(false);
      expect(r.stdout).toContain('spot-notice notice={"action": "terminate", "time": "2026-01-01T00:02:00Z"}');
      expect(r.stdout).toContain('decision=keep reason=lease-valid');
    }
    expect(readFileSync(path.join(c.dir, 'spot-hook'), 'utf8')).toBe('x\n');
  });

  it('no spot notice (404): nothing logged about spot', async () => {
    lease(NOW + 600);
    const r = await c.once();
    expect(r.stdout).not.toContain('spot-notice');
    expect(existsSync(path.join(c.dir, 'spot-hook'))).toBe(false);
  });

  it.each([
    ['tag missing', (): void => undefined],
    ['metadata tags disabled', (): void => void (imds.tagsEnabled = false)],
    ['tag unparsable', (): void => void lease(Number.NaN)],
  ])('%s: the lease runs from the instance start', async (_name, arrange) => {
    arrange();
    c.startedAt(NOW - LEASE - GRACE);
    const kept = await c.once();
    expect(kept.poweredOff).toBe(false);
    expect(kept.stdout).toContain(`decision=keep reason=lease-valid lease_until=${NOW - GRACE} source=start`);
    c.busy(true);
    c.startedAt(NOW - LEASE - GRACE - 1);
    expect((await c.once()).stdout).toContain('reason=lease-expired-busy');
    c.busy(false);
    const off = await c.once();
    expect(off.poweredOff).toBe(true);
    expect(off.stdout).toContain('reason=lease-expired');
  });

  it('uses IMDSv2: every GET carries a token (the fake answers 401 without one)', async () => {
    lease(NOW + 600);
    await c.once();
    const gets = imds.requests.filter((r) => r.method === 'GET');
    expect(gets.map((r) => r.path)).toContain(`/latest/meta-data/tags/instance/${TAG.lease}`);
    expect(gets.every((r) => r.authorised)).toBe(true);
    expect(imds.requests[0]).toMatchObject({ method: 'PUT', path: '/latest/api/token' });
  });

  it('rejects a malformed numeric setting instead of guessing', async () => {
    await expect(c.once({ WATCHDOG_GRACE_SEC: '10m' })).rejects.toMatchObject({
      code: 2,
      stdout: expect.stringContaining('reason=bad-config grace_sec=10m') as unknown,
    });
  });
});

/** Waits until `exec -a` has retitled the spawned process, so the probe sees what a real task looks like. */
async function waitForProcess(pattern: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const found = await run('pgrep', ['-f', '--', pattern]).then(
      () => true,
      () => false,
    );
    if (found) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`process matching ${pattern} never appeared`);
}

describe('default busy probe (no WATCHDOG_BUSY_CMD)', () => {
  it('counts a running `clearml_agent execute --id` process as busy, and the daemon alone as idle', async () => {
    imds.reset();
    imds.tags.set(TAG.lease, String(NOW - 7200));
    const dir = mkdtempSync(path.join(root, 'probe-'));
    const env = {
      PATH: `${path.join(root, 'bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      WATCHDOG_IMDS_URL: imds.url,
      WATCHDOG_STATE_DIR: dir,
      WATCHDOG_POWEROFF_CMD: `echo off >> '${dir}/poweroff'`,
      WATCHDOG_CONSOLE: '/dev/null',
      WATCHDOG_NOW: String(NOW),
    };
    // A fake process titled like a daemon serving a queue whose name contains "execute": must not count.
    const tag = `${process.pid}x${Date.now()}`;
    const daemon = spawn('bash', [
      '-c',
      `exec -a "python3 -m clearml_agent --config-file /root/clearml.conf daemon --queue execute_${tag}" sleep 30`,
    ]);
    try {
      const idle = await run('bash', [SOURCE, '--once'], { env });
      expect(idle.stdout).toContain('decision=poweroff reason=lease-expired');
      const task = spawn('bash', [
        '-c',
        `exec -a "python3 -u -m clearml_agent execute --full-monitoring --id ${tag}" sleep 30`,
      ]);
      try {
        await waitForProcess(`--id ${tag}`);
        const busy = await run('bash', [SOURCE, '--once'], { env });
        expect(busy.stdout).toContain('decision=keep reason=lease-expired-busy');
      } finally {
        task.kill();
      }
    } finally {
      daemon.kill();
    }
    expect(readFileSync(path.join(dir, 'poweroff'), 'utf8')).toBe('off\n');
  });
});
