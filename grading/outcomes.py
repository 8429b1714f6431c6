"""What running a test produces before scoring, and the one place that turns a process's
result into a status (TLE, MLE, RE): shared by every task type."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

from ..checkers.base import Verdict
from ..sandbox.base import CapturedFile
from ..sandbox.image import wire
from ..sandbox.protocol import ProcessResult, wall_guard
from .results import TestResult, TestStatus


@dataclass(frozen=True)
class TestLimits:
    __test__ = False

    time: float  # CPU seconds
    memory: int  # bytes
    output: int  # bytes
    max_line: int = wire.DEFAULT_MAX_LINE  # bytes in one line of the output
    max_tokens: int = wire.DEFAULT_MAX_TOKENS  # whitespace-separated tokens in the output

    @property
    def wall(self) -> float:
        return wall_guard(self.time)


@dataclass(frozen=True)
class Program:
    """A compiled submission on the worker's disk, and how to start it once installed."""

    path: Path
    key: str  # content hash: a box that already has it installed skips the copy
    name: str
    argv_prefix: tuple[str, ...]  # what comes before the installed path, e.g. ("/usr/bin/python3", "-I", "-B")

    def argv(self, installed_path: str) -> list[str]:
        return [*self.argv_prefix, installed_path]


@dataclass
class Executed:
    """What running a test produced before judging: a final result, or an output to judge."""

    result: TestResult | None = None
    # The contestant's output, out of the box: captured in memory, or a file it wrote (moved out).
    output: CapturedFile | Path | None = None
    time: float = 0.0
    wall: float = 0.0
    memory: int = 0
    cancelled: bool = False  # aborted by `Sandbox.cancel`: no result, its subtasks are decided


# The memory cgroup holds usage at the limit, so the peak it reports never exceeds it, and a
# charge the kernel refuses outside a page fault (a read() into untouched memory, a pipe or
# socket buffer) fails the system call with ENOMEM or EFAULT instead of waking the OOM killer.
# A run that failed with its peak within this much of the limit therefore ran out of memory.
MEMORY_AT_LIMIT = 1 << 20


def classify(result: ProcessResult, limits: TestLimits) -> tuple[TestStatus, str] | None:
    """The failure a process result shows, or None when it ran cleanly within its limits."""
    if result.violation:
        return TestStatus.RE, f"Security violation: {result.violation}"
    if result.exec_error:
        return TestStatus.RE, f"Could not start: {result.exec_error}"
    crashed = result.signal is not None or result.exit_code not in (0, None)
    at_limit = result.memory >= limits.memory - MEMORY_AT_LIMIT
    if result.oom_killed or result.memory > limits.memory or (crashed and at_limit):
        return TestStatus.MLE, "Memory limit exceeded"
    if result.cpu_exceeded or result.cpu > limits.time:
        return TestStatus.TLE, "Time limit exceeded"
    if result.wall_exceeded:
        return TestStatus.TLE, "Wall-clock limit exceeded (sleeping or blocked)"
    if result.output_exceeded:
        return TestStatus.RE, result.output_limit_reason or "Output limit exceeded"
    if result.signal is not None:
        try:
            name = signal.Signals(result.signal).name
        except ValueError:
            name = f"signal {result.signal}"
        return TestStatus.RE, f"Killed by {name}"
    if result.exit_code != 0:
        return TestStatus.RE, f"Exited with code {result.exit_code}"
    return None


def failed(name: str, status: TestStatus, message: str, time: float, wall: float, memory: int) -> TestResult:
    return TestResult(name=name, status=status, score=0.0, time=time, wall=wall, memory=memory, message=message)


def from_verdict(name: str, verdict: Verdict, time: float, wall: float, memory: int) -> TestResult:
    return TestResult(
        name=name, status=TestStatus(verdict.status) if verdict.status else TestStatus.from_outcome(verdict.outcome),
        score=verdict.outcome,
        time=time, wall=wall, memory=memory, message=verdict.message,
    )
