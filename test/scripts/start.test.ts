/**
 * `npm start` (scripts/start.mjs) when the Electron binary is missing: it runs Electron's installer, then starts the
 * binary the installer put in place, or prints the real failure (what it tried to reach and why) and the
 * alternatives. The "binary" here is a stub executable that records how it was started.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runScript } from '../fixtures/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'start-test-'));
  dirs.push(d);
  return d;
}

const run = (env: Record<string, string>, args = ['--no-build']) => runScript('scripts/start.mjs', args, env);

/** A stand-in for the Electron executable: writes its arguments to `record` and exits 0. */
function stubElectron(record: string): string {
  return `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nexit 0\n`;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 1;
      s.close(() => resolve(port));
    });
  });
}

describe('npm start without an installed Electron binary', () => {
  it('runs the installer, then starts the binary it installed', async () => {
    const dist = tmp();
    const record = path.join(dist, 'started-with.txt');
    const installer = path.join(dist, 'install.mjs');
    // The installer stub does what Electron's does on success: puts the executable where the package expects it.
    writeFileSync(
      installer,
      `import { writeFileSync, chmodSync } from 'node:fs';
console.log('Downloading Electron (stub)');
writeFileSync(${JSON.stringify(path.join(dist, 'electron'))}, ${JSON.stringify(stubElectron(record))});
chmodSync(${JSON.stringify(path.join(dist, 'electron'))}, 0o755);`,
    );
    const r = await run({ ELECTRON_OVERRIDE_DIST_PATH: dist, AUTOSCALER_ELECTRON_INSTALLER: installer });
    expect(r.out).toContain("running Electron's installer");
    expect(r.out).toContain('Downloading Electron (stub)');
    expect(r.out).toContain(`Electron installed: ${path.join(dist, 'electron')}`);
    expect(r.code).toBe(0);
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([root]);
  });

  it('starts an installed binary without running the installer', async () => {
    const dist = tmp();
    const record = path.join(dist, 'started-with.txt');
    writeFileSync(path.join(dist, 'electron'), stubElectron(record));
    chmodSync(path.join(dist, 'electron'), 0o755);
    const installer = path.join(dist, 'install.mjs');
    writeFileSync(installer, `console.log('installer ran'); process.exit(1);`);
    const r = await run({ ELECTRON_OVERRIDE_DIST_PATH: dist, AUTOSCALER_ELECTRON_INSTALLER: installer });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('installer ran');
    expect(existsSync(record)).toBe(true);
  });

  it("prints the installer's real failure, what it tried to reach, and what runs without Electron", async () => {
    const dist = tmp();
    const installer = path.join(dist, 'install.mjs');
    writeFileSync(
      installer,
      `console.error('RequestError: getaddrinfo ENOTFOUND mirror.example.invalid'); process.exit(1);`,
    );
    const r = await run({
      ELECTRON_OVERRIDE_DIST_PATH: dist,
      AUTOSCALER_ELECTRON_INSTALLER: installer,
      ELECTRON_MIRROR: 'http://127.0.0.1:9/mirror/',
    });
    expect(r.code).toBe(2);
    expect(r.out).toContain('Electron could not be installed');
    expect(r.out).toMatch(/tried: +http:\/\/127\.0\.0\.1:9\/mirror\/v[\d.]+\/electron-v[\d.]+-/);
    expect(r.out).toContain('error:  RequestError: getaddrinfo ENOTFOUND mirror.example.invalid');
    expect(r.out).toContain('npm run preview:web');
    expect(r.out).toContain('npm run headless -- --demo');
    // Offline with a binary at hand (copied from another machine): the variable that uses it without a download.
    expect(r.out).toMatch(/an Electron [\d.]+ binary you already have[^]*ELECTRON_OVERRIDE_DIST_PATH=/);
    expect(r.out).not.toContain('cannot reach GitHub');
  });

  it("with Electron's own installer and an unreachable mirror, names the address and the socket error", async () => {
    const dist = tmp();
    const port = await closedPort();
    const r = await run({
      ELECTRON_OVERRIDE_DIST_PATH: dist,
      ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
      electron_config_cache: tmp(),
      force_no_cache: 'true',
    });
    expect(r.code).toBe(2);
    expect(r.out).toContain(`tried:  http://127.0.0.1:${port}/v`);
    expect(r.out).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
  });
});

describe('npm start flags', () => {
  it('--demo is passed through to the app (its own flag), after the app folder', async () => {
    const dist = tmp();
    const record = path.join(dist, 'started-with.txt');
    writeFileSync(path.join(dist, 'electron'), stubElectron(record));
    chmodSync(path.join(dist, 'electron'), 0o755);
    const r = await run({ ELECTRON_OVERRIDE_DIST_PATH: dist }, ['--no-build', '--demo']);
    expect(r.code).toBe(0);
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([root, '--demo']);
  });

  it('--hidden, the README names it among the app flags after `npm start --`, is passed through too', async () => {
    const dist = tmp();
    const record = path.join(dist, 'started-with.txt');
    writeFileSync(path.join(dist, 'electron'), stubElectron(record));
    chmodSync(path.join(dist, 'electron'), 0o755);
    const r = await run({ ELECTRON_OVERRIDE_DIST_PATH: dist }, ['--no-build', '--hidden', '--demo']);
    expect(r.code).toBe(0);
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([root, '--demo', '--hidden']);
  });

  // The installer stub records that it ran: neither case may reach it (no build, no download for a typo).
  it.each([
    // [args, exit code, what it prints]
    [['--help'], 0, /^usage: npm start \[-- --no-build\] \[--demo\][^]*\n {2}--demo {7}start in the demo/],
    [['-h'], 0, /^usage: npm start/],
    [['--no-build', '--bogus'], 2, /^Unknown option: --bogus\nusage: npm start/],
    [['--demo', '--hide'], 2, /^Unknown option: --hide\nusage: npm start/],
    [['--nobuild', 'x'], 2, /^Unknown options: --nobuild x\n/],
  ] as [string[], number, RegExp][])('%j exits %i before installing or building anything', async (args, code, said) => {
    const dist = tmp();
    const marker = path.join(dist, 'installer-ran');
    const installer = path.join(dist, 'install.mjs');
    writeFileSync(installer, `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, '');`);
    const r = await run({ ELECTRON_OVERRIDE_DIST_PATH: dist, AUTOSCALER_ELECTRON_INSTALLER: installer }, args);
    expect(r.code).toBe(code);
    expect(r.out).toMatch(said);
    expect(existsSync(marker)).toBe(false);
  });
});
