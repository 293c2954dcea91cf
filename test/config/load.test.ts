import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../../shared/config.js';
import {
  ConfigFileError,
  MAX_CONFIG_BYTES,
  exportConfig,
  loadConfigFile,
  loadConfigText,
} from '../../electron/engine/config/index.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/config');
const text = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const HOST = { clearmlApiHost: 'https://api.clear.ml' };
const dir = mkdtempSync(path.join(tmpdir(), 'cas-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ours(): Config {
  return ConfigSchema.parse({
    clearml: { apiHost: 'https://api.example.com', webHost: 'https://app.example.com' },
    aws: { region: 'eu-central-1' },
    resources: {
      gpu: {
        instanceType: 'g5.xlarge',
        market: 'spot',
        amiId: 'ami-0123456789abcdef0',
        subnetIds: ['subnet-0123abcd', 'subnet-4567ef01'],
        tags: { team: 'ml', 'note:tricky': "it's #1 ' \" yes" },
        ebs: { deviceName: '/dev/sda1', volumeSizeGiB: 150 },
        dockerImage: '',
      },
    },
    queues: { gpu_queue: [{ resource: 'gpu', maxInstances: 2 }] },
    scaling: { pollingIntervalSec: 12.5, maxIdleMin: 0.5 },
    agent: {
      initScript: '#!/bin/bash\n  indented: yes\n\necho "$HOME" # comment\n',
      extraClearmlConf: 'agent { docker_force_pull: true }',
      clearmlCredentialsFrom: 'ssm',
    },
    lease: { leaseMin: 7.5, maxLifetimeHours: 48 },
  });
}

describe('loadConfigText', () => {
  it('ClearML YAML: detected, imported, validated', () => {
    const r = loadConfigText(text('clearml-reference.yaml'), HOST);
    expect(r.format).toBe('clearml');
    expect(r.issues).toEqual([]);
    expect(r.config?.queues).toEqual({ aws_gpu: [{ resource: 'gpu_t4', maxInstances: 3 }] });
    expect(r.secrets.awsAccessKeyId).toBe('AKIA...');
  });

  it('ClearML JSON gives the same result as the same YAML', () => {
    const yaml = loadConfigText(text('clearml-multi-queue.yaml'), HOST);
    const json = loadConfigText(JSON.stringify(parse(text('clearml-multi-queue.yaml'))), HOST);
    expect(json.format).toBe('clearml');
    expect(json.config).toEqual(yaml.config);
    expect(json.config).not.toBeNull();
  });

  it('a ClearML file without the API host argument reports where to set it', () => {
    const r = loadConfigText(text('clearml-reference.yaml'), {});
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([
      { path: 'clearmlApiHost', message: expect.stringMatching(/CLEARML_API_HOST/) as unknown },
    ]);
  });

  it('our format: validated, issues at our paths with messages that say what is valid', () => {
    const bad = {
      clearml: { apiHost: 'https://api.example.com' },
      aws: { region: 'eu-central-1' },
      resources: {
        'gpu box': { instanceType: 'g5.xlarge', amiId: 'ami-0123456789abcdef0' },
        gpu: { instanceType: 'g5.xlarge', ebs: { volumeSizeGiB: 0 }, colour: 'red' },
      },
      queues: { q: [{ resource: 'gpu', maxInstances: 1 }] },
    };
    const r = loadConfigText(JSON.stringify(bad));
    expect(r.format).toBe('ours');
    expect(r.config).toBeNull();
    expect(r.issues).toEqual(
      expect.arrayContaining([
        {
          path: 'resources.gpu box',
          message: expect.stringMatching(/^invalid name 'gpu box': resource name may contain only/) as unknown,
        },
        { path: 'resources.gpu.amiId', message: 'missing: required, an AMI id such as ami-0123456789abcdef0' },
        { path: 'resources.gpu.ebs.volumeSizeGiB', message: 'must be at least 1' },
        { path: 'resources.gpu', message: "unknown setting 'colour'" },
      ]),
    );
  });

  it('our format never carries secrets', () => {
    const r = loadConfigText(exportConfig(ours(), 'yaml'));
    expect(r.secrets).toEqual({});
    expect(r.warnings).toEqual([]);
  });

  it.each([
    ['', '(file)', /the file is empty/],
    ['  \n# only a comment\n', '(root)', /not a recognised config/],
    ['hyper_params: [unclosed', '(file)', /^not valid YAML or JSON \(line 1, column \d+\)/],
    ['{"hyper_params": {,}}', '(file)', /^not valid YAML or JSON/],
    ['a: 1\na: 2\n', '(file)', /not valid YAML or JSON \(line 2, column 1\): .*[Uu]nique/],
    [
      'hyper_params: {}\n---\nfoo: 1\n',
      '(file)',
      /^the file holds more than one YAML document \(a '---' line at line 2 starts another\); keep only the autoscaler's configuration$/,
    ],
    ['just a string', '(root)', /expected this app's format .* or a ClearML autoscaler config/],
    ['- a\n- b\n', '(root)', /not a recognised config/],
  ])('%j is refused with a clear issue', (input, issuePath, message) => {
    const r = loadConfigText(input, HOST);
    expect(r.config).toBeNull();
    expect(r.format).toBe('unknown');
    expect(r.issues).toEqual([{ path: issuePath, message: expect.stringMatching(message) as unknown }]);
  });

  it('a YAML alias bomb is refused instead of expanded', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`),
    ].join('\n');
    const r = loadConfigText(bomb);
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([{ path: '(file)', message: expect.stringMatching(/alias count/) as unknown }]);
  });
});

describe('a startup script over EC2 16 KB limit', () => {
  it('our format: refused when the file is read, at the init script', () => {
    const c = ours();
    c.agent.initScript = 'x'.repeat(16_000);
    const r = loadConfigText(JSON.stringify(c));
    expect(r.config).toBeNull();
    expect(r.issues.map((i) => i.path)).toEqual(['agent.initScript']);
    expect(r.issues[0]!.message).toMatch(/over EC2's 16384-byte user-data limit/);
  });
});

describe('EBS settings', () => {
  const withEbs = (ebs: object) => {
    const c = ours();
    return ConfigSchema.parse({ ...c, resources: { gpu: { ...c.resources['gpu']!, ebs } } }).resources['gpu']!.ebs;
  };

  it("a volume from a snapshot without size or type keeps them unset (the snapshot's size), through export", () => {
    const ebs = withEbs({ deviceName: '/dev/sda1', snapshotId: 'snap-0123456789abcdef0' });
    expect(ebs).toEqual({ deviceName: '/dev/sda1', snapshotId: 'snap-0123456789abcdef0' });
    const c = ours();
    c.resources['gpu']!.ebs = ebs;
    expect(loadConfigText(exportConfig(c, 'yaml')).config?.resources['gpu']!.ebs).toEqual(ebs);
  });

  it('a new volume gets 100 GiB gp3 unless told otherwise; a snapshot with a size keeps it', () => {
    expect(withEbs({})).toEqual({ deviceName: '/dev/sda1', volumeSizeGiB: 100, volumeType: 'gp3' });
    expect(withEbs({ volumeSizeGiB: 300, snapshotId: 'snap-0123456789abcdef0' })).toEqual({
      deviceName: '/dev/sda1',
      volumeSizeGiB: 300,
      snapshotId: 'snap-0123456789abcdef0',
    });
  });
});

describe('exportConfig', () => {
  it.each(['yaml', 'json'] as const)('%s round-trips through loadConfigText', (format) => {
    const config = ours();
    const out = exportConfig(config, format);
    const back = loadConfigText(out);
    expect(back.format).toBe('ours');
    expect(back.issues).toEqual([]);
    expect(back.config).toEqual(config);
  });

  it.each(['clearml-reference.yaml', 'clearml-multi-queue.yaml'])(
    'an imported %s exports and loads back unchanged',
    (file) => {
      const imported = loadConfigText(text(file), HOST);
      for (const format of ['yaml', 'json'] as const) {
        const out = exportConfig(imported.config!, format);
        expect(loadConfigText(out).config).toEqual(imported.config);
        for (const secret of Object.values(imported.secrets)) expect(out).not.toContain(secret);
      }
    },
  );

  it('yaml says where the secrets are; json is plain JSON', () => {
    expect(exportConfig(ours(), 'yaml')).toMatch(
      /^# clearml-tray-autoscaler configuration.*\n# Secrets .* OS keychain/,
    );
    expect(JSON.parse(exportConfig(ours(), 'json'))).toEqual(ours());
  });

  it('refuses to export an invalid config rather than write a file that cannot load', () => {
    const broken = { ...ours(), aws: { region: 'nowhere' } };
    expect(() => exportConfig(broken, 'json')).toThrow();
  });
});

describe('loadConfigFile', () => {
  it('loads a file', async () => {
    const r = await loadConfigFile(path.join(FIXTURES, 'clearml-reference.yaml'), HOST);
    expect(r.format).toBe('clearml');
    expect(r.config).not.toBeNull();
  });

  it('a missing file: says so and what to do', async () => {
    const p = path.join(dir, 'nope.yaml');
    await expect(loadConfigFile(p)).rejects.toThrow(ConfigFileError);
    await expect(loadConfigFile(p)).rejects.toThrow(`Cannot load config file ${p}: it does not exist; check the path`);
  });

  it('a folder: says so', async () => {
    await expect(loadConfigFile(dir)).rejects.toThrow(/it is a folder; choose a \.yaml or \.json file/);
  });

  it('a file too big to be a config', async () => {
    const p = path.join(dir, 'big.yaml');
    writeFileSync(p, Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
    await expect(loadConfigFile(p)).rejects.toThrow(/is it the right file\?/);
  });

  // Root reads any file regardless of its mode, so unreadability can only be shown as a normal user.
  it.skipIf(process.getuid?.() === 0)(
    'an unreadable file: permission denied (skipped as root: root can read it)',
    async () => {
      const p = path.join(dir, 'secret.yaml');
      writeFileSync(p, 'version: 1\n');
      chmodSync(p, 0o000);
      await expect(loadConfigFile(p)).rejects.toThrow(/permission denied; check the file permissions/);
    },
  );
});
