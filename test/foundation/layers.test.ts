// The layer rules are lint rules; these tests lint deliberate violations placed in each layer's folder and
// prove the rule fires (and that a legal import in the same place passes, so the test can fail both ways).
import { ESLint } from 'eslint';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

// The type-aware parser only lints files that exist inside a tsconfig, so each probe is written for real
// (unique name, removed afterwards) instead of linted as virtual text.
let probeSeq = 0;
async function importErrors(file: string, code: string): Promise<string[]> {
  const full = path.join(root, file.replace('__probe', `__probe_${process.pid}_${probeSeq++}`));
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, code);
  let result;
  try {
    [result] = await eslint.lintFiles([full]);
  } finally {
    rmSync(full, { force: true });
  }
  const fatal = (result?.messages ?? []).filter((m) => m.fatal);
  if (fatal.length) throw new Error(fatal.map((m) => m.message).join('\n'));
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

// The first lint of a TypeScript file builds the type-aware program (slow on a loaded machine): do it once,
// with its own budget, so no single case pays for it.
beforeAll(async () => {
  await eslint.lintFiles([path.join(root, 'electron/engine/ports.ts'), path.join(root, 'shared/ipc/channels.ts')]);
}, 300_000);

describe('layer rules', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'engine imports electron',
      'electron/engine/__probe.ts',
      "import { app } from 'electron';\nexport const x = app;\n",
      /never import electron/,
    ],
    [
      'engine imports the main process',
      'electron/engine/__probe.ts',
      "import { x } from '../main/index.js';\nexport const y = x;\n",
      /never import electron/,
    ],
    [
      'shared imports node:fs',
      'shared/__probe.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      /neither node nor electron/,
    ],
    [
      'shared imports fs',
      'shared/__probe.ts',
      "import fs from 'fs';\nexport const x = fs;\n",
      /neither node nor electron/,
    ],
    [
      'shared imports electron',
      'shared/__probe.ts',
      "import { ipcMain } from 'electron';\nexport const x = ipcMain;\n",
      /neither node nor electron/,
    ],
    [
      'renderer imports node:path',
      'renderer/src/__probe.ts',
      "import path from 'node:path';\nexport const x = path;\n",
      /no node, no electron/,
    ],
    [
      'renderer imports electron',
      'renderer/src/__probe.ts',
      "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n",
      /no node, no electron/,
    ],
    [
      'renderer imports the engine',
      'renderer/src/__probe.ts',
      "import { x } from '../../electron/engine/ports.js';\nexport const y = x;\n",
      /no node, no electron/,
    ],
    [
      'engine product code imports fault injection',
      'electron/engine/__probe.ts',
      "import { withEc2Faults } from './testkit/ec2-faults.js';\nexport const x = withEc2Faults;\n",
      /never imports test machinery/,
    ],
    [
      'engine product code imports an emulator',
      'electron/engine/service/__probe.ts',
      "import { startEc2Emulator } from '../emulators/ec2-emulator.js';\nexport const x = startEc2Emulator;\n",
      /never imports test machinery/,
    ],
    [
      'engine product code imports the simulator',
      'electron/engine/cost/__probe.ts',
      "import { simulate } from '../sim/simulate.js';\nexport const x = simulate;\n",
      /never imports test machinery/,
    ],
    [
      'an emulator imports fault injection',
      'electron/engine/emulators/__probe.ts',
      "import { withEc2Faults } from '../testkit/ec2-faults.js';\nexport const x = withEc2Faults;\n",
      /never imports test machinery/,
    ],
    [
      'main imports the demo',
      'electron/main/__probe.ts',
      "import { startDemoEmulation } from '../engine/demo.js';\nexport const x = startDemoEmulation;\n",
      /never imports test machinery/,
    ],
    [
      'main imports the virtual clock',
      'electron/main/__probe.ts',
      "import { VirtualClock } from '../engine/testkit/virtual-clock.js';\nexport const x = VirtualClock;\n",
      /never imports test machinery/,
    ],
  ];
  it.each(cases)(
    '%s fails lint',
    async (_name, file, code, message) => {
      const errors = await importErrors(file, code);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.join('\n')).toMatch(message);
    },
    120_000,
  );

  const allowed: [string, string, string][] = [
    [
      'engine imports node',
      'electron/engine/__probe.ts',
      "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    ],
    ['main imports electron', 'electron/main/__probe.ts', "import { app } from 'electron';\nexport const x = app;\n"],
    [
      'preload imports electron',
      'electron/preload/__probe.ts',
      "import { contextBridge } from 'electron';\nexport const x = contextBridge;\n",
    ],
    [
      'an emulator imports another',
      'electron/engine/emulators/__probe.ts',
      "import type { Ec2Emulator } from './ec2-emulator.js';\nexport type X = Ec2Emulator;\n",
    ],
    [
      'fault injection imports an emulator',
      'electron/engine/testkit/__probe.ts',
      "import { startEc2Emulator } from '../emulators/ec2-emulator.js';\nexport const x = startEc2Emulator;\n",
    ],
    [
      'the simulator imports fault injection',
      'electron/engine/sim/__probe.ts',
      "import { withEc2Faults } from '../testkit/ec2-faults.js';\nexport const x = withEc2Faults;\n",
    ],
    ['shared imports zod', 'shared/__probe.ts', "import { z } from 'zod';\nexport const x = z;\n"],
    ['renderer imports shared', 'renderer/src/__probe.ts', "import { z } from 'zod';\nexport const x = z;\n"],
  ];
  it.each(allowed)(
    '%s passes lint',
    async (_name, file, code) => {
      expect(await importErrors(file, code)).toEqual([]);
    },
    120_000,
  );
});
