/**
 * Whole-file writes that survive a crash: the text goes to a temporary file in the same folder, is flushed to disk,
 * and is renamed over the old file, so a reader (or the app after a power cut) sees the old text or the new one,
 * never half of either. The folder entry is flushed too, where the platform allows, so the rename itself is kept.
 * Every file the app owns (settings, journal compaction, history, tokens, identity, price cache) is written this way.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export interface DurableWriteOptions {
  /** The file's permissions, e.g. 0o600 for anything holding a secret or a token hash. */
  mode?: number;
  /** Permissions of a folder created on the way (e.g. 0o700). */
  dirMode?: number;
}

/** A rename is durable only once its directory entry is; best effort, as not every platform can fsync a folder. */
export async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | null = null;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // EISDIR/EPERM where a directory cannot be opened or flushed (Windows): NTFS journals the rename itself.
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/** The temporary name is per process, so two processes writing the same file never write into one another's. */
function tempFor(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

export async function writeFileDurably(file: string, text: string, opts: DurableWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, ...(opts.dirMode !== undefined ? { mode: opts.dirMode } : {}) });
  const tmp = tempFor(file);
  // Any failure before the rename removes the temporary file: one part-written on a full disk would keep the space
  // it took (the disk stays full for the launch journal's few bytes) and, named per process, outlive the run.
  try {
    const fh = await open(tmp, 'w', opts.mode);
    try {
      await fh.writeFile(text, 'utf8');
      // The mode given to open only applies to a new file; a stale temporary file keeps its own.
      if (opts.mode !== undefined) await fh.chmod(opts.mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** The same, for the few callers that must finish before returning (settings saved on quit, token commands). */
export function writeFileDurablySync(file: string, text: string, opts: DurableWriteOptions = {}): void {
  mkdirSync(path.dirname(file), { recursive: true, ...(opts.dirMode !== undefined ? { mode: opts.dirMode } : {}) });
  const tmp = tempFor(file);
  try {
    const fd = openSync(tmp, 'w', opts.mode);
    try {
      writeSync(fd, text);
      if (opts.mode !== undefined) chmodSync(tmp, opts.mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The write's own error says more than the clean-up's.
    }
    throw err;
  }
}
