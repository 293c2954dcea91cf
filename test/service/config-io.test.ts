import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createConfigImporter, exportConfigText } from '../../electron/engine/service/config-io.js';
import { validConfig, validConfigInput } from './fixtures.js';

const importText = createConfigImporter(() => 'https://api.clear.ml');
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures/config', name), 'utf8');

describe('config import/export over IPC', () => {
  it('export → import round-trips', async () => {
    const text = exportConfigText(validConfig());
    expect(await importText(text)).toEqual({ format: 'ours', config: validConfig(), issues: [], warnings: [] });
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

  it('something else is refused with a warning that says what to paste', async () => {
    const r = await importText('hello: world');
    expect(r).toMatchObject({ format: 'unknown', config: null });
  });

  it('exports a comment before the first setup', () => {
    expect(exportConfigText(null)).toMatch(/^# no configuration/);
  });
});
