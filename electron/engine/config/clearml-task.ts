/**
 * ClearML's autoscaler run as a service task (`aws_autoscaler.py --remote`, or cloned and enqueued from the web UI)
 * keeps its live configuration in the task, not in a file: `hyper_params` are the task's hyperparameters of section
 * General (edited in the UI, stored as text with the type of the value first connected), `configurations` its
 * configuration object General (JSON text). This reads the task as `tasks.get_by_id` returns it (the whole answer,
 * its `data.task`, or the task alone) back into the file's two parts, typed as the autoscaler's own script types
 * them, so the importer sees what ClearML's autoscaler ran with. Pure: structured notes, worded by `taskNoteText`.
 */
import type { FieldIssue } from '../../../shared/config.js';
import { isObj, pythonInt, type Obj } from './clearml-reader.js';

/**
 * The example script's `default_config['hyper_params']`. Run as a service task, it connects this dict: each of these
 * keys is read from the task, cast to the type of its default (`copy_to_dict` in clearml's args.py), and no other
 * key of the task is read at all.
 */
const SERVICE_DEFAULTS: Readonly<Record<string, string | number | null>> = {
  git_user: '',
  git_pass: '',
  cloud_credentials_key: '',
  cloud_credentials_secret: '',
  cloud_credentials_region: null,
  default_docker_image: 'nvidia/cuda',
  max_idle_time_min: 15,
  polling_interval_time_min: 5,
  max_spin_up_time_min: 30,
  workers_prefix: 'dynamic_worker',
  cloud_provider: '',
};
/** What a service-task run starts `configurations` from, before the configuration object General is merged in. */
const SERVICE_CONFIGURATIONS: Readonly<Obj> = {
  resource_configurations: null,
  queues: null,
  extra_trains_conf: '',
  extra_clearml_conf: '',
  extra_vm_bash_script: '',
};
/** Sections of a task's hyperparameters that are not the autoscaler's (the web UI's user properties). */
const OTHER_SECTIONS: ReadonlySet<string> = new Set(['properties']);

export type TaskNote =
  /** Which task was read, so the preview names its source. */
  | { code: 'read-from-task'; name: string | null; id: string | null }
  /** A parameter a service-task run never reads: only a run from the file (`--run`) used it. */
  | { code: 'not-read-as-service'; key: string }
  /**
   * A whole-minutes parameter holding a number that is not whole: run from the file ClearML used it as written, as
   * a service task it could not read it and kept its default.
   */
  | { code: 'service-kept-default'; key: string; written: string; value: number; fallback: number }
  | { code: 'section-ignored'; section: string };

export type TaskReading =
  | { kind: 'not-a-task' }
  | { kind: 'task'; doc: { hyper_params: Obj; configurations: Obj }; notes: TaskNote[]; issues: FieldIssue[] };

/** The task inside what `tasks.get_by_id` answers (`{meta, data: {task}}`), inside `{task}`, or the task itself. */
function taskOf(value: unknown): Obj | null {
  if (!isObj(value)) return null;
  const inner = isObj(value['data']) ? value['data']['task'] : value['task'];
  const task = isObj(inner) ? inner : value;
  return isObj(task['hyperparams']) || isObj(task['configuration']) ? task : null;
}

/** A task's parameter as ClearML's `copy_to_dict` casts text to a bool: a number's truth, else the text 'true'. */
function pythonBool(text: string): boolean {
  const n = text.trim() === '' ? Number.NaN : Number(text);
  return Number.isFinite(n) ? n !== 0 : text.toLowerCase().trim() === 'true';
}

/** A parameter's text, typed as the autoscaler's script gets it (see SERVICE_DEFAULTS), with a note when it matters. */
function typed(key: string, text: string, recorded: string, notes: TaskNote[]): unknown {
  const fallback = SERVICE_DEFAULTS[key];
  if (typeof fallback === 'number') {
    if (text.trim() === '') return undefined; // the importer applies ClearML's default, and says so where it matters
    const whole = pythonInt(text);
    if (whole !== undefined) return whole;
    const n = Number(text);
    if (Number.isFinite(n)) {
      notes.push({ code: 'service-kept-default', key, written: text, value: n, fallback });
      return n;
    }
    return text; // the importer says it is not a number of minutes
  }
  if (key in SERVICE_DEFAULTS) return text;
  // A key only a run from the file used: typed as that run recorded it.
  if (recorded === 'bool') return pythonBool(text);
  if ((recorded === 'int' || recorded === 'float') && text.trim() !== '' && Number.isFinite(Number(text)))
    return Number(text);
  return text;
}

