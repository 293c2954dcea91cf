/**
 * The number settings ClearML's autoscaler does arithmetic on, written in each form a hand-edited file has them
 * (negative, 0, a fraction, text, true, .inf), with what ClearML's own code did with each and what the import does.
 * `clearml` is checked against ClearML's code by test/conformance/clearml-numbers.test.ts; the import's side by
 * test/config/clearml-numbers.test.ts. Both read the same file, `numberCaseFile(c)`.
 */

export type NumberField = 'max_instances' | 'max_idle_time_min' | 'max_spin_up_time_min' | 'polling_interval_time_min';

export interface NumberCase {
  field: NumberField;
  /** The value as written in the YAML file. */
  yaml: string;
  /**
   * What ClearML's autoscaler did with the file. For max_instances: how many gpu_t4 instances it launched at one
   * poll with 5 tasks waiting and none running, or 'poll-fails' (the poll raised). For the minutes settings: whether
   * its ScalerConfig let it start.
   */
  clearml: number | 'poll-fails' | 'starts' | 'refuses-to-start';
  /** The import: the value in the file's unit, with the one warning it gives about it (none when absent)… */
  imported?: number;
  warning?: RegExp;
  /** …or the one issue it refuses the file with. */
  issue?: RegExp;
}

/** Tasks waiting in aws_gpu at ClearML's poll: more than any cap below, so the launches are the cap. */
export const WAITING_TASKS = 5;

const Q = 'configurations\\.queues\\.aws_gpu\\.0\\.1';

