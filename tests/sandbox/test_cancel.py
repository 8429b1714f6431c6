"""`Sandbox.cancel` in the real box: the supervisor aborts the tagged runs of the request in
flight (a running one is killed with everything it started, a queued one never starts), the
others run as usual, and a cancel that arrives too late changes nothing."""

from __future__ import annotations

import json
import threading
import time

import pytest
from ioi_grader.sandbox.protocol import Limits, ProcessSpec, RunRequest, Stream, user_slot

from test_supervisor import box, no_processes_left, sh  # noqa: F401 - the box fixture

pytestmark = pytest.mark.docker


def spec(script: str, out, cpu: float = 5.0) -> dict:
    return ProcessSpec(slot=user_slot(0), argv=sh(script), stdout=Stream(file=out.inside, write=True),
                       limits=Limits(cpu=cpu, wall=2 * cpu + 1, memory=256 << 20)).model_dump(exclude_none=True)


def later(seconds: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()))
    thread.start()
    return thread


def test_cancel_kills_the_running_run_and_skips_the_queued_one(box):  # noqa: F811
    outs = [box.output() for _ in range(3)]
    spin = "(while :; do :; done) & while :; do :; done"
    runs = [
        {"processes": [spec(spin, outs[0])], "tag": "spin"},
        {"processes": [spec("echo alive", outs[1])], "tag": "alive"},
        {"processes": [spec(spin, outs[2])], "tag": "queued"},
    ]
    # "alive" is not named: it must run, after the cancelled "spin", despite stop_on_failure.
    canceller = later(0.5, lambda: box.cancel(["spin", "queued"]))
    started = time.monotonic()
    response = box.run_many(runs, stop_on_failure=True)
    elapsed = time.monotonic() - started
    canceller.join()
    try:
        spun, alive, queued = response.results
        assert spun.cancelled and spun.processes[0].cpu < 5 and not spun.processes[0].cpu_exceeded
        assert not alive.cancelled and alive.processes[0].ok and outs[1].read_text() == "alive\n"
        assert queued.cancelled and queued.processes == []
        assert elapsed < 10  # the 5 s CPU limit of either spin never came into play
        assert no_processes_left(box)
    finally:
        for out in outs:
            out.unlink()


def test_cancel_aborts_a_single_run(box):  # noqa: F811
    out = box.output()
    request = RunRequest.model_validate({"processes": [spec("while :; do :; done", out)], "tag": "t"})
    canceller = later(0.3, lambda: box.cancel(["t"]))
    response = box.run(request)
    canceller.join()
    out.unlink()
    assert response.cancelled and response.processes[0].signal == 9


def test_a_late_cancel_changes_nothing(box):  # noqa: F811
    out = box.output()
    try:
        done = box.run_many([{"processes": [spec("echo one", out)], "tag": "one"}])
        assert done.results[0].processes[0].ok
        box.cancel(["one"])  # nothing in flight: the box sends nothing
        # A cancel naming a finished request reaches the supervisor anyway (it crossed the
        # answer): it is dropped, with no reply, and never applied to the next request.
        with box._send_lock:
            box._socket.sendall(json.dumps({"op": "cancel", "id": box._request_serial, "tags": ["two"]}).encode()
                                + b"\n")
        again = box.run_many([{"processes": [spec("echo two", out)], "tag": "two"}])
        assert not again.results[0].cancelled and again.results[0].processes[0].ok
        assert out.read_text() == "two\n"
        assert box.call({"op": "ping"}, timeout=10)["ok"]
    finally:
        out.unlink()


def test_cancels_arriving_as_runs_exit_break_nothing(box):  # noqa: F811
    """A cancel read in the same poll round as the exit of a run's last process (here: a flood of
    cancels naming other tags, over runs that exit at once) is taken as a cancel, and the box
    stays healthy: it once read as an exit of an unknown process and broke the box."""
    outs = [box.output() for _ in range(100)]
    runs = [{"processes": [spec("exit 0", out)], "tag": f"run{i}"} for i, out in enumerate(outs)]
    done = threading.Event()

    def flood():
        while not done.is_set():
            box.cancel(["another-test"])
            time.sleep(0.0002)

    flooder = threading.Thread(target=flood)
    flooder.start()
    try:
        response = box.run_many(runs, stop_on_failure=True)
    finally:
        done.set()
        flooder.join()
        for out in outs:
            out.unlink()
    assert len(response.results) == len(runs)
    assert all(not r.cancelled and r.processes[0].ok for r in response.results)
    assert not box.broken and no_processes_left(box)
