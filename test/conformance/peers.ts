/**
 * Real peers for the conformance suite: processes from the Python venv that scripts/python-env.sh builds
 * (moto's EC2 server, the real clearml-agent, ClearML's own autoscaler). A missing venv is a failure with the
 * command that fixes it, never a skip: this suite exists to run against them.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The venv's bin folder: $CTA_VENV or .venv at the top of the checkout. */
export function venvBin(): string {
  const venv = process.env.CTA_VENV ?? path.join(repoRoot, '.venv');
  const bin = path.join(venv, 'bin');
  if (!existsSync(path.join(bin, 'python')))
    throw new Error(`no Python test tooling at ${venv}: run 'bash scripts/python-env.sh' first`);
  return bin;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Peer {
  readonly url: string;
  readonly proc: ChildProcess;
  /** What the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Polls `url` until it answers (any HTTP status) or the process exits. */
async function waitReady(url: string, proc: ChildProcess, out: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`peer exited with ${proc.exitCode} before it answered:\n${out()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`peer at ${url} did not answer within ${timeoutMs} ms:\n${out()}`);
}

/**
 * moto's standalone server (all services, EC2 among them) on a free loopback port. `env`: moto settings, e.g.
 * `INITIAL_NO_AUTH_ACTION_COUNT` to enforce IAM after that many requests.
 */
export async function startMoto(env: Record<string, string> = {}): Promise<Peer> {
  const port = await freePort();
  const proc = spawn(path.join(venvBin(), 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false', ...env },
  });
  let buf = '';
  const keep = (d: Buffer) => {
    buf = (buf + d.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/moto-api/`, proc, () => buf, 30_000);
  return {
    url,
    proc,
    output: () => buf,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** Clears every resource moto holds, between tests. */
export async function resetMoto(peer: Peer): Promise<void> {
  const r = await fetch(`${peer.url}/moto-api/reset`, { method: 'POST' });
  if (!r.ok) throw new Error(`moto reset answered ${r.status}`);
}

/**
 * One moto server for a test file: started before its first test, reset before each test, stopped after the last.
 * Call at the top of the file; the getter gives the running server inside tests and later hooks.
 */
export function motoPerFile(): () => Peer {
  let moto: Peer | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => resetMoto(moto!));
  return () => {
    if (!moto) throw new Error('moto is not running: motoPerFile() hands it out only inside tests and hooks');
    return moto;
  };
}
