/** Certificate fingerprints as the team server prints them and attached apps pin them. */

/**
 * "SHA256:ab:cd…", "abcd…" or "AB:CD…" → "AB:CD:…"; null when it is not 32 bytes of hex. Users paste
 * fingerprints from different tools, so the comparison must not depend on the spelling.
 */
export function normalizeFingerprint(text: string): string | null {
  const hex = text
    .trim()
    .replace(/^sha-?256[:=\s]*/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}
