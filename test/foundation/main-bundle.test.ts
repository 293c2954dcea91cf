// The built main bundle carries the product only: no fault injection, no test-only emulators, no simulator, no
// virtual clock. The demo's emulators live in a chunk of their own that the host loads on demand.
// This reads the real build output; it builds first when the output is missing or older than the sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const outDir = path.join(root, 'out/main');
const bundle = path.join(outDir, 'index.js');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    t = Math.max(t, statSync(full).isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return t;
}

beforeAll(() => {
  const sources = Math.max(newest(path.join(root, 'electron')), newest(path.join(root, 'shared')));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
      cwd: root,
      stdio: 'pipe',
    });
  }
}, 240_000);

/** Names and messages that exist only in fault injection, the test-only emulators, the simulator and the demo. */
const FAULT_INJECTION = ['faultMessage', 'revokeKeys', 'pendingFaults', '(emulated fault)', 'withEc2Faults'];
const TEST_ONLY = ['startPricingEmulator', 'VirtualClock', 'resolveBaselinePoll', 'mulberry32'];
const DEMO_ONLY = ['startEc2Emulator', 'startClearmlEmulator', 'listingDelaySec', 'AgentSimulator'];

function chunks(): string[] {
  const dir = path.join(outDir, 'chunks');
  return existsSync(dir) ? readdirSync(dir).map((n) => path.join(dir, n)) : [];
}

describe('built main bundle (out/main/index.js)', () => {
  it('is the product (the grep below reads real code)', () => {
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('createEc2Provider');
    expect(text).toContain('createClearmlClient');
  });

  it.each([...FAULT_INJECTION, ...TEST_ONLY, ...DEMO_ONLY])('does not contain %s', (marker) => {
    expect(readFileSync(bundle, 'utf8')).not.toContain(marker);
  });

  it('loads the demo on demand from a chunk of its own, which has the emulators and no fault injection', () => {
    const text = readFileSync(bundle, 'utf8');
    const demo = chunks().filter((f) => /demo/.test(path.basename(f)));
    expect(demo).toHaveLength(1);
    expect(text).toContain(`import("./chunks/${path.basename(demo[0]!)}")`);
    const chunk = readFileSync(demo[0]!, 'utf8');
    for (const marker of DEMO_ONLY) expect(chunk).toContain(marker);
    for (const marker of [...FAULT_INJECTION, ...TEST_ONLY]) expect(chunk).not.toContain(marker);
  });
});
