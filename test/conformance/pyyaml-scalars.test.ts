/**
 * ClearML's autoscaler reads its file with PyYAML's SafeLoader; the importer resolves a ClearML file's plain
 * scalars with `pyyamlPlain`. Every case of the table is given to the real PyYAML: each value must be PyYAML's,
 * except the cases the table marks as differing, which must still differ as it says.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pyyamlPlain } from '../../electron/engine/config/pyyaml.js';
import { SCALAR_CASES } from '../config/pyyaml-cases.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);

const LOAD = String.raw`
import datetime, json, math, sys, yaml
out = []
for s in json.loads(sys.stdin.read()):
    try:
        v = yaml.load("v: " + s if s else "v:", Loader=yaml.SafeLoader)["v"]
    except Exception as e:
        out.append({"error": type(e).__name__}); continue
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        out.append({"float": repr(v)})
    elif isinstance(v, (datetime.date, datetime.datetime)):
        out.append({"date": str(v)})
    else:
        out.append({"value": v})
print(json.dumps(out))
`;

describe('plain scalars: ours against PyYAML', () => {
  it('every case of the table', async () => {
    const child = run(path.join(venvBin(), 'python'), ['-c', LOAD]);
    child.child.stdin!.end(JSON.stringify(SCALAR_CASES.map((c) => c.source)));
    const got = JSON.parse((await child).stdout) as Array<{
      value?: unknown;
      float?: string;
      date?: string;
      error?: string;
    }>;
    SCALAR_CASES.forEach((c, i) => {
      const py = got[i]!;
      const ours = pyyamlPlain(c.source);
      if (c.pyyaml !== undefined) {
        expect('value' in py, `${c.source}: PyYAML gives ${c.pyyaml}`).toBe(false);
        return;
      }
      if (py.float !== undefined) {
        expect(String(ours), c.source).toBe({ nan: 'NaN', inf: 'Infinity', '-inf': '-Infinity' }[py.float]);
      } else {
        expect(ours, c.source).toBe(py.value);
      }
    });
  });
});
