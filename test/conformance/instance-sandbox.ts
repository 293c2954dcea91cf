/**
 * One emulated EC2 instance that runs for real: the startup script the engine generated for it, executed by bash
 * on loopback, with the real clearml-agent from the Python venv. What differs from a real instance:
 * - the script's path constants (the lines `CAS_…=`) point into a temp dir; its agent venv is a private venv in
 *   that dir that sees the test venv's packages through a .pth file, so it has the pinned clearml-agent and the
 *   script's own check skips every install. Never the test venv itself: the script's reinstall path runs
 *   `python3 -m venv --clear` on it. `python3` on PATH is a stub that fails, so a failed check stops the script
 *   (and fails the test) instead of reinstalling anything;
 * - the metadata service is the fake IMDSv2 of test/userdata/fakeImds.ts, answering this instance's id and tags;
 * - `shutdown`, `poweroff`, `apt-get` and `systemctl` are stubs that record their call and succeed; the script's
 *   power-off command touches a file, which `watch()` turns into a power-off of the instance in the EC2 world;
 * - when the EC2 world says the instance is shutting down or gone, `watch()` sends SIGTERM to the whole process
 *   group (as an instance's shutdown does), then SIGKILL if it has not exited within 10 s.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Ec2Machines } from '../../electron/engine/emulators/seams.js';
import { startFakeImds, type FakeImds } from '../userdata/fakeImds.js';
import { sandboxUserData } from '../userdata/helpers.js';

export interface InstanceSandbox {
  readonly dir: string;
  readonly imds: FakeImds;
  /** Script and agent output so far (stdout and stderr interleaved). */
  output(): string;
  /** Lines `name args…` the stubs recorded. */
  stubCalls(): string[];
  poweredOff(): boolean;
  exited(): boolean;
  /** Resolves when the script (and the agent in its foreground) has exited; rejects after `ms`. */
  waitExit(ms: number): Promise<number | null>;
  /** Kills what is still running and removes the temp dir. */
  close(): Promise<void>;
}

const STUBS = ['shutdown', 'poweroff', 'apt-get', 'systemctl', 'dnf', 'yum'];
const run = promisify(execFile);

export async function runInstance(opts: {
  instanceId: string;
  userData: string;
  /** The test venv (with clearml-agent); only read, through a private venv's .pth file. */
  venv: string;
  ec2: Ec2Machines;
  /** Every process is killed after this long, whatever happens. Default 120 s. */
  maxRunMs?: number;
}): Promise<InstanceSandbox> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cas-instance-'));
  const bin = path.join(dir, 'bin');
  for (const d of ['bin', 'state', 'etc', 'usrbin', 'units', 'systemd', 'home']) mkdirSync(path.join(dir, d));
  const calls = path.join(dir, 'stub-calls.log');
  for (const name of STUBS) {
    const file = path.join(bin, name);
    writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${calls}'\nexit 0\n`);
    chmodSync(file, 0o755);
  }
  const python3 = path.join(bin, 'python3');
  writeFileSync(python3, `#!/bin/sh\nprintf '%s\\n' "python3 $*" >> '${calls}'\nexit 1\n`);
  chmodSync(python3, 0o755);

  const agentVenv = path.join(dir, 'agent-venv');
  await run(path.join(opts.venv, 'bin', 'python'), ['-m', 'venv', '--without-pip', agentVenv]);
  const pyDir = readdirSync(path.join(opts.venv, 'lib')).find((d) => d.startsWith('python3'));
  if (!pyDir) throw new Error(`no lib/python3.* in ${opts.venv}`);
  writeFileSync(
    path.join(agentVenv, 'lib', pyDir, 'site-packages', 'test-venv.pth'),
    `${path.join(opts.venv, 'lib', pyDir, 'site-packages')}\n`,
  );

  const imds = await startFakeImds(opts.instanceId);
  const poweroffMark = path.join(dir, 'poweroff');
  const { script, replaced, expected } = sandboxUserData(opts.userData, {
    dir,
    venv: agentVenv,
    imdsUrl: imds.url,
    poweroffMark,
  });
  // Every production path must be redirected, or the run could touch the machine it runs on.
  if (replaced !== expected) {
    await imds.close();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redirected ${replaced} of ${expected} path constants in the user data`);
  }
  const file = path.join(dir, 'user-data.sh');
  writeFileSync(file, script);

  let out = '';
  const proc: ChildProcess = spawn('bash', [file], {
    cwd: dir,
    detached: true, // its own process group: the agent and everything it starts die with it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: path.join(dir, 'home'), LANG: 'C.UTF-8' },
  });
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let exited = false;
  void exit.then(() => (exited = true));

  const signal = (sig: NodeJS.Signals) => {
    if (exited || proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // Already gone.
    }
  };
  let killTimer: NodeJS.Timeout | null = null;
  const shutdown = () => {
    if (killTimer) return;
    signal('SIGTERM');
    killTimer = setTimeout(() => signal('SIGKILL'), 10_000);
  };
  let powered = false;
  const watcher = setInterval(() => {
    if (!powered && existsSync(poweroffMark)) {
      powered = true;
      opts.ec2.powerOff(opts.instanceId, 'the startup script powered the instance off');
    }
    const inst = opts.ec2.instances().find((i) => i.instanceId === opts.instanceId);
    if (!inst || (inst.state !== 'pending' && inst.state !== 'running')) shutdown();
  }, 250);
  const deadline = setTimeout(shutdown, opts.maxRunMs ?? 120_000);

  return {
    dir,
    imds,
    output: () => out,
    stubCalls: () => (existsSync(calls) ? readFileSync(calls, 'utf8').trimEnd().split('\n') : []),
    poweredOff: () => existsSync(poweroffMark),
    exited: () => exited,
    waitExit: (ms) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`the instance did not exit within ${ms} ms:\n${out.slice(-4000)}`)), ms),
        ),
      ]),
    async close() {
      clearInterval(watcher);
      clearTimeout(deadline);
      signal('SIGTERM');
      const done = await Promise.race([exit.then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);
      if (!done) signal('SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      await imds.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
