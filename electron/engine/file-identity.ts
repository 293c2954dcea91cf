/**
 * Whether a path still names the file a handle holds open. An append-only file (the launch journal, the cost
 * history) is written through a handle kept open for the run; when someone deletes the data folder or replaces the
 * file under a running engine, every later append lands in a file no path reaches any more, and is lost without an
 * error. Checked before an append, it lets the owner write the file again at its path from what it holds in memory.
 */
import type { FileHandle } from 'node:fs/promises';
import { stat } from 'node:fs/promises';

export async function goneFromPath(fh: FileHandle, file: string): Promise<boolean> {
  const open = await fh.stat();
  try {
    const named = await stat(file);
    return named.ino !== open.ino || named.dev !== open.dev;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return true;
    throw e;
  }
}
