"""The shared state of one submission's tests while they run across the boxes.

Every box loop of the grader takes tests from the board, says which box runs them, and hands
the results back. The board knows what is pending, what runs where, and which subtasks are
decided (their score type's `decided`: no remaining test can change their score). With early
stop, a test none of whose subtasks is undecided is never started, and one already running or
queued in a box is cancelled there: `finish` returns the cancellations for the caller to send,
so no sandbox call is made under the board's lock. It also keeps the accounts the benchmark
and the metrics report: solution CPU, and the part of it spent after a test stopped mattering.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from ..problems.model import Subtask
from . import scoring
from .results import TestResult, TestStatus

NOT_NEEDED = "Not run: its subtasks were already decided"
AFTER_A_FAILURE = "Not run: an earlier test did not pass"


@dataclass
class RunSpan:
    """A test that started in a box: its CPU and wall time, and when it ended (monotonic)."""

    name: str
    cpu: float
    wall: float
    ended: float


@dataclass
class GradeStats:
    """What running one submission's tests cost."""

    tests_run: int = 0  # ran to their end
    tests_cancelled: int = 0  # aborted in a box (running or queued there) once they could not matter
    tests_skipped: int = 0  # never sent to a box, for the same reason
    solution_cpu: float = 0.0  # CPU seconds of the submission, over every test it started
    wasted_cpu: float = 0.0  # of which, spent after its test stopped mattering

    def add(self, other: GradeStats) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def skipped(name: str, message: str = NOT_NEEDED) -> TestResult:
    return TestResult(name=name, status=TestStatus.SKIPPED, score=0.0, message=message)


class TestBoard:
    __test__ = False

    def __init__(self, order: Sequence[str], subtasks: Sequence[Subtask], early_stop: bool,
                 clock: Callable[[], float] = time.monotonic, stop_on_failure: bool = False):
        self.order = list(order)
        self.subtasks = list(subtasks)
        self.early_stop = early_stop
        # Codeforces pass/fail: after one test that did not pass, no other test matters.
        self.stop_on_failure = stop_on_failure
        self._failed = False
        self.clock = clock
        self.results: dict[str, TestResult] = {}
        self._pending = deque(order)
        self._outcomes: dict[str, float] = {}  # tests that ran
        self._decided_at: dict[str, float] = {}  # subtask -> when it was decided
        self._in_flight: dict[Hashable, set[str]] = {}  # box -> tests sent to it and not finished
        self._spans: list[RunSpan] = []
        self._cancelled = 0
        self._lock = threading.Lock()

    def needed(self, name: str) -> bool:
        if self.stop_on_failure and self._failed:
            return False
        return not self.early_stop or scoring.needed(name, self.subtasks, set(self._decided_at))

    def _skip(self, name: str) -> None:
        self.results[name] = skipped(name, AFTER_A_FAILURE if self._failed else NOT_NEEDED)

    def take(self, count: int) -> list[str]:
        """Up to `count` pending tests that can still matter, in order (the others are skipped)."""
        taken: list[str] = []
        with self._lock:
            while self._pending and len(taken) < count:
                name = self._pending.popleft()
                if self.needed(name):
                    taken.append(name)
                else:
                    self._skip(name)
        return taken

    def start(self, box: Hashable, names: Iterable[str]) -> list[str]:
        """`box` is about to run `names`: those that still matter (the others are skipped now)."""
        with self._lock:
            running = []
            for name in names:
                if self.needed(name):
                    running.append(name)
                else:
                    self._skip(name)
            self._in_flight[box] = set(running)
            return running

    def leave(self, box: Hashable) -> None:
        """`box` is no longer running anything for this submission (after a result or a failure)."""
        with self._lock:
            self._in_flight.pop(box, None)

    def finish(self, names: Sequence[str], results: Sequence[TestResult], spans: Sequence[RunSpan],
               cancelled: Iterable[str] = ()) -> list[tuple[Hashable, list[str]]]:
        """Record a batch's results. Tests of `names` without a result (the box stopped after a
        failure) go back to the front of the queue; `cancelled` ones are skipped. Returns the
        tests to cancel in other boxes, by box, now that more subtasks may be decided."""
        with self._lock:
            for result in results:
                self.results[result.name] = result
                self._outcomes[result.name] = result.score
                self._failed = self._failed or result.score < 1.0
            for name in cancelled:
                self._skip(name)
                self._cancelled += 1
            self._pending.extendleft(reversed([n for n in names if n not in self.results]))
            self._spans.extend(spans)
            if not self.early_stop and not (self.stop_on_failure and self._failed):
                return []
            if self.early_stop:
                now = self.clock()
                for subtask in scoring.decided_subtasks(self.subtasks, self._outcomes) - set(self._decided_at):
                    self._decided_at[subtask] = now
            doomed = []
            for box, running in self._in_flight.items():
                moot = sorted(n for n in running if n not in self.results and not self.needed(n))
                if moot:
                    doomed.append((box, moot))
            return doomed

    def ordered_results(self) -> dict[str, TestResult]:
        return {name: self.results[name] for name in self.order}

    def stats(self) -> GradeStats:
        """The accounts, once every test has a result. A test's CPU counts as wasted for the
        share of its run after the last of its subtasks was decided (spread evenly over its wall
        time); without early stop nothing is wasted: every test was asked for."""
        stats = GradeStats(tests_cancelled=self._cancelled)
        stats.tests_run = sum(1 for name in self._outcomes)
        stats.tests_skipped = sum(1 for r in self.results.values() if r.status is TestStatus.SKIPPED) - self._cancelled
        for span in self._spans:
            stats.solution_cpu += span.cpu
            containing = [s.name for s in self.subtasks if span.name in s.tests]
            if not self.early_stop or not containing or any(s not in self._decided_at for s in containing):
                continue
            moot = max(self._decided_at[s] for s in containing)
            if span.ended > moot:
                share = 1.0 if span.wall <= 0 else min(1.0, (span.ended - moot) / span.wall)
                stats.wasted_cpu += span.cpu * share
        return stats
