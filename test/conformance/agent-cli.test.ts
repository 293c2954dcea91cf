/**
 * The daemon command line our startup script runs, parsed by the real clearml-agent's own argument parser (the
 * version we pin by default), so a flag the agent does not know, or a queue/docker value it would read
 * differently, fails here instead of on every instance at boot.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AGENT_VERSION_DEFAULT } from '../../shared/config.js';
import { buildUserData } from '../../electron/engine/userdata/userdata.js';
import { userDataOptions } from '../userdata/helpers.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'cas-agent-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Parses argv exactly as `python -m clearml_agent` does, then prints what the daemon would act on.
const CHECK = `
import json, sys
from clearml_agent.interface import get_parser
args = get_parser().parse_args(sys.argv[1:])
keep = ("command", "queues", "docker", "config_file")
print(json.dumps({k: v for k, v in vars(args).items() if k in keep}, default=lambda o: getattr(o, "name", str(o))))
`;

/** Runs the script's daemon line through bash (its quoting, its expansions) with the agent swapped for CHECK. */
async function parseDaemonLine(script: string): Promise<Record<string, unknown>> {
  const line = script.split('\n').find((l) => l.includes(' -m clearml_agent ') && l.includes(' daemon '));
  if (!line) throw new Error('no daemon line in the startup script');
  const command = line.replace(/ \|\| CAS_AGENT_STATUS=\$\?$/, '');
  expect(command).toMatch(/^"\$CAS_VENV\/bin\/python" -m clearml_agent /);
  const check = path.join(dir, 'check.py');
  writeFileSync(check, CHECK);
  const bash = `CAS_CONF=/root/clearml.conf\n${command.replace('"$CAS_VENV/bin/python" -m clearml_agent', '"$PY" "$CHECK"')}\n`;
  const { stdout } = await run('bash', ['-c', bash], {
    env: { PATH: '/usr/bin:/bin', PY: path.join(venvBin(), 'python'), CHECK: check },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('our clearml-agent daemon command line, parsed by the real agent', () => {
  it('the default pinned version is the agent release this suite runs', async () => {
    const { stdout } = await run(path.join(venvBin(), 'python'), [
      '-c',
      'from importlib.metadata import version; print(version("clearml-agent"))',
    ]);
    expect(stdout.trim()).toBe(AGENT_VERSION_DEFAULT);
  });

  it('docker mode: one queue, the image as one value, our config file', async () => {
    const image = 'nvidia/cuda:12.2.0-runtime-ubuntu22.04';
    const args = await parseDaemonLine(buildUserData(userDataOptions({ agent: { defaultDockerImage: image } })));
    expect(args).toEqual({
      command: 'daemon',
      queues: ['aws_gpu'],
      docker: [image],
      config_file: '/root/clearml.conf',
    });
  });

  it('docker image with arguments (ClearML: "image/parameters") stays one value for the agent', async () => {
    const image = 'nvidia/cuda:12.2.0-runtime-ubuntu22.04 --ipc=host';
    const args = await parseDaemonLine(buildUserData(userDataOptions({ agent: { defaultDockerImage: image } })));
    expect(args['docker']).toEqual([image]);
  });

  // ClearML accepts any queue name of 3+ characters; as a separate word the agent's argparse took these for options
  // ("argument --queue: expected at least one argument") and every instance powered off at boot.
  it.each(['-gpu', '--cpu-only', '-h x', '--queue'])('a queue named %j is the queue, not an option', async (queue) => {
    const args = await parseDaemonLine(buildUserData({ ...userDataOptions(), queue }));
    expect(args).toMatchObject({ command: 'daemon', queues: [queue] });
  });

  it('a docker image starting with a dash stays the image', async () => {
    const image = '-weird/image:1';
    const args = await parseDaemonLine(buildUserData(userDataOptions({ agent: { defaultDockerImage: image } })));
    expect(args['docker']).toEqual([image]);
  });

  it('venv mode: no --docker at all', async () => {
    const args = await parseDaemonLine(buildUserData(userDataOptions({ agent: { defaultDockerImage: '' } })));
    expect(args).toMatchObject({ command: 'daemon', queues: ['aws_gpu'] });
    expect(args['docker']).toBeFalsy();
  });
});
