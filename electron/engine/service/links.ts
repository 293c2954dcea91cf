/**
 * The one external-link allow-list, for every host (the desktop app's window handlers and "open in browser",
 * the preview's "open in browser"): https only, no user info, and the host must be one we name or one of the
 * configured ClearML hosts (or a subdomain of either).
 */
import { webHostOf } from '../../../shared/clearml-hosts.js';
import type { Config } from '../../../shared/config.js';

/** Hosts we ever open in the browser, besides the configured ClearML hosts. */
export const STATIC_EXTERNAL_HOSTS = ['console.aws.amazon.com', 'clear.ml'];

/** Hosts from the ClearML config's URLs (api/web/files), for the external-link allow-list. */
export function hostsFromUrls(urls: readonly (string | undefined | null)[]): string[] {
  const out: string[] = [];
  for (const u of urls) {
    if (!u) continue;
    try {
      out.push(new URL(u).hostname.toLowerCase());
    } catch {
      // an invalid URL in config adds no host
    }
  }
  return out;
}

/**
 * The configured ClearML hosts (api, web, files), and the web app derived from the API host when the config names
 * none: the dashboard links tasks there (app.<domain> for api.<domain>), so it must open.
 */
export function configuredHosts(config: Config | null | undefined): string[] {
  const c = config?.clearml;
  return hostsFromUrls([c?.apiHost, webHostOf(c), c?.filesHost]);
}

/** https only; the host must be allow-listed exactly, or be a subdomain of an allow-listed host. */
export function isAllowedExternalUrl(url: string, allowedHosts: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password) return false;
  const host = u.hostname.toLowerCase();
  return allowedHosts.some((h) => {
    const allowed = h.toLowerCase();
    return host === allowed || host.endsWith(`.${allowed}`);
  });
}

/** The allow-list for a config: our static hosts plus the configured ClearML hosts. */
export function isAllowedLink(url: string, config: Config | null | undefined): boolean {
  return isAllowedExternalUrl(url, [...STATIC_EXTERNAL_HOSTS, ...configuredHosts(config)]);
}
