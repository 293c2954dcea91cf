/**
 * Serving the built renderer (the preview server, and the app:// protocol in Electron main): path resolution that
 * cannot leave the static folder, and content types.
 */
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that a request path names, or null when it would escape `root` (`..`, encoded
 * `%2e%2e`, backslashes, NUL) or is malformed. `/` is `index.html`. Pure; the caller still checks that it exists.
 */
export function resolveStaticPath(root: string, requestPath: string): string | null {
  const pathname = requestPath.split('?')[0]!.split('#')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || !decoded.startsWith('/')) return null;
  if (decoded.split('/').some((seg) => seg === '..' || (seg.startsWith('.') && seg.length > 1))) return null;
  const rel = decoded === '/' ? 'index.html' : decoded.slice(1);
  const base = path.resolve(root);
  const full = path.resolve(base, rel);
  if (full !== base && !full.startsWith(base + path.sep)) return null;
  return full;
}
