#!/usr/bin/env node
// `npm test`: every suite that can run on this machine, then one closing line `N passed, N failed, N skipped`.
// `npm run conformance` (this script with `--suite conformance`): the suites that run our engine against real peers
// (moto's EC2 server, the real clearml-agent, ClearML's own autoscaler), from the Python venv of
// scripts/python-env.sh. Each run also writes test-output/summary-<suite>.json, which .ci/run adds up.
// The keychain suite needs a Secret Service: when none is running and gnome-keyring is installed, this script
// re-runs itself inside a private D-Bus session with an unlocked, throw-away keyring.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let args = process.argv.slice(2);
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

mkdirSync(path.join(root, 'test-output'), { recursive: true });
const report = path.join(root, 'test-output', suite === 'unit' ? 'vitest.json' : `vitest-${suite}.json`);
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
  // A suite that fails to load has no tests: count it as a failure so it cannot hide.
  for (const suite of j.testResults ?? [])
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
} else if (r.status !== 0) {
  failed = 1;
}
writeFileSync(
  path.join(root, 'test-output', `summary-${suite}.json`),
  JSON.stringify({ suite, passed, failed, skipped }) + '\n',
);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
