/**
 * `npm test` (scripts/test.mjs) and its closing line: the counts must come from this run's vitest report, never
 * from one an earlier run left behind, and a vitest that fails without a failing test still counts as a failure.
 * Run in a temporary output folder (AUTOSCALER_TEST_OUTPUT) outside any D-Bus wrapping (AUTOSCALER_TEST_INNER).
 * Also the flags of `npm run chaos` and `npm run preview:web`: usage on --help, a clear refusal of a wrong one (and
 * of one that another flag would leave unused), and a preview refused a data folder another engine runs on.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { headlessConfigFile, runScript } from '../fixtures/index.js';
import { until } from '../fixtures/team.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A script with its reports in `out`, outside any D-Bus wrapping. */
const run = (out: string, args: string[], script = 'scripts/test.mjs') =>
  runScript(script, args, { AUTOSCALER_TEST_OUTPUT: out, AUTOSCALER_TEST_INNER: '1' });

describe('npm test: the closing line', () => {
  it("ignores an earlier run's report: vitest refusing an option is 0 passed, 1 failed", async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    dirs.push(out);
    // What a previous, green run leaves behind.
    writeFileSync(
      path.join(out, 'vitest.json'),
      JSON.stringify({ numPassedTests: 999, numFailedTests: 0, numPendingTests: 0, testResults: [] }),
    );
    const r = await run(out, ['--no-such-vitest-option']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('vitest exited with status 1 and no failing test: counted as 1 failure');
    expect(r.out.trim().split('\n').at(-1)).toBe('0 passed, 1 failed, 0 skipped');
    expect(JSON.parse(readFileSync(path.join(out, 'summary-unit.json'), 'utf8'))).toEqual({
      suite: 'unit',
      passed: 0,
      failed: 1,
      skipped: 0,
    });
  });

  it('--help prints its usage and runs nothing (no summary written)', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    dirs.push(out);
    const r = await run(out, ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: npm test \[-- FILTER… \| vitest options\]/);
    expect(existsSync(path.join(out, 'summary-unit.json'))).toBe(false);
  });

  it('removes the temp folders the tests leave: TMPDIR is as empty after the run as before', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    const tmp = mkdtempSync(path.join(tmpdir(), 'npm-scripts-tmp-'));
    dirs.push(out, tmp);
    // This file's test writes into a `known-` folder it does not remove.
    const r = await runScript('scripts/test.mjs', ['test/team/known-fingerprints.test.ts'], {
      AUTOSCALER_TEST_OUTPUT: out,
      AUTOSCALER_TEST_INNER: '1',
      TMPDIR: tmp,
    });
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^[1-9]\d* passed, 0 failed, 0 skipped$/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('refuses an unknown --suite', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    dirs.push(out);
    const r = await run(out, ['--suite', 'nightly']);
    expect(r.code).toBe(2);
    expect(r.out).toContain("unknown --suite 'nightly': use one of unit, conformance");
  });
});

describe('npm run chaos: flags', () => {
  it.each([
    // [args, exit code, what it prints]
    [['--help'], 0, /^usage: npm run chaos -- \[options\]\n {2}--seed N/],
    [['--bogus'], 2, /^Unknown option '--bogus'\nusage: npm run chaos/],
    [['--runs', '0'], 2, /^--runs must be a whole number ≥ 1, got '0'/],
  ] as [string[], number, RegExp][])('%j exits %i without running', async (args, code, said) => {
    const r = await run(tmpdir(), args, 'test/chaos/run.ts');
    expect(r.code).toBe(code);
    expect(r.out).toMatch(said);
    expect(r.out).not.toContain('seed  delay');
  });
});

