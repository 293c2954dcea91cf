/**
 * The headless CLI as a supervisor or a terminal stops it: a real process (node with tsx, as `npm run headless`
 * runs it) against the ClearML and EC2 emulators, with RunInstances held by a proxy so the stop has a launch in
 * flight to wait for. Each test releases the launch only once the signals under test have been handled.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../electron/engine/data-dir-lock.js';
import { signalAction, type StopState } from '../../electron/engine/cli/process.js';
import { startClearmlEmulator, type ClearmlEmulator } from '../../electron/engine/testkit/clearml-faults.js';
import { startEc2Emulator, type Ec2Emulator } from '../../electron/engine/testkit/ec2-faults.js';
import { systemClock } from '../../electron/engine/ports.js';
import { AWS, KEYS } from './world.js';

const root = path.resolve(import.meta.dirname, '../..');
const reference = path.join(root, 'test/fixtures/config/clearml-reference.yaml');

let clearml: ClearmlEmulator;
let ec2: Ec2Emulator;
let proxy: Server;
/** Resolves when a RunInstances reached the proxy; `release()` lets the held ones through. */
let launchHeld: Promise<void>;
let release: () => void;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(async () => {
  clearml = await startClearmlEmulator({ clock: systemClock, ...KEYS });
  ec2 = await startEc2Emulator({ clock: systemClock });
  clearml.createQueue('aws_gpu');
  clearml.addTask({ name: 'train', queue: 'aws_gpu', durationSec: 600 });
  let held!: () => void;
  launchHeld = new Promise((r) => (held = r));
  let released!: () => void;
  const releasedP = new Promise<void>((r) => (released = r));
  release = released;
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
        ) as Record<string, string>;
        void fetch(`${ec2.url}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body }).then(
          async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/xml' });
            res.end(Buffer.from(await r.arrayBuffer()));
          },
          () => res.destroy(),
        );
      };
      if (!body.toString().includes('Action=RunInstances')) return forward();
      held();
      void releasedP.then(forward);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
});

afterEach(async () => {
  release();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await new Promise((r) => proxy.close(r));
  await clearml.close();
  await ec2.close();
});

/** The CLI as `npm run headless` runs it, on its own data folder; `lines` collects stdout as it comes. */
function startCli(args: string[]) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'data-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'electron/engine/cli/headless.ts', '--config', reference, '--data-dir', dataDir, ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        HOME: mkdtempSync(path.join(tmpdir(), 'home-')),
        CLEARML_API_HOST: clearml.url,
        CLEARML_API_ACCESS_KEY: KEYS.accessKey,
        CLEARML_API_SECRET_KEY: KEYS.secretKey,
        AWS_ACCESS_KEY_ID: AWS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_EC2: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        NO_COLOR: '1',
      },
    },
  );
  children.push(child);
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters: { test: (l: string) => boolean; resolve: () => void; reject: (e: Error) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of waiters.filter((x) => x.test(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`exited (${code ?? signal}) first; stdout:\n${lines.join('\n')}`));
      resolve({ code, signal });
    }),
  );
  /** Resolves at the first stdout line (from now on) that passes `test`; rejects if the process exits first. */
  const line = (test: (l: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('already exited'));
      waiters.push({ test, resolve, reject });
    });
  return { child, lines, stderr: () => stderr, exited, line, lock: path.join(dataDir, LOCK_FILE) };
}

describe('headless CLI: stopping on signals', () => {
  it('a SIGTERM repeated during the stop (tsx relays it, systemd signals the group) is ignored: exit 0, lock released', async () => {
    const cli = startCli(['--json']);
    await launchHeld;
    cli.child.kill('SIGTERM');
    await cli.line((l) => l.includes('"message":"stopping"'));
    cli.child.kill('SIGTERM');
    await cli.line((l) => l.includes('already stopping'));
    cli.child.kill('SIGTERM');
    release();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.lines.filter((l) => l.includes('already stopping'))).toHaveLength(1);
    // The stop waited for the launch in flight.
    expect(cli.lines.some((l) => /"type":"event".*launched 1 × g4dn\.xlarge/.test(l))).toBe(true);
    // The log ends with why and what the run leaves: the launch that the stop waited for keeps running.
    expect(JSON.parse(cli.lines.at(-1)!)).toMatchObject({
      type: 'summary',
      reason: 'SIGTERM',
      launched: 1,
      leftRunning: 1,
    });
    expect(existsSync(cli.lock)).toBe(false);
    expect(cli.stderr()).toBe('');
  });
});

describe('headless CLI: the text view while stopping, SIGHUP and a closed output', () => {
  it('says at the first Ctrl+C what the stop waits for and how not to wait, then ends with its summary', async () => {
    const cli = startCli([]);
    await launchHeld;
    cli.child.kill('SIGINT');
    await cli.line((l) =>
      /stopping \(SIGINT\): waiting for the current tick and any call in flight \(Ctrl\+C again quits now\)/.test(l),
    );
    release();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.lines).toContain('  launched     1 instance');
    expect(cli.lines.at(-1)).toMatch(/^1 instance keeps running.*: the next start adopts it/);
    expect(existsSync(cli.lock)).toBe(false);
  });

  it('SIGHUP (the SSH session closed) stops cleanly like SIGTERM, a repeat included: exit 0, summary, lock released', async () => {
    const cli = startCli([]);
    await launchHeld;
    cli.child.kill('SIGHUP');
    await cli.line((l) => l.includes('stopping (SIGHUP)'));
    cli.child.kill('SIGHUP');
    await cli.line((l) => l.includes('SIGHUP again: already stopping'));
    release();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.lines).toContain('  launched     1 instance');
    expect(existsSync(cli.lock)).toBe(false);
  });

  it('a closed output pipe stops the run cleanly, without a stack trace: exit 0, lock released', async () => {
    const cli = startCli(['--json']);
    await launchHeld;
    // The reader goes away (`| head`, a log pipe that died); the launch's event line is the next write.
    cli.child.stdout.destroy();
    release();
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).not.toMatch(/EPIPE|node:events|at /);
    expect(existsSync(cli.lock)).toBe(false);
    expect(ec2.instances()).toHaveLength(1);
  });
});

describe('signalAction', () => {
  const stopping = (cause: string, at = 0, said = false): StopState => ({
    first: { cause, at },
    saidAlreadyStopping: said,
  });
  it.each([
    ['the first signal stops', { first: null, saidAlreadyStopping: false }, 'SIGTERM', 5, { code: 'stop' }],
    ['a repeated SIGTERM is said once', stopping('SIGTERM'), 'SIGTERM', 5, { code: 'already-stopping' }],
    ['then ignored', stopping('SIGTERM', 0, true), 'SIGTERM', 5, { code: 'ignore', why: 'already-said' }],
    ['a second Ctrl+C forces', stopping('SIGINT'), 'SIGINT', 1500, { code: 'force' }],
    ['one Ctrl+C relayed twice does not', stopping('SIGINT'), 'SIGINT', 20, { code: 'ignore', why: 'same-key-press' }],
    ['Ctrl+C during a SIGTERM stop forces', stopping('SIGTERM'), 'SIGINT', 20, { code: 'force' }],
  ] as const)('%s', (_, state, signal, now, expected) => {
    expect(signalAction(state, signal, now)).toEqual({ signal, ...expected });
  });
});
