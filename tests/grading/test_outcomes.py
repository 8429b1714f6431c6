"""classify: the one place a process result becomes TLE, MLE or RE."""

from __future__ import annotations

import signal

import pytest

from ioi_grader.grading.outcomes import MEMORY_AT_LIMIT, TestLimits, classify
from ioi_grader.grading.results import TestStatus
from ioi_grader.sandbox.protocol import ProcessResult

LIMITS = TestLimits(time=1.0, memory=256 << 20, output=1 << 20)


def result(**changes) -> ProcessResult:
    fields = dict(slot="run", exit_code=0, signal=None, cpu=0.1, wall=0.1, memory=10 << 20, oom_killed=False,
                  cpu_exceeded=False, wall_exceeded=False, output_exceeded=False)
    return ProcessResult(**(fields | changes))


@pytest.mark.parametrize(("changes", "status"), [
    ({}, None),
    ({"oom_killed": True, "signal": signal.SIGKILL, "exit_code": None}, TestStatus.MLE),
    # The cgroup holds usage at the limit and can refuse a charge without the OOM killer (the
    # system call fails): a run that failed with its peak at the limit ran out of memory.
    ({"memory": LIMITS.memory - MEMORY_AT_LIMIT // 2, "exit_code": 3}, TestStatus.MLE),
    ({"memory": LIMITS.memory, "signal": signal.SIGABRT, "exit_code": None}, TestStatus.MLE),
    # At the limit but successful: it fitted (page cache the kernel reclaimed is not a failure).
    ({"memory": LIMITS.memory}, None),
    # Failed well below the limit: its own fault, not memory.
    ({"memory": LIMITS.memory // 2, "exit_code": 3}, TestStatus.RE),
    ({"cpu_exceeded": True, "cpu": 1.2, "signal": signal.SIGKILL, "exit_code": None}, TestStatus.TLE),
    ({"wall_exceeded": True, "signal": signal.SIGKILL, "exit_code": None}, TestStatus.TLE),
])
def test_classify(changes, status):
    verdict = classify(result(**changes), LIMITS)
    assert (verdict[0] if verdict else None) is status
