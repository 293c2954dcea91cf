#!/usr/bin/env node
// `npm test`: every suite that can run on this machine, then one closing line `N passed, N failed, N skipped`.
// `npm run conformance` (this script with `--suite conformance`): the suites that run our engine against real peers
// (moto's EC2 server, the real clearml-agent, ClearML's own autoscaler), from the Python venv of
// scripts/python-env.sh. Each run also writes test-output/summary-<suite>.json, which .ci/run adds up.
// The keychain suite needs a Secret Service: when none is running and gnome-keyring is installed, this script
// re-runs itself inside a private D-Bus session with an unlocked, throw-away keyring.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm test [-- FILTER… | vitest options]     the unit, integration, keychain and browser suites
       npm run conformance [-- FILTER…]              the suites against real peers (needs scripts/python-env.sh once)
Any other argument goes to \`vitest run\`: a path filter (npm test -- test/engine) or an option (-t 'name').
Ends with one line \`N passed, N failed, N skipped\` and writes test-output/summary-<suite>.json.`);
  process.exit(0);
}
let suite = 'unit';
const suiteAt = args.indexOf('--suite');
if (suiteAt >= 0) {
  suite = args[suiteAt + 1] ?? '';
  args = [...args.slice(0, suiteAt), ...args.slice(suiteAt + 2)];
}
const configs = { unit: 'vitest.config.ts', conformance: 'vitest.conformance.config.ts' };
if (!(suite in configs)) {
  console.error(`unknown --suite '${suite}': use one of ${Object.keys(configs).join(', ')}`);
  process.exit(2);
}
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (
  !process.env.AUTOSCALER_TEST_INNER &&
  !process.env.DBUS_SESSION_BUS_ADDRESS &&
  has('dbus-run-session') &&
  has('gnome-keyring-daemon')
) {
  const r = spawnSync(
    'dbus-run-session',
    [
      `--dbus-daemon=${path.join(root, 'scripts/quiet-dbus-daemon.sh')}`,
      '--',
      'sh',
      path.join(root, 'scripts/with-keyring.sh'),
      process.execPath,
      fileURLToPath(import.meta.url),
      // The original arguments: the inner run parses --suite again.
      ...process.argv.slice(2),
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, AUTOSCALER_TEST_INNER: '1' },
    },
  );
  process.exit(r.status ?? 1);
}
if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
  console.log(
    'note: no D-Bus session and no gnome-keyring: the real-keychain suite will skip (install gnome-keyring and dbus)',
  );
}

// Where the reports go: test-output/, or AUTOSCALER_TEST_OUTPUT (this script's own test runs it in a temp folder).
const outDir = process.env.AUTOSCALER_TEST_OUTPUT ?? path.join(root, 'test-output');
mkdirSync(outDir, { recursive: true });
const report = path.join(outDir, suite === 'unit' ? 'vitest.json' : `vitest-${suite}.json`);
// A report left by an earlier run must not count for this one (a bad option or a crash writes none).
rmSync(report, { force: true });
const r = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    configs[suite],
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...args,
  ],
  {
    stdio: 'inherit',
    cwd: root,
  },
);
let passed = 0,
  failed = 0,
  skipped = 0;
if (existsSync(report)) {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  passed = j.numPassedTests ?? 0;
  failed = j.numFailedTests ?? 0;
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  // A file that fails without a failing test (it did not load, or a beforeAll threw and its tests show as skipped,
  // as a suite does in CI when a tool it needs is missing): count it as a failure so it cannot hide.
  for (const suite of j.testResults ?? [])
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((a) => a.status === 'failed')) failed += 1;
}
if (r.status !== 0 && failed === 0) {
  // vitest failed without a failing test (a bad option, an unhandled error, a crash): the line must not say 0 failed.
  console.log(`vitest exited with status ${r.status ?? r.signal} and no failing test: counted as 1 failure`);
  failed = 1;
}
writeFileSync(path.join(outDir, `summary-${suite}.json`), JSON.stringify({ suite, passed, failed, skipped }) + '\n');
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
