/**
 * Regenerates `watchdog.generated.ts` from `watchdog.sh`: `npx tsx electron/engine/userdata/embed-watchdog.ts`, then
 * `npx prettier --write electron/engine/userdata/watchdog.generated.ts`.
 * The script is embedded as TypeScript because the engine runs bundled (electron-vite), under tsx (headless) and
 * under vitest, and only a plain string constant survives all three; a test fails when the two drift apart.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const script = readFileSync(new URL('watchdog.sh', here), 'utf8');
const lines = script.split('\n');
const body = lines.map((l) => `  ${JSON.stringify(l)},`).join('\n');
writeFileSync(
  new URL('watchdog.generated.ts', here),
  `// Generated from watchdog.sh by embed-watchdog.ts; do not edit by hand.\n` +
    `export const WATCHDOG_SH_LINES: readonly string[] = [\n${body}\n];\n`,
);
console.log(`embedded watchdog.sh (${script.length} bytes, ${lines.length} lines)`);
