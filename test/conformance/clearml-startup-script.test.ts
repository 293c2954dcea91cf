/**
 * Our startup script beside the one ClearML's own autoscaler generates (`AWSDriver.gen_user_data` of the installed
 * `clearml` package): what ClearML's instances do before the user's init script (extra_vm_bash_script), ours does
 * too, in the same order, so an init script written for ClearML's instances finds the same environment here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLEARML_BUILD_PACKAGES, differenceText } from '../../electron/engine/config/clearml-differences.js';
import { loadConfigText } from '../../electron/engine/config/load.js';
import { buildUserData } from '../../electron/engine/userdata/userdata.js';
import { userDataOptions } from '../userdata/helpers.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);
const INIT = 'echo INIT-SCRIPT-MARKER';

const GEN = String.raw`
import sys
from clearml.automation.aws_driver import AWSDriver
d = AWSDriver(git_user='', git_pass='', extra_clearml_conf='', api_server='http://localhost:8008',
              web_server='http://localhost:8080', files_server='http://localhost:8081', access_key='AK',
              secret_key='SK', auth_token=None, extra_vm_bash_script=sys.argv[1],
              docker_image='', tags='', session=object())
sys.stdout.write(d.gen_user_data('dynamic_aws:cpu:m5.large', 'default', None, cpu_only=False))
`;

async function clearmlUserData(initScript: string): Promise<string> {
  const { stdout } = await run(path.join(venvBin(), 'python'), ['-c', GEN, initScript]);
  return stdout;
}

/** Line index of the first line matching `re`, or -1. */
const at = (lines: string[], re: RegExp) => lines.findIndex((l) => re.test(l));

describe("the startup script beside ClearML's", () => {
  it("before the init script: the agent venv activated, DYNAMIC_INSTANCE_ID exported, ~/.bashrc sourced, in ClearML's order", async () => {
    const theirs = (await clearmlUserData(INIT)).split('\n');
    const ours = buildUserData(userDataOptions({ agent: { initScript: INIT } })).split('\n');
    // Each step: how ClearML's script writes it, and how ours does.
    const steps: [string, RegExp, RegExp][] = [
      ['venv', /^source clearml_agent_venv\/bin\/activate$/, /^\[ -f "\$CAS_VENV\/bin\/activate" \] && \. /],
      ['instance id', /^export DYNAMIC_INSTANCE_ID=/, /^export DYNAMIC_INSTANCE_ID="\$CAS_INSTANCE_ID"$/],
      ['bashrc', /^source ~\/\.bashrc$/, /^\[ -f "\$\{HOME:-\/root\}\/\.bashrc" \] && \. /],
    ];
    const theirInit = at(theirs, /^echo INIT-SCRIPT-MARKER$/);
    const ourInit = at(ours, /^\. "\$CAS_DIR\/init\.sh"$/);
    expect(theirInit).toBeGreaterThan(0);
    expect(ourInit).toBeGreaterThan(0);
    const theirOrder: number[] = [];
    const ourOrder: number[] = [];
    for (const [name, theirRe, ourRe] of steps) {
      const t = at(theirs, theirRe);
      const o = at(ours, ourRe);
      // ClearML's template must still do this step, or the comparison has gone stale.
      expect(t, `ClearML: ${name}`).toBeGreaterThan(-1);
      expect(t, `ClearML: ${name} before the init script`).toBeLessThan(theirInit);
      expect(o, `ours: ${name}`).toBeGreaterThan(-1);
      expect(o, `ours: ${name} before the init script`).toBeLessThan(ourInit);
      theirOrder.push(t);
      ourOrder.push(o);
    }
    // .bashrc comes after the venv and the instance id, as in ClearML's (a .bashrc may use either).
    for (const [a, b] of [
      [0, 2],
      [1, 2],
    ] as const) {
      expect(Math.sign(ourOrder[b]! - ourOrder[a]!), `${steps[a]![0]} before ${steps[b]![0]}`).toBe(
        Math.sign(theirOrder[b]! - theirOrder[a]!),
      );
    }
  });

  it("the packages ClearML's script installs and ours does not are the ones the import names", async () => {
    const theirs = await clearmlUserData(INIT);
    // One line: the template's backslash-newlines are Python string continuations.
    const install = /^apt-get install -y (.+)$/m.exec(theirs);
    expect(install, "an apt-get install in ClearML's template").not.toBeNull();
    const packages = install![1]!.split(/\s+/).filter(Boolean);
    expect(packages).toEqual([...CLEARML_BUILD_PACKAGES]);
    const text = differenceText({ code: 'startup-script' }).text;
    for (const p of packages) expect(text).toContain(p);
    // Ours installs none of the build tools (only python3, python3-venv and git, when missing).
    const ours = buildUserData(userDataOptions({ agent: { initScript: INIT } }));
    for (const p of ['build-essential', 'gcc', 'python3-dev', 'python3-pip']) expect(ours).not.toContain(p);
  });

  it("extra_trains_conf reaches neither ClearML's instances nor ours; extra_clearml_conf reaches both", async () => {
    const file = `hyper_params:
  cloud_credentials_region: us-east-1
  git_user: ''
  git_pass: ''
  default_docker_image: ''
configurations:
  resource_configurations:
    gpu_t4: {instance_type: g4dn.xlarge, is_spot: false, availability_zone: us-east-1b, ami_id: ami-0123456789abcdef0}
  queues:
    aws_gpu: [[gpu_t4, 1]]
  extra_clearml_conf: 'sdk.marker_from_clearml_conf: 1'
  extra_trains_conf: 'sdk.marker_from_trains_conf: 1'
  extra_vm_bash_script: ''
`;
    // ClearML's driver built from the file as its script loads it; its session only names the servers.
    const { stdout: theirs } = await run(path.join(venvBin(), 'python'), [
      '-c',
      String.raw`
import sys, yaml
import clearml.automation.cloud_driver as cd
from clearml.automation.aws_driver import AWSDriver
class Session:
    access_key = 'AK'; secret_key = 'SK'
    def get_api_server_host(self): return 'http://localhost:8008'
    def get_app_server_host(self): return 'http://localhost:8080'
    def get_files_server_host(self): return 'http://localhost:8081'
cd.Session = Session
d = AWSDriver.from_config(yaml.load(sys.argv[1], Loader=yaml.SafeLoader))
sys.stdout.write(d.gen_user_data('dynamic_aws:gpu_t4:g4dn.xlarge', 'aws_gpu', None, cpu_only=False))
`,
      file,
    ]);
    const imported = loadConfigText(file, { clearmlApiHost: 'https://api.clear.ml' });
    expect(imported.issues).toEqual([]);
    const ours = buildUserData(
      userDataOptions({ agent: { extraClearmlConf: imported.config!.agent.extraClearmlConf } }),
    );
    for (const [name, script] of [
      ['ClearML', theirs],
      ['ours', ours],
    ] as const) {
      expect(script, name).toContain('sdk.marker_from_clearml_conf: 1');
      expect(script, name).not.toContain('marker_from_trains_conf');
    }
  });
});
