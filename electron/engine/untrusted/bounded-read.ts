/**
 * Reading a file the user named (a `--config` path, clearml.conf, the settings file): only a regular file, and at
 * most `maxBytes + 1` bytes of it, so `/dev/zero` cannot grow memory without bound and a FIFO cannot hang the
 * process. The file is opened non-blocking (opening a FIFO with no writer would block) and checked on the open
 * handle, so it cannot be swapped between the check and the read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

export type BoundedRead =
  { ok: true; bytes: Buffer } | { ok: false; code: 'not-a-file' | 'directory' | 'too-large'; size: number };

const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Async; errors from open (ENOENT, EACCES, EISDIR …) propagate unchanged. */
export async function readBoundedFile(file: string, maxBytes: number): Promise<BoundedRead> {
  const fh = await open(file, FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, code: st.isDirectory() ? 'directory' : 'not-a-file', size: 0 };
    if (st.size > maxBytes) return { ok: false, code: 'too-large', size: st.size };
    const buf = Buffer.alloc(maxBytes + 1);
    let total = 0;
    // The size can change after stat (a growing file): read until EOF or one byte past the limit.
    while (total < buf.length) {
      const { bytesRead } = await fh.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) return { ok: false, code: 'too-large', size: total };
    return { ok: true, bytes: buf.subarray(0, total) };
  } finally {
    await fh.close();
  }
}

/** The same, synchronous, for start-up paths that are synchronous. */
export function readBoundedFileSync(file: string, maxBytes: number): BoundedRead {
  const fd = openSync(file, FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, code: st.isDirectory() ? 'directory' : 'not-a-file', size: 0 };
    if (st.size > maxBytes) return { ok: false, code: 'too-large', size: st.size };
    const buf = Buffer.alloc(maxBytes + 1);
    let total = 0;
    while (total < buf.length) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
    }
    if (total > maxBytes) return { ok: false, code: 'too-large', size: total };
    return { ok: true, bytes: buf.subarray(0, total) };
  } finally {
    closeSync(fd);
  }
}

/**
 * An HTTP reply's body as text, or null once it passes `maxBytes` (declared or as it streams in): a wrong host or
 * a hostile server could otherwise fill memory with one reply before anything looks at it.
 */
export async function readBoundedBody(res: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
