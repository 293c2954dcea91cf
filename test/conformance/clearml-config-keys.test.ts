/**
 * Every key ClearML's own autoscaler code reads from its config (hyper_params, configurations, each resource), found
 * in the installed `clearml` package's source, is one our importer understands: none can be silently dropped as
 * "not a ClearML autoscaler setting" when a team switches over.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLEARML_KEYS } from '../../electron/engine/config/clearmlImport.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);

const SCAN = String.raw`
import json, pathlib, re, clearml.automation as a
src = "\n".join((pathlib.Path(a.__file__).parent / f).read_text() for f in ("auto_scaler.py", "aws_driver.py", "cloud_driver.py"))
def keys(*patterns):
    return sorted({m for p in patterns for m in re.findall(p, src)})
print(json.dumps({
  "hyperParams": keys(r'hyper_params"?\]?\[?"?\]?(?:\.get\(|\[)"(\w+)"'),
  "configurations": keys(r'configurations"?\]?(?:\.get\(|\[)"(\w+)"'),
  "resource": keys(r'resource_conf(?:\.get\(|\[)"(\w+)"'),
}))
`;

describe("ClearML's autoscaler config keys", () => {
  it('every key its code reads is understood by the importer', async () => {
    const { stdout } = await run(path.join(venvBin(), 'python'), ['-c', SCAN]);
    const read = JSON.parse(stdout) as Record<keyof typeof CLEARML_KEYS, string[]>;
    // The scan itself must have found ClearML's keys, or this test proves nothing.
    expect(read.hyperParams).toEqual(
      expect.arrayContaining(['max_idle_time_min', 'cloud_credentials_key', 'git_pass']),
    );
    expect(read.configurations).toEqual(expect.arrayContaining(['queues', 'extra_clearml_conf']));
    expect(read.resource).toEqual(expect.arrayContaining(['instance_type', 'is_spot', 'extra_configurations']));
    for (const group of ['hyperParams', 'configurations', 'resource'] as const) {
      expect(
        read[group].filter((k) => !CLEARML_KEYS[group].has(k)),
        group,
      ).toEqual([]);
    }
  });
});