export function readClearmlTask(value: unknown): TaskReading {
  const task = taskOf(value);
  if (!task) return { kind: 'not-a-task' };
  const notes: TaskNote[] = [];
  const issues: FieldIssue[] = [];
  notes.push({
    code: 'read-from-task',
    name: typeof task['name'] === 'string' ? task['name'] : null,
    id: typeof task['id'] === 'string' ? task['id'] : null,
  });

  const hyper_params: Obj = {};
  const sections = isObj(task['hyperparams']) ? task['hyperparams'] : {};
  for (const section of Object.keys(sections)) {
    if (section === 'General') continue;
    if (!OTHER_SECTIONS.has(section)) notes.push({ code: 'section-ignored', section });
  }
  const general = sections['General'];
  if (isObj(general)) {
    for (const [key, p] of Object.entries(general)) {
      // The answer holds each parameter as {section, name, value, type}; a plain value is taken as its text.
      const item = isObj(p) ? p : { value: p };
      const raw = item['value'];
      // The API holds text; a hand-made export may hold a number or true/false there.
      const text =
        typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
      const recorded = typeof item['type'] === 'string' ? item['type'] : '';
      const v = typed(key, text, recorded, notes);
      if (v !== undefined) hyper_params[key] = v;
      if (!(key in SERVICE_DEFAULTS) && text.trim() !== '' && !(recorded === 'bool' && v === false))
        notes.push({ code: 'not-read-as-service', key });
    }
  } else {
    issues.push({
      path: 'hyperparams.General',
      message:
        "the task has no hyperparameters in section General, where ClearML's autoscaler keeps its settings (max_idle_time_min, workers_prefix, ...): export the autoscaler's own task (project DevOps, 'AWS Auto-Scaler'), or import its aws_autoscaler.yaml",
    });
  }

  const configurations: Obj = { ...SERVICE_CONFIGURATIONS };
  const object = isObj(task['configuration']) ? task['configuration']['General'] : undefined;
  const text = isObj(object) ? object['value'] : undefined;
  if (typeof text !== 'string' || text.trim() === '') {
    issues.push({
      path: 'configuration.General',
      message:
        "the task has no configuration object General, which holds the resources and queues (resource_configurations, queues): export the task with its configuration (tasks.get_by_id answers it whole), or import the autoscaler's aws_autoscaler.yaml",
    });
  } else {
    let parsed: unknown;
    let error: string | null = null;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      error = (e as Error).message;
    }
    if (error === null && isObj(parsed)) Object.assign(configurations, parsed);
    else {
      issues.push({
        path: 'configuration.General',
        message: `is not the JSON object ClearML's autoscaler writes there (${error ?? 'not an object'}); its web UI shows it under CONFIGURATION > CONFIGURATION OBJECTS > General`,
      });
    }
  }
  return { kind: 'task', doc: { hyper_params, configurations }, notes, issues };
}

/** What each setting that a service-task run never reads does here once imported. */
const APPLIES_HERE: Readonly<Record<string, string>> = {
  iam_arn: 'every instance gets this instance profile (this app also needs iam:PassRole on its role)',
  iam_name: 'every instance gets this instance profile (this app also needs iam:PassRole on its role)',
  tags: 'these tags go on every instance',
  use_credentials_chain: "the AWS credential chain is used, not the task's keys",
  cloud_credentials_token: 'the session token is used with the keys',
  use_iam_instance_profile: 'nothing (ClearML never used it either)',
};

export function taskNoteText(n: TaskNote): string {
  switch (n.code) {
    case 'read-from-task':
      return `read from ClearML's autoscaler task${n.name ? ` '${n.name}'` : ''}${n.id ? ` (${n.id})` : ''}: hyper_params are its hyperparameters of section General, configurations its configuration object General; paths below name them so`;
    case 'not-read-as-service':
      return `hyper_params.${n.key}: if ClearML's autoscaler ran as a service task (--remote, or enqueued from the web UI), it never read this parameter (it reads only those of its built-in defaults), so its instances ran without it; imported as written, so here ${APPLIES_HERE[n.key] ?? 'it applies'}. Delete it to keep what the service task did`;
    case 'service-kept-default':
      return `hyper_params.${n.key} is ${n.written}: run from its file ClearML's autoscaler used it, but as a service task it could not read it as a whole number and kept its default of ${n.fallback} min. Imported as ${n.value} min; write ${n.fallback} to keep what the service task did`;
    case 'section-ignored':
      return `hyperparams.${n.section}: not a section ClearML's autoscaler reads (its settings are in General); ignored`;
  }
}
