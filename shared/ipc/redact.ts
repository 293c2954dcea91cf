/**
 * Secret masking, pure (no node) so the dispatcher in shared/ can apply it to error messages it returns.
 * `electron/engine/service/redact.ts` re-exports it with a logger that always redacts.
 * Patterns err on the side of masking: a masked hostname is a nuisance, a leaked key is an incident.
 */

const MASK = '***';

type Rule = { re: RegExp; replace: (match: string, ...groups: string[]) => string };

const RULES: Rule[] = [
  // user:password@ in URLs (git remotes, proxies, http basic).
  {
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]+):([^\s/@]+)@/gi,
    replace: (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`,
  },
  // Authorization: Bearer <token> / Basic <base64>.
  { re: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, replace: (_m, kind: string) => `${kind} ${MASK}` },
  // key = "value" / key: value / "key": "value" for anything that names a secret (HOCON, YAML, JSON, env).
  {
    re: /(["']?[\w-]*(?:secret|password|passwd|git_pass|token|private_?key|api_?key|access_?key(?:_?id)?)[\w-]*["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s"',;}]+)/gi,
    replace: (_m, lead: string) => `${lead}"${MASK}"`,
  },
  // AWS access key ids (long-term AKIA, temporary ASIA, and the other documented prefixes).
  { re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{12,20}\b/g, replace: () => MASK },
  // 40-character AWS secret access keys (base64-ish alphabet, not a plain hex digest).
  {
    re: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g,
    replace: (m) => (/^[0-9a-f]{40}$/.test(m) ? m : MASK),
  },
  // ClearML keys: access keys are 20-32 upper-case alphanumerics, secrets are 40-64 mixed-case alphanumerics.
  {
    re: /(?<![A-Za-z0-9])[A-Z0-9]{20,32}(?![A-Za-z0-9])/g,
    replace: (m) => (/[A-Z]/.test(m) && /\d/.test(m) ? MASK : m),
  },
  {
    re: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,64}(?![A-Za-z0-9_-])/g,
    replace: (m) => (/[a-z]/.test(m) && /[A-Z]/.test(m) && /\d/.test(m) ? MASK : m),
  },
];

/** Masks every secret-shaped substring; also masks the exact `known` values (the stored secrets themselves). */
export function redact(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const secret of known) {
    if (secret.length >= 4) out = out.split(secret).join(MASK);
  }
  for (const rule of RULES) out = out.replace(rule.re, rule.replace);
  return out;
}

export interface SecretFinding {
  /** What was found, for a sentence: "an AWS access key id". */
  what: string;
  /** Where that secret belongs instead. */
  instead: string;
}

/**
 * Unambiguous secrets in free text the user wants to *store* (config fields such as the extra clearml.conf or
 * the init script), for which the app has a proper home. Narrower than `redact` on purpose: refusing to save
 * must not fire on a random long identifier. Values that reference a variable (`$X`, `${X}`) are fine.
 */
const FINDERS: (SecretFinding & { re: RegExp })[] = [
  {
    re: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/,
    what: 'an AWS access key id',
    instead: 'enter AWS keys in the Credentials tab, or give instances an IAM instance profile',
  },
  {
    re: /["']?\b(?:aws_)?(?:secret_access_key|secret_key|access_key)["']?\s*[:=]\s*(?!["']?\$)(?:"[^"\s]+"|'[^'\s]+'|[^\s"',;}]+)/i,
    what: 'an access key or secret key',
    instead:
      'enter ClearML and AWS keys in the Credentials tab; instances get the ClearML keys from there (or from SSM)',
  },
  {
    re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:(?!\$)[^\s/@]+@/i,
    what: 'a password in a URL',
    instead: 'use a credential helper or a token from the environment instead of a URL with a password',
  },
];

export function findSecrets(text: string): SecretFinding[] {
  return FINDERS.filter((f) => f.re.test(text)).map(({ what, instead }) => ({ what, instead }));
}
