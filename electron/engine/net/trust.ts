/**
 * Which certificate authorities TLS connections trust. A self-hosted ClearML server is often signed by a company CA,
 * and a company proxy that inspects TLS re-signs AWS's endpoints with one. ClearML's autoscaler (Python requests)
 * trusts what `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` names, Python's ssl what `SSL_CERT_FILE` names and its EC2
 * client (boto3) what `AWS_CA_BUNDLE` names; Node only
 * its bundled list. So each entry point calls `useCaBundlesFromEnv` once, before any request: the bundled list, plus
 * the system's trust store (where IT installs a company CA, and what the dashboard's browser trusts), plus those
 * files. `NODE_EXTRA_CA_CERTS` keeps working as Node reads it.
 */
import tls from 'node:tls';
import { readBoundedFileSync } from '../untrusted/bounded-read.js';
import { andList } from '../../../shared/words.js';

/** The variables ClearML's Python tools (requests, ssl, boto3) take a CA bundle from. */
export const CA_BUNDLE_VARS = ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'AWS_CA_BUNDLE'] as const;

/** A CA bundle is a few hundred certificates at most; anything far larger is not one. */
const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g;

export interface TrustUse {
  /** "REQUESTS_CA_BUNDLE (/etc/company-ca.pem, 2 certificates)": what the environment added, or null. */
  description: string | null;
  /** Bundles named but unusable, each with why: said, never silently dropped. */
  problems: string[];
  restore(): void;
}

type TlsWithCa = typeof tls & {
  getCACertificates?: (type?: 'default' | 'system' | 'bundled' | 'extra') => string[];
  setDefaultCACertificates?: (certs: readonly string[]) => void;
};

/** Adds the system's trust store and the bundles the environment names to what TLS clients trust. */
export function useCaBundlesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  /** `extra`: bundles named elsewhere (clearml.conf's api.verify_certificate), each with where. */
  opts: { system?: boolean; extra?: readonly { name: string; file: string }[] } = {},
): TrustUse {
  const t = tls as TlsWithCa;
  const named = [
    ...CA_BUNDLE_VARS.flatMap((name) => {
      const file = env[name]?.trim();
      return file ? [{ name, file }] : [];
    }),
    ...(opts.extra ?? []),
  ];
  if (typeof t.getCACertificates !== 'function' || typeof t.setDefaultCACertificates !== 'function') {
    return {
      description: null,
      problems: named.map(
        ({ name, file }) =>
          `${name} names ${file}, but this runtime (Node ${process.versions.node}) cannot add CAs while running: ` +
          'set NODE_EXTRA_CA_CERTS to that file before starting the app instead.',
      ),
      restore: () => undefined,
    };
  }
  const problems: string[] = [];
  const added: string[] = [];
  const parts: string[] = [];
  if (opts.system !== false) {
    try {
      const system = t.getCACertificates('system');
      // Always, so not announced: only what the environment adds is.
      added.push(...system);
    } catch (e) {
      problems.push(`The system's trust store could not be read: ${(e as Error).message}`);
    }
  }
  // One file often named by several variables (a distribution sets all of them to its own bundle): read and said
  // once, with every name that points at it.
  const byFile = new Map<string, string[]>();
  for (const { name, file } of named) byFile.set(file, [...(byFile.get(file) ?? []), name]);
  for (const [file, names] of byFile) {
    const certs = readBundle(file);
    const who = andList(names);
    if (typeof certs === 'string')
      problems.push(`${who} ${names.length > 1 ? 'name' : 'names'} ${file}, which was not used: ${certs}.`);
    else {
      added.push(...certs);
      parts.push(`${who} (${file}, ${certs.length} certificate${certs.length === 1 ? '' : 's'})`);
    }
  }
  if (added.length === 0) return { description: null, problems, restore: () => undefined };
  const before = t.getCACertificates('default');
  try {
    t.setDefaultCACertificates([...before, ...added]);
  } catch (e) {
    problems.push(`The extra certificate authorities could not be added: ${(e as Error).message}`);
    return { description: null, problems, restore: () => undefined };
  }
  return {
    description: parts.length > 0 ? `also trusting the CAs in ${parts.join(' and ')}` : null,
    problems,
    restore: () => t.setDefaultCACertificates(before),
  };
}

/** The PEM certificates in a bundle file, or why there are none. */
function readBundle(file: string): string[] | string {
  let text: string;
  try {
    const read = readBoundedFileSync(file, MAX_BUNDLE_BYTES);
    if (!read.ok) return read.code === 'too-large' ? 'it is larger than 4 MiB' : 'it is not a regular file';
    text = read.bytes.toString('utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return code === 'ENOENT'
      ? 'it does not exist'
      : `it could not be read (${typeof code === 'string' ? code : 'error'})`;
  }
  const certs = text.match(PEM_CERT) ?? [];
  return certs.length > 0 ? certs : 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
}

/** TLS errors that mean: the certificate chain ends at an authority this machine does not trust. */
export const UNTRUSTED_CA_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** Whether a network error code says the server's certificate comes from an authority this machine does not trust. */
export function isUntrustedCa(code: string | null | undefined): boolean {
  return !!code && UNTRUSTED_CA_CODES.has(code);
}

/** What to do about such an error, in the terms ClearML's own tools use. */
export const UNTRUSTED_CA_REMEDY =
  "put that authority's certificate (a PEM file) in REQUESTS_CA_BUNDLE or NODE_EXTRA_CA_CERTS, or install it in " +
  "the system's trust store, then restart";

/** The sentence after a "not trusted (CODE)": why, and the remedy. */
export const UNTRUSTED_CA_HINT =
  'its certificate is signed by an authority this machine does not trust (a company CA, or a proxy that ' +
  `inspects TLS): ${UNTRUSTED_CA_REMEDY}`;