describe('npm run preview:web: flags refused before anything starts', () => {
  it.each([
    // [args, what it prints]
    [['--bogus'], /^Unknown option '--bogus'[^]*Usage: npm run preview:web/],
    [['--port', '99999'], /^--port must be a whole number from 0 to 65535, not '99999'\./],
    [['--data-dir', 'FILE'], /^Cannot use --data-dir .*: a file is in the way; name a folder\.$/m],
    [['--data-dir', 'FILE/below'], /^Cannot use --data-dir .*below: a file is in the way; name a folder\.$/m],
    // A flag the other flags would leave unused is refused, not ignored.
    [['--config', 'FILE', '--first-run'], /^--config runs against your config and --first-run starts empty: give one/],
    [['--token-file', 'FILE'], /^--token-file goes with --attach wss:\/\/HOST:PORT/],
    [['--fingerprint', 'AB:CD'], /^--fingerprint goes with --attach/],
    [
      ['--attach', 'wss://127.0.0.1:1', '--token-file', 'FILE', '--data-dir', 'FILE'],
      /^--attach shows a team engine: --data-dir does not apply\.$/m,
    ],
    [['--attach', 'wss://127.0.0.1:1', '--config', 'FILE'], /^--attach shows a team engine: --config does not apply\./],
  ] as [string[], RegExp][])('%j exits 2', async (args, said) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    dirs.push(dir);
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    const r = await run(
      dir,
      args.map((a) => a.replace('FILE', file)),
      'electron/engine/preview/preview-web.ts',
    );
    expect(r.code).toBe(2);
    expect(r.out).toMatch(said);
    expect(r.out).not.toContain('Open the dashboard');
  });
});

describe('npm run preview:web: stopped by a supervisor', () => {
  it('a SIGTERM repeated while it stops (tsx relays its own copy) is said once and ignored: it stops cleanly, exit 0, lock released', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    dirs.push(dir);
    // A ClearML server that accepts connections and never answers: the engine's first poll is in flight, and the
    // stop waits for it, so there is time for a second signal to arrive while it stops.
    const sockets: Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const config = headlessConfigFile(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    const root = path.resolve(import.meta.dirname, '../..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'electron/engine/preview/preview-web.ts', '--config', config, '--data-dir', dir],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CLEARML_API_ACCESS_KEY: 'AK', CLEARML_API_SECRET_KEY: 'SK' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await until(
        'the preview to serve and poll',
        () => out.includes('Open the dashboard') && sockets.length > 0,
        60_000,
      );
      expect(existsSync(path.join(dir, 'engine', 'engine.lock'))).toBe(true);
      // As a supervisor's group kill and tsx's relay deliver it: the same signal again while it stops (sent at
      // once, the kernel would merge the two into one).
      child.kill('SIGTERM');
      await until('the stop to begin', () => out.includes('SIGTERM: stopping…'), 10_000);
      child.kill('SIGTERM');
      await until('the second signal to be heard', () => /SIGTERM again/.test(out), 10_000);
      for (const s of sockets) s.destroy();
      const end = await exited;
      expect(end).toEqual({ code: 0, signal: null });
      expect(out.match(/SIGTERM again: already stopping/g)).toHaveLength(1);
      // Not the demo: what it launched on AWS outlives it, and the line says so.
      expect(out).toContain('Stopped. Instances launched on AWS keep running until the next start scales them down');
      expect(existsSync(path.join(dir, 'engine', 'engine.lock'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('npm run preview:web --data-dir: one engine per folder', () => {
  it('refuses a folder whose engine another live process runs, and names that process', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npm-scripts-'));
    dirs.push(dir);
    // A live Node process stands in for a second preview (or `headless --data-dir DIR/engine`) on this folder.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => holder.once('spawn', resolve));
      mkdirSync(path.join(dir, 'engine'));
      writeFileSync(
        path.join(dir, 'engine', 'engine.lock'),
        JSON.stringify({ pid: holder.pid, host: hostname(), startedAt: Date.now() }),
      );
      const r = await run(dir, ['--data-dir', dir], 'electron/engine/preview/preview-web.ts');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`another autoscaler engine \\(pid ${holder.pid} on `));
      expect(r.out).not.toContain('Open the dashboard');
      // The holder's lock is left as it was.
      expect(readFileSync(path.join(dir, 'engine', 'engine.lock'), 'utf8')).toContain(`"pid":${holder.pid}`);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
