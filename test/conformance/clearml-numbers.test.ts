/**
 * What ClearML's own autoscaler code does with a number setting written negative, 0, fractional, as text or as true
 * (the `clearml` column of test/config/clearml-number-cases.ts, which the import's warnings and refusals describe):
 * each case's file is loaded as ClearML's script loads it (PyYAML's SafeLoader), given to its ScalerConfig, and run
 * through one poll of its real AutoScaler.supervisor with 5 tasks waiting, the ClearML API and the cloud driver stubbed.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NUMBER_CASES, numberCaseFile, WAITING_TASKS } from '../config/clearml-number-cases.js';
import { venvBin } from './peers.js';

const run = promisify(execFile);

// AutoScaler.__init__ opens a ClearML session; the poll needs only what it sets, so the scaler is built without it.
// `sleep` ends the poll (or, with `polls`, counts them); the queue always holds `waiting` tasks.
const HARNESS = String.raw`
import json, logging, sys, threading, time, yaml
from types import SimpleNamespace as NS
import clearml.automation.auto_scaler as asm
from clearml.automation.auto_scaler import AutoScaler, ScalerConfig

class EndOfPoll(Exception): pass

def scaler(conf, waiting, launched):
    class Driver:
        def spin_up_worker(self, resource, worker_prefix, queue_name, task_id):
            launched.append(worker_prefix); return "i-%d" % len(launched)
        def spin_down_worker(self, instance_id): pass
    api = NS(queues=NS(get_all=lambda only_fields=None: [NS(id="q-" + q, name=q) for q in conf["configurations"]["queues"]],
                       get_by_id=lambda _id: NS(entries=[object()] * waiting), create=lambda q: None),
             workers=NS(get_all=lambda: []))
    s = AutoScaler.__new__(AutoScaler)
    s.logger = logging.getLogger("clearml-numbers"); s.driver = Driver(); s.api_client = api
    s.queues = conf["configurations"]["queues"]
    s.resource_to_queue = {item[0]: q for q, items in s.queues.items() for item in items}
    s.resource_configurations = conf["configurations"]["resource_configurations"]
    hp = conf["hyper_params"]
    s.workers_prefix = hp["workers_prefix"]; s.max_idle_time_min = 15.0; s.max_spin_up_time_min = 30.0
    s.polling_interval_time_min = float(hp["polling_interval_time_min"])
    s.monitor_startup = lambda instance_id: None
    s._stop_event = threading.Event()
    asm.get_task_logger = lambda: None
    return s

def one_poll(conf, waiting):
    launched = []
    s = scaler(conf, waiting, launched)
    def sleep(_): raise EndOfPoll()
    asm.sleep = sleep
    try:
        s.supervisor()
    except EndOfPoll:
        return len(launched)
    except Exception:
        return "poll-fails"

def polls(conf, waiting, n):
    """start(), ClearML's outer loop, for n sleeps, Python's own sleep deciding what a duration may be."""
    launched, sleeps = [], []
    s = scaler(conf, waiting, launched)
    def sleep(x):
        sleeps.append(x)
        if len(sleeps) >= n: s._stop_event.set()
        time.sleep(min(x, 0))  # raises as the real sleep does on a negative duration, waits for nothing
    asm.sleep = sleep
    s.start()
    return {"launched": len(launched), "sleeps": sleeps}

out = []
for case in json.loads(sys.stdin.read()):
    conf = yaml.load(case["file"], Loader=yaml.SafeLoader)
    try:
        ScalerConfig.from_config(conf)
        starts = "starts"
    except TypeError:
        starts = "refuses-to-start"
    r = {"starts": starts}
    if case["field"] == "max_instances":
        r["launched"] = one_poll(conf, case["waiting"])
    if case.get("polls"):
        r["polls"] = polls(conf, 1, case["polls"])
    out.append(r)
print(json.dumps(out))
`;

interface Result {
  starts: 'starts' | 'refuses-to-start';
  launched?: number | 'poll-fails';
  polls?: { launched: number; sleeps: number[] };
}

async function clearml(cases: Array<{ field: string; file: string; waiting: number; polls?: number }>) {
  const child = run(path.join(venvBin(), 'python'), ['-c', HARNESS], { maxBuffer: 1 << 20 });
  child.child.stdin!.end(JSON.stringify(cases));
  const { stdout } = await child;
  return JSON.parse(stdout.trim().split('\n').pop()!) as Result[];
}

describe("number settings: ClearML's autoscaler code does what the import says it did", () => {
  it('every case of the table', async () => {
    const got = await clearml(
      NUMBER_CASES.map((c) => ({ field: c.field, file: numberCaseFile(c), waiting: WAITING_TASKS })),
    );
    // The harness must see ClearML launch at all, or every 0 below would prove nothing.
    const three = NUMBER_CASES.findIndex((c) => c.field === 'max_instances' && c.yaml === '3');
    expect(got[three]!.launched).toBe(3);
    NUMBER_CASES.forEach((c, i) => {
      const name = `${c.field}: ${c.yaml}`;
      if (c.field === 'max_instances') {
        expect(got[i]!.starts, name).toBe('starts'); // ClearML checks no cap before it runs
        expect(got[i]!.launched, name).toBe(c.clearml);
      } else {
        expect(got[i]!.starts, name).toBe(c.clearml);
      }
    });
  });

  it('a poll of 0 runs without a pause; a negative one fails each poll and launches again for the same task', async () => {
    const poll = (yaml: string) => ({
      field: 'polling_interval_time_min',
      file: numberCaseFile({ field: 'polling_interval_time_min', yaml, clearml: 'starts' }),
      waiting: 1,
      polls: 4,
    });
    const [zero, negative, five] = await clearml([poll('0'), poll('-1'), poll('5')]);
    // One task waiting: with a real pause ClearML remembers the instance it launched and launches once.
    expect(five!.polls).toEqual({ launched: 1, sleeps: [300, 300, 300, 300] });
    expect(zero!.polls).toEqual({ launched: 1, sleeps: [0, 0, 0, 0] });
    // sleep(-60) raises; start() waits 15 s and runs the poll again from scratch, its booting instance forgotten.
    expect(negative!.polls).toEqual({ launched: 2, sleeps: [-60, 15, -60, 15] });
  });
});
