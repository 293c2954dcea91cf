/**
 * ClearML's autoscaler run as a service task keeps its live settings in the task: the import reads them as
 * `tasks.get_by_id` answers them. `fixtures/config/clearml-task.json` is that answer for the wizard's file
 * (`clearml-wizard.yaml`) plus `use_credentials_chain: false`, `iam_name`, `git_user` and `git_pass`, produced by the
 * real clearml SDK (2.1.12, offline Task) with the example script's own calls: `task.connect(hyper_params)` and
 * `task.set_configuration_object(name="General", config_text=json.dumps(configurations, indent=2))`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../electron/engine/config/index.js';
import { readClearmlTask, taskNoteText, type TaskNote } from '../../electron/engine/config/clearml-task.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/config');
const text = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const HOST = { clearmlApiHost: 'https://api.clear.ml' };

/** A task as the REST API holds it: each hyperparameter {section, name, value, type}; the object as JSON text. */
function task(params: Record<string, [string, string]>, configurations: unknown = { queues: {} }) {
  return {
    id: 't1',
    name: 'AWS Auto-Scaler',
    hyperparams: {
      General: Object.fromEntries(
        Object.entries(params).map(([name, [value, type]]) => [name, { section: 'General', name, value, type }]),
      ),
    },
    configuration: { General: { name: 'General', value: JSON.stringify(configurations) } },
  };
}

describe('a service task read back into the file it was connected from', () => {
  it("the SDK's own task of the wizard's file imports to the same config as the file, with the same secrets", () => {
    const fromTask = loadConfigText(text('clearml-task.json'), HOST);
    const file = parse(text('clearml-wizard.yaml')) as { hyper_params: Record<string, unknown> };
    Object.assign(file.hyper_params, {
      use_credentials_chain: false,
      iam_name: 'clearml-agent-profile',
      git_user: 'ml-bot',
      git_pass: 'ghp_example',
    });
    const fromFile = loadConfigText(JSON.stringify(file), HOST);
    expect(fromTask.format).toBe('clearml');
    expect(fromTask.issues).toEqual([]);
    expect(fromFile.config).not.toBeNull();
    expect(fromTask.config).toEqual(fromFile.config);
    expect(fromTask.secrets).toEqual(fromFile.secrets);
    expect(fromTask.differences).toEqual(fromFile.differences);
    // The task's text values are read as the script typed them: no warning that ClearML refused text minutes or
    // took the text "False" as true.
    expect(fromTask.warnings.filter((w) => /refused to start|non-empty text/.test(w))).toEqual([]);
    expect(fromTask.warnings[0]).toMatch(/^read from ClearML's autoscaler task 'AWS Auto-Scaler'/);
    expect(fromTask.warnings.filter((w) => w.startsWith('hyper_params.iam_name: if ClearML'))).toHaveLength(1);
  });

  const answer = task({ max_idle_time_min: ['20', 'int'] });
  it.each([
    ['the whole answer of tasks.get_by_id', { meta: { result_code: 200 }, data: { task: answer } }],
    ['{task}', { task: answer }],
    ['the task alone', answer],
  ])('%s is read', (_, value) => {
    const r = readClearmlTask(value);
    expect(r.kind).toBe('task');
    if (r.kind === 'task') expect(r.doc.hyper_params).toEqual({ max_idle_time_min: 20 });
  });

  it.each([
    ["ClearML's own file", { hyper_params: {}, configurations: {} }],
    ["this app's file", { clearml: { apiHost: 'https://x' }, resources: {}, queues: {} }],
    ['an answer about something else', { data: { queue: { id: 'q' } } }],
  ])('%s is not a task', (_, value) => {
    expect(readClearmlTask(value)).toEqual({ kind: 'not-a-task' });
  });
});

describe('each hyperparameter typed as the autoscaler script gets it', () => {
  type Row = [string, [string, string], unknown, TaskNote['code'][]];
  const rows: Row[] = [
    // The example's defaults: cast to their default's type whatever the task recorded.
    ['max_idle_time_min', ['20', 'int'], 20, []],
    ['max_idle_time_min', ['20', 'str'], 20, []],
    ['polling_interval_time_min', [' 2 ', 'int'], 2, []],
    ['polling_interval_time_min', ['0.5', 'float'], 0.5, ['service-kept-default']],
    ['max_spin_up_time_min', ['', 'int'], undefined, []],
    ['max_idle_time_min', ['soon', 'int'], 'soon', []],
    ['workers_prefix', ['dyn', 'str'], 'dyn', []],
    ['cloud_credentials_region', ['eu-west-1', 'NoneType'], 'eu-west-1', []],
    ['git_user', ['123', 'int'], '123', []],
    // Keys only a run from the file read: typed as recorded, and named.
    ['use_credentials_chain', ['False', 'bool'], false, []],
    ['use_credentials_chain', ['True', 'bool'], true, ['not-read-as-service']],
    ['use_credentials_chain', ['1', 'bool'], true, ['not-read-as-service']],
    [
      'iam_arn',
      ['arn:aws:iam::1:instance-profile/p', 'str'],
      'arn:aws:iam::1:instance-profile/p',
      ['not-read-as-service'],
    ],
    ['tags', ['team=ml', 'str'], 'team=ml', ['not-read-as-service']],
    ['iam_name', ['', 'str'], '', []],
  ];
  it.each(rows)('%s = %j', (key, param, value, codes) => {
    const r = readClearmlTask(task({ [key]: param }));
    if (r.kind !== 'task') throw new Error('not read as a task');
    expect(r.doc.hyper_params[key]).toEqual(value);
    expect(r.notes.slice(1).map((n) => n.code)).toEqual(codes);
  });

  it('a minutes value the service task could not read says what it kept and what is imported', () => {
    const r = readClearmlTask(task({ polling_interval_time_min: ['0.5', 'float'] }));
    if (r.kind !== 'task') throw new Error('not read as a task');
    expect(r.notes[1]).toEqual({
      code: 'service-kept-default',
      key: 'polling_interval_time_min',
      written: '0.5',
      value: 0.5,
      fallback: 5,
    });
    expect(taskNoteText(r.notes[1]!)).toMatch(/kept its default of 5 min\. Imported as 0\.5 min; write 5/);
  });
});

describe('a task that cannot be imported says what is missing', () => {
  it.each([
    [
      'no configuration object',
      { ...task({}), configuration: {} },
      'configuration.General',
      /no configuration object General/,
    ],
    [
      'a configuration object that is not JSON',
      { ...task({}), configuration: { General: { name: 'General', value: 'queues: {}' } } },
      'configuration.General',
      /not the JSON object/,
    ],
    [
      'no General section',
      { ...task({}), hyperparams: { Args: {} } },
      'hyperparams.General',
      /no hyperparameters in section General/,
    ],
  ])('%s', (_, value, at, message) => {
    const r = loadConfigText(JSON.stringify(value), HOST);
    expect(r.config).toBeNull();
    expect(r.issues.find((i) => i.path === at)?.message).toMatch(message);
  });

  it('a section other than General is named as ignored; the web UI user properties are not', () => {
    const value = task({});
    Object.assign(value.hyperparams, { Args: {}, properties: {} });
    const r = readClearmlTask(value);
    if (r.kind !== 'task') throw new Error('not read as a task');
    expect(r.notes.filter((n) => n.code === 'section-ignored')).toEqual([{ code: 'section-ignored', section: 'Args' }]);
  });
});