export const NUMBER_CASES: NumberCase[] = [
  // A queue entry's max instances: ClearML computes int(max_instances) - running - booting, launching while above 0.
  { field: 'max_instances', yaml: '0', clearml: 0, imported: 0 },
  { field: 'max_instances', yaml: '3', clearml: 3, imported: 3 },
  {
    field: 'max_instances',
    yaml: '-1',
    clearml: 0,
    imported: 0,
    warning: new RegExp(
      `^${Q} is -1: ClearML's autoscaler launched no gpu_t4 instance for aws_gpu with it .*, as with 0\\. Imported as 0, which launches none either; write 0$`,
    ),
  },
  {
    field: 'max_instances',
    yaml: '"-1"',
    clearml: 0,
    imported: 0,
    warning: new RegExp(`^${Q} is the text "-1": ClearML's autoscaler launched no gpu_t4 instance .*; write 0$`),
  },
  {
    field: 'max_instances',
    yaml: '0.5',
    clearml: 0,
    imported: 0,
    warning: new RegExp(`^${Q} is 0\\.5: ClearML's autoscaler launched no gpu_t4 instance .*; write 0$`),
  },
  {
    field: 'max_instances',
    yaml: '2.7',
    clearml: 2,
    imported: 2,
    warning: new RegExp(
      `^${Q} is 2\\.7: ClearML's autoscaler cut it to 2 \\(Python's int\\(\\)\\), so it ran at most 2 gpu_t4 instances for aws_gpu\\. Imported as 2; write 2$`,
    ),
  },
  {
    field: 'max_instances',
    yaml: '"3"',
    clearml: 3,
    imported: 3,
    warning: new RegExp(
      `^${Q} is the text "3": ClearML's autoscaler read it as 3 \\(Python's int\\(\\)\\)\\. Imported as 3; write 3 without quotes$`,
    ),
  },
  {
    field: 'max_instances',
    yaml: '" 1_0 "',
    clearml: 5, // int() reads 10; five tasks were waiting
    imported: 10,
    warning: new RegExp(`^${Q} is the text " 1_0 ": ClearML's autoscaler read it as 10 .*; write 10 without quotes$`),
  },
  {
    field: 'max_instances',
    yaml: '"2.7"',
    clearml: 'poll-fails',
    issue:
      /^is the text "2\.7", which ClearML's autoscaler could not read as a whole number \(Python's int\(\) fails on it\): each poll stopped there while aws_gpu had tasks waiting, so nothing was launched or terminated for any queue\. Write a whole number of instances, e\.g\. 2$/,
  },
  {
    field: 'max_instances',
    yaml: '"3.0"',
    clearml: 'poll-fails',
    issue: /^is the text "3\.0", which ClearML's autoscaler could not read .* e\.g\. 3$/,
  },
  {
    field: 'max_instances',
    yaml: 'three',
    clearml: 'poll-fails',
    issue: /^is the text "three", which ClearML's autoscaler could not read .* e\.g\. 3$/,
  },
  {
    field: 'max_instances',
    yaml: '.inf',
    clearml: 'poll-fails',
    issue:
      /^is \.inf, not a whole number of instances \(ClearML's autoscaler failed on it at each poll while aws_gpu had tasks waiting\); write a whole number, e\.g\. 3$/,
  },
  // Refused though ClearML ran it: true in a count is a slip (`yes`, `on`), not a number.
  {
    field: 'max_instances',
    yaml: 'true',
    clearml: 1,
    issue:
      /^is true, not a number of instances \(ClearML's autoscaler counted it as 1, Python's int\(True\)\); write the number itself, e\.g\. 1$/,
  },

  // Minutes: ClearML's ScalerConfig wants an int for idle and spin-up, an int or a float for the poll.
  { field: 'max_idle_time_min', yaml: '0', clearml: 'starts', imported: 0 },
  {
    field: 'max_idle_time_min',
    yaml: '-1',
    clearml: 'starts',
    imported: 0,
    warning:
      /^hyper_params\.max_idle_time_min is -1: ClearML's autoscaler terminated each idle worker at the next poll, as with 0\. Imported as 0, which does the same; write 0$/,
  },
  {
    field: 'max_idle_time_min',
    yaml: '2.7',
    clearml: 'refuses-to-start',
    imported: 2.7,
    warning:
      /^hyper_params\.max_idle_time_min is 2\.7: ClearML's autoscaler refused to start with it \(it takes whole minutes here\)\. Imported as 2\.7 min, as this app takes fractions; write a whole number if ClearML's autoscaler must run the file too$/,
  },
  {
    field: 'max_idle_time_min',
    yaml: '"3"',
    clearml: 'refuses-to-start',
    imported: 3,
    warning:
      /^hyper_params\.max_idle_time_min is the text "3": ClearML's autoscaler refused to start with text here \(it checks for a number\)\. Imported as 3 min; write 3 without quotes$/,
  },
  {
    field: 'max_idle_time_min',
    yaml: 'true',
    clearml: 'starts',
    issue:
      /^is true, not a number of minutes \(ClearML's autoscaler took it as 1 min\); write the minutes, e\.g\. 15 \(ClearML's default\)$/,
  },
  {
    field: 'max_spin_up_time_min',
    yaml: '-1',
    clearml: 'starts',
    issue:
      /^must be more than 0 \(ClearML's autoscaler allowed -1, and then terminated as stuck every instance .*e\.g\. 30/,
  },
  {
    field: 'max_spin_up_time_min',
    yaml: '2.7',
    clearml: 'refuses-to-start',
    imported: 2.7,
    warning: /^hyper_params\.max_spin_up_time_min is 2\.7: ClearML's autoscaler refused to start with it/,
  },
  {
    field: 'max_spin_up_time_min',
    yaml: '"3"',
    clearml: 'refuses-to-start',
    imported: 3,
    warning: /^hyper_params\.max_spin_up_time_min is the text "3": ClearML's autoscaler refused to start with text/,
  },
  { field: 'polling_interval_time_min', yaml: '2.7', clearml: 'starts', imported: 2.7 },
  {
    field: 'polling_interval_time_min',
    yaml: '"3"',
    clearml: 'refuses-to-start',
    imported: 3,
    warning:
      /^hyper_params\.polling_interval_time_min is the text "3": ClearML's autoscaler refused to start with text/,
  },
  {
    field: 'polling_interval_time_min',
    yaml: '0',
    clearml: 'starts',
    issue:
      /^is 0: ClearML's autoscaler polled without a pause, .* Write the minutes between polls, e\.g\. 5 \(ClearML's default\) or 0\.25 \(15 s\)$/,
  },
  {
    field: 'polling_interval_time_min',
    yaml: '-1',
    clearml: 'starts',
    issue:
      /^is -1: ClearML's autoscaler failed at the end of each poll \(Python cannot sleep a negative time\) and started over 15 s later, forgetting the instances it had just launched, .* e\.g\. 5 \(ClearML's default\)/,
  },
];

/** A ClearML autoscaler file with the case's value in its setting and ClearML's defaults everywhere else. */
export function numberCaseFile(c: NumberCase): string {
  const v = (field: NumberField, dflt: string) => (c.field === field ? c.yaml : dflt);
  return `hyper_params:
  cloud_credentials_region: us-east-1
  max_idle_time_min: ${v('max_idle_time_min', '15')}
  polling_interval_time_min: ${v('polling_interval_time_min', '5')}
  max_spin_up_time_min: ${v('max_spin_up_time_min', '30')}
  workers_prefix: dynamic_aws
  git_user: ''
  git_pass: ''
  default_docker_image: ''
configurations:
  resource_configurations:
    gpu_t4:
      instance_type: g4dn.xlarge
      is_spot: true
      availability_zone: us-east-1b
      ami_id: ami-0123456789abcdef0
  queues:
    aws_gpu: [[gpu_t4, ${v('max_instances', '3')}]]
  extra_clearml_conf: ''
  extra_vm_bash_script: ''
`;
}
