import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Config } from '../../shared/config.js';
import { createConfigImporter, exportConfigText, importHosts } from '../../electron/engine/service/config-io.js';
import { validConfig, validConfigInput } from './fixtures.js';

const importText = createConfigImporter(() => 'https://api.clear.ml');
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/config', name), 'utf8');

describe('config import/export over IPC', () => {
  it('export → import round-trips', async () => {
    const text = exportConfigText(validConfig());
    expect(await importText(text)).toEqual({
      format: 'ours',
      config: validConfig(),
      issues: [],
      warnings: [],
      differences: [],
    });
  });

  it('reads our structure as YAML or JSON', async () => {
    expect((await importText(stringify(validConfigInput()))).config).toEqual(validConfig());
    expect((await importText(JSON.stringify(validConfigInput()))).config).toEqual(validConfig());
  });

  it('our format with invalid values: field issues, no config', async () => {
    const r = await importText(JSON.stringify({ ...validConfigInput(), aws: { region: 'nowhere' } }));
    expect(r.format).toBe('ours');
    expect(r.config).toBeNull();
    expect(r.issues.map((i) => i.path)).toEqual(['aws.region']);
  });

  it('a ClearML autoscaler YAML maps to our format; its plain-text keys are not passed on, only a warning', async () => {
    const r = await importText(fixture('clearml-reference.yaml'));
    expect(r.format).toBe('clearml');
    expect(r.config).toMatchObject({ queues: { aws_gpu: [{ resource: 'gpu_t4', maxInstances: 3 }] } });
    expect(JSON.stringify(r)).not.toContain('AKIA...');
    expect(r.warnings.join('\n')).toMatch(/keychain/);
  });

  it("a file's plain-text secrets get one note naming every field, not a warning per kind and a line per field", async () => {
    const r = await importText(fixture('clearml-multi-queue.yaml'));
    const mentions = [...r.warnings, ...r.differences.map((d) => d.text)].filter((t) =>
      /plain text|taken out of the config|not carried over into the config/.test(t),
    );
    expect(mentions).toEqual([
      'This file contains credentials in plain text (hyper_params.cloud_credentials_key, ' +
        'hyper_params.cloud_credentials_secret, hyper_params.git_pass). They were not imported: enter them in ' +
        'Credentials (the AWS keys under AWS, a git password under Git), where they are stored write-only (the ' +
        'desktop app keeps them in the OS keychain), and remove them from the file.',
    ]);
  });

  it("a service task's plain-text secrets: the note also says the task holds them, and where to clear them", async () => {
    const r = await importText(fixture('clearml-task.json'));
    const mentions = r.warnings.filter((t) => /plain text|taken out of the config/.test(t));
    expect(mentions).toHaveLength(1);
    expect(mentions[0]).toMatch(
      /and remove them from the file\. ClearML's autoscaler task holds them too, in its hyperparameters \(anyone who can open the task in ClearML reads them\): clear them there once this app runs in its place, and delete the exported file\.$/,
    );
  });

  it('a ClearML file keeps all three ClearML hosts: the saved config first, else the environment / clearml.conf', async () => {
    const outside = { apiHost: 'https://api.env', webHost: 'https://app.env', filesHost: 'https://files.env' };
    const fromOutside = createConfigImporter(() => importHosts(null, outside));
    const hostsOf = (r: { config: unknown }) => (r.config as Config | null)?.clearml;
    expect(hostsOf(await fromOutside(fixture('clearml-reference.yaml')))).toEqual(outside);
    const saved = { apiHost: 'https://api.saved', webHost: 'https://app.saved' };
    const fromSaved = createConfigImporter(() => importHosts(saved, outside));
    expect(hostsOf(await fromSaved(fixture('clearml-reference.yaml')))).toEqual({
      ...saved,
      filesHost: 'https://files.env',
    });
  });

  it("an API host given with a ClearML file takes the API host's place; empty, the usual one stays", async () => {
    const outside = { apiHost: 'https://api.env', webHost: 'https://app.env' };
    const imp = createConfigImporter(() => importHosts(null, outside));
    const apiHostOf = (r: { config: unknown }) => (r.config as Config | null)?.clearml.apiHost;
    expect(apiHostOf(await imp(fixture('clearml-reference.yaml'), ' https://api.given '))).toBe('https://api.given');
    expect(apiHostOf(await imp(fixture('clearml-reference.yaml'), ''))).toBe('https://api.env');
    expect(apiHostOf(await imp(fixture('clearml-reference.yaml')))).toBe('https://api.env');
    // Nowhere to take it from (no saved config, no environment, no clearml.conf): the file cannot be used yet.
    const none = createConfigImporter(() => importHosts(null, {}));
    const missing = await none(fixture('clearml-reference.yaml'));
    expect(missing.config).toBeNull();
    expect(missing.issues.map((i) => i.path)).toEqual(['clearmlApiHost']);
    expect(apiHostOf(await none(fixture('clearml-reference.yaml'), 'https://api.given'))).toBe('https://api.given');
    // A host that is not a URL is the file's field issue, not a crash.
    const bad = await none(fixture('clearml-reference.yaml'), 'clearml.example.com');
    expect(bad.config).toBeNull();
    expect(bad.issues.map((i) => i.path)).toEqual(['clearmlApiHost']);
  });

  it.each([
    ['nothing to take it from', null, undefined, null, null],
    [
      'the saved configuration',
      { region: 'eu-west-1', from: 'the saved configuration' },
      undefined,
      'eu-west-1',
      /the region is eu-west-1, from the saved configuration \(ClearML's autoscaler takes it/,
    ],
    [
      'the environment',
      { region: 'us-west-2', from: 'AWS_REGION', variable: true },
      undefined,
      'us-west-2',
      /the region is us-west-2, from AWS_REGION in this environment/,
    ],
    [
      'entered with the file, over the saved one',
      { region: 'eu-west-1', from: 'the saved configuration' },
      ' ap-south-1 ',
      'ap-south-1',
      /the region is ap-south-1, from the region entered with the file/,
    ],
  ] as const)(
    'a ClearML file without cloud_credentials_region takes the region from %s',
    async (_from, region, entered, expected, warning) => {
      const text = fixture('clearml-reference.yaml').replace(/^\s*cloud_credentials_region:.*\n/m, '');
      const imp = createConfigImporter(() => importHosts(null, { apiHost: 'https://api.env' }, region));
      const r = await imp(text, undefined, entered);
      expect((r.config as Config | null)?.aws.region ?? null).toBe(expected);
      if (warning) expect(r.warnings.join('\n')).toMatch(warning);
      else expect(r.issues.map((i) => i.path)).toEqual(['hyper_params.cloud_credentials_region']);
      // The file's own region always wins.
      const own = await imp(fixture('clearml-reference.yaml'), undefined, entered);
      expect((own.config as Config | null)?.aws.region).toBe('us-east-1');
    },
  );

  it('something else is refused with a warning that says what to paste', async () => {
    const r = await importText('hello: world');
    expect(r).toMatchObject({ format: 'unknown', config: null });
  });

  it('exports a comment before the first setup', () => {
    expect(exportConfigText(null)).toMatch(/^# no configuration/);
  });
});
