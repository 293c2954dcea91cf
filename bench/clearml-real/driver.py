"""Runs ClearML's own autoscaler (clearml.automation.auto_scaler.AutoScaler with its AWSDriver), unmodified,
against the bench's emulators, on a compressed clock. Bench tooling only: the product has no Python.

Usage: python driver.py SETTINGS.json   (written by bench/clearml-real.ts)

SETTINGS.json:
  config  ClearML's autoscaler config, the dict its own example script builds from aws_autoscaler.yaml
          ({"hyper_params": {...}, "configurations": {...}})
  clock   {"virtualStartMs": V0, "factor": F}: see WorldClock. R0 (wall ms) arrives as one line on stdin once
          this process is ready, so the loop starts at the world's time zero.
  fixKeyword  (default true) rename the one mismatched keyword argument of clearml 2.1.12 (see
          fix_spin_up_keyword); false runs the package exactly as shipped, where no launch succeeds.

The bench reads this process's side of the clock protocol (`ready`, then one `clock` line per sleep) on file
descriptor 3, a pipe of its own: ClearML logs to stdout from several threads at once (its console-log threads
among them), and a line printed there can be cut in two by theirs.

ClearML's loop reads time through the names `time` and `sleep` it imports into auto_scaler.py, and boto3's
waiters sleep through `botocore.waiter.time`: those are the only things replaced, by the clock the emulators run
on, so every interval ClearML uses (polling, idle limit, spin-up limit, the console-log thread's minute, the
waiters' 15 s) keeps its configured value in world minutes. The endpoints come from the environment
(CLEARML_API_HOST, CLEARML_API_ACCESS_KEY/SECRET_KEY, AWS_ENDPOINT_URL_EC2 and the AWS_* keys).
"""

import faulthandler
import inspect
import json
import os
import signal
import threading
import logging
import sys
import time as _time
import types


CONTROL_FD = 3


def announce(line: str) -> None:
    """One line to the bench on the control pipe, in one write: a pipe never splits a write this short."""
    os.write(CONTROL_FD, (line + "\n").encode())


class WorldClock:
    """The world's time, shared with the TypeScript side.

    While the autoscaler's main thread sleeps (its polling interval, the boto3 waiters' 15 s, the 15 s restart
    delay), world time runs `factor` times faster than the wall clock; while it works (HTTP calls, building boto3
    clients), world time runs at wall speed. So the replay is compressed where ClearML waits, and its own work
    costs what it costs, never `factor` times that. Each main-thread sleep publishes one segment on the control
    pipe, `clock R V VT` (wall ms, world ms, world ms): from wall R, world time runs fast from V until VT, then at
    wall speed; both sides compute the same piecewise-linear target from the last segment.

    The world follows that target in steps and reports each step on stdin (`world MS`). On a loaded machine it can
    fall behind, so this side never reads a time later than the world's last report, and a sleep ends only once
    the world has reached its end: the replay slows down instead of ClearML acting on a stale world.
    """

    def __init__(self, v0: float, factor: float) -> None:
        self.factor = factor
        self.segment = (_time.time(), v0, v0)
        self.world = v0
        self.main = threading.main_thread()

    def start(self, r0: float) -> None:
        delay = r0 - _time.time()
        if delay > 0:
            _time.sleep(delay)
        self.segment = (r0, self.segment[1], self.segment[1])
        threading.Thread(target=self._follow_world, daemon=True).start()

    def _follow_world(self) -> None:
        for line in sys.stdin:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "world":
                self.world = max(self.world, float(parts[1]) / 1000.0)
            elif parts == ["report"]:
                # The bench asks when a run stalls: this side's view of the clock, answered from this thread (the
                # main thread may be blocked), straight to the descriptor (it may be inside a write to sys.stderr).
                r, v, vt = self.segment
                os.write(
                    sys.stderr.fileno(),
                    f"clock-state world {self.world * 1000:.3f} segment {r * 1000:.3f} {v * 1000:.3f} {vt * 1000:.3f}"
                    f" wall {_time.time() * 1000:.3f}\n".encode(),
                )

    def target(self) -> float:
        r, v, vt = self.segment
        real = _time.time()
        fast_end = r + (vt - v) / self.factor
        if real <= fast_end:
            return v + (real - r) * self.factor
        return vt + (real - fast_end)

    def now(self) -> float:
        return min(self.target(), self.world)

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        start = self.now()
        if threading.current_thread() is self.main:
            r = _time.time()
            self.segment = (r, start, start + seconds)
            announce(f"clock {r * 1000:.3f} {start * 1000:.3f} {(start + seconds) * 1000:.3f}")
        while True:
            left = start + seconds - self.now()
            if left <= 0:
                return
            _time.sleep(min(max(left / self.factor, 0.005), 0.05))


def fix_spin_up_keyword(driver_cls) -> None:
    """clearml 2.1.12's AutoScaler calls `driver.spin_up_worker(resource=..., ...)` while AWSDriver's parameter
    is `resource_conf`, so every launch fails with a TypeError (upstream issue #1669, open). This renames that
    one keyword and changes nothing else; a clearml whose AWSDriver takes `resource` runs as it is."""
    params = inspect.signature(driver_cls.spin_up_worker).parameters
    if "resource" in params or "resource_conf" not in params:
        return
    shipped = driver_cls.spin_up_worker

    def spin_up_worker(self, resource, worker_prefix, queue_name, task_id):
        return shipped(self, resource_conf=resource, worker_prefix=worker_prefix, queue_name=queue_name, task_id=task_id)

    driver_cls.spin_up_worker = spin_up_worker
    print("note: renamed spin_up_worker(resource=) to resource_conf= (clearml issue #1669)", file=sys.stderr)


def main() -> int:
    # The bench asks for every thread's stack when the main thread stops sleeping for too long (a stalled run).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    with open(sys.argv[1], encoding="utf-8") as f:
        settings = json.load(f)
    config = settings["config"]
    v0 = settings["clock"]["virtualStartMs"] / 1000.0
    factor = float(settings["clock"]["factor"])
    clock = WorldClock(v0, factor)
    vtime, vsleep = clock.now, clock.sleep

    # Imported after the environment is set by the parent (clearml reads it at import time).
    import botocore.waiter
    from clearml.automation import auto_scaler
    from clearml.automation.auto_scaler import AutoScaler, ScalerConfig
    from clearml.automation.aws_driver import AWSDriver

    auto_scaler.time = vtime
    auto_scaler.sleep = vsleep
    botocore.waiter.time = types.SimpleNamespace(time=vtime, sleep=vsleep)

    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    if settings.get("fixKeyword", True):
        fix_spin_up_keyword(AWSDriver)

    announce("ready")
    line = sys.stdin.readline()
    if not line.strip():
        print("no start time on stdin", file=sys.stderr)
        return 2
    clock.start(float(line) / 1000.0)

    driver = AWSDriver.from_config(config)
    scaler = AutoScaler(ScalerConfig.from_config(config), driver)
    logging.getLogger("auto_scaler").setLevel(logging.INFO)
    scaler.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
