/**
 * The ClearML web app's address when the config does not name it, derived from the API host exactly as ClearML's own
 * SDK derives it (so a task link opens where `clearml` itself would send the user): `demoapi.` → `demoapp.`, else
 * `api.` → `app.` (the port kept), else port 8008 → 8080. Any other host has no known web app: null, and the user
 * names it (`clearml.webHost`) rather than being sent to the API server.
 *
 * String operations, as the SDK does them (and shared/ has no URL class): each replaces the first occurrence.
 */
export function webHostFromApiHost(apiHost: string): string | null {
  const host = apiHost.trim().replace(/\/+$/, '');
  if (host.includes('://demoapi.')) return host.replace('://demoapi.', '://demoapp.');
  if (host.includes('://api.')) return host.replace('://api.', '://app.');
  if (portOf(host) === '8008') return host.replace(':8008', ':8080');
  return null;
}

/**
 * Where task links go: the web app the config names (`clearml.webHost`), else the one derived from the API host;
 * null when neither gives one. Takes an unvalidated section too (a draft in the dashboard).
 */
export function webHostOf(clearml: { apiHost?: unknown; webHost?: unknown } | null | undefined): string | null {
  if (typeof clearml?.webHost === 'string' && clearml.webHost) return clearml.webHost.replace(/\/+$/, '');
  return typeof clearml?.apiHost === 'string' ? webHostFromApiHost(clearml.apiHost) : null;
}

/** The explicit port of an http(s) URL, or null. */
function portOf(url: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::(\d+))?(?:[/?#]|$)/i.exec(url);
  return m?.[1] ?? null;
}
