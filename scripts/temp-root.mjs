// One temporary folder per test run: `npm test` points TMPDIR (and TMP, TEMP) of vitest and everything it starts
// at a fresh folder and removes it when the run ends, so the temp folders tests and the processes they spawn make
// (data folders, homes, Chromium profiles) do not pile up in /tmp run after run. A run that is killed leaves its
// one folder, named `cta-test-…`, behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh folder under the system temp folder, the environment that points temp files into it, and its removal. */
export function tempRoot(prefix = 'cta-test-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    dir,
    env: { TMPDIR: dir, TMP: dir, TEMP: dir },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
