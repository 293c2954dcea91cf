/**
 * A temporary folder that belongs to one run (the demo's data, a preview without --data-dir): created on start,
 * removed on exit, so runs leave nothing behind in the system's temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RunTempDir {
  readonly path: string;
  /** Idempotent; also runs on process exit if the caller never gets to it (an uncaught error, process.exit). */
  remove(): void;
}

export function createRunTempDir(prefix: string): RunTempDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', remove);
  return { path: dir, remove };
}
