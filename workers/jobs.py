"""The RQ job functions. They run inside a `GradingWorker`, which owns the warm sandboxes.

A job carries only a submission id; the record in Redis is the payload and the place the
outcome goes. What happens on a failure follows the error taxonomy (`ioi_grader.errors`):
`Rejected` (the submission's fault) and `TaskBroken` (the task's) fail the record at once, with
the reason; `Transient` failures raise, so RQ retries the job (bounded), as it does for anything
unexpected.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from ..errors import Rejected, TaskBroken
from ..grading.board import GradeStats
from ..grading.grader import GradeHooks
from ..grading.results import TestResult
from ..problems.store import UnknownProblem
from .records import State
from .runtime import current_runtime
from .store import SubmissionStore, connect

log = logging.getLogger(__name__)


def grade_submission(submission_id: str) -> None:
    runtime = current_runtime()
    store = runtime.submissions
    record = store.get(submission_id)
    if record is None:
        log.warning("submission %s expired before it was graded", submission_id)
        return
    if record.state.final:
        return  # an earlier attempt finished it and died before telling RQ
    record = store.set_state(record, State.COMPILING, attempts=record.attempts + 1, worker=runtime.name)
    if record.state.final:
        return  # another execution of this job finished it meanwhile: its result stands
    try:
        problem = runtime.problem_for(record)
    except UnknownProblem as error:
        store.set_state(record, State.FAILED, error=str(error))
        runtime.metrics.count("ioi_grader_submissions_total", state="failed")
        return

    def on_state(state: str) -> None:
        nonlocal record
        if state == "running":
            record = store.set_state(record, State.RUNNING)

    def on_finish(stats: GradeStats) -> None:
        runtime.metrics.count("ioi_grader_solution_cpu_seconds_total", stats.solution_cpu)
        runtime.metrics.count("ioi_grader_wasted_cpu_seconds_total", stats.wasted_cpu)
        runtime.metrics.count("ioi_grader_tests_cancelled_total", stats.tests_cancelled)

    tests = TestTally(runtime.metrics)
    hooks = GradeHooks(
        on_compile=lambda seconds: runtime.metrics.observe("ioi_grader_compile_seconds", seconds),
        on_test=tests.add,
        on_state=on_state,
        on_finish=on_finish,
    )
    recycled_before = runtime.pool.recycled
    try:
        try:
            result = runtime.grader.grade(problem, record.submission, record.options, hooks)
        finally:
            tests.flush()
    except Rejected as error:  # the submission cannot be graded on this problem at all
        store.set_state(record, State.FAILED, error=str(error))
        runtime.metrics.count("ioi_grader_submissions_total", state="failed")
        return
    except TaskBroken as error:  # running it again cannot help: fail once, and tell the operator
        log.error("problem %s is broken: %s", record.problem_id, error)
        store.set_state(record, State.FAILED, error=f"the task {record.problem_id!r} is broken: {error}")
        runtime.metrics.count("ioi_grader_submissions_total", state="failed")
        runtime.metrics.count("ioi_grader_task_errors_total", problem=record.problem_id)
        return
    # Transient failures and bugs raise: RQ retries (bounded); `report_failure` records the
    # reason once retries are spent.
    finally:
        runtime.metrics.count("ioi_grader_sandbox_recycles_total", runtime.pool.recycled - recycled_before)
    store.set_state(record, State.DONE, result=result, error=None)
    runtime.metrics.count("ioi_grader_submissions_total", state="done")


class TestTally:
    """Per-test metrics, counted in memory and written to Redis in one pipeline per submission
    (two Redis round trips per test cost more than a one-millisecond test itself)."""

    def __init__(self, metrics) -> None:
        self.metrics = metrics
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.walls: list[float] = []

    def add(self, result: TestResult) -> None:
        with self.lock:
            self.statuses[result.status.value] += 1
            self.walls.append(result.wall)

    def flush(self) -> None:
        with self.lock:
            statuses, walls = self.statuses, self.walls
            self.statuses, self.walls = Counter(), []
        for status, count in statuses.items():
            self.metrics.count("ioi_grader_tests_total", count, status=status)
        self.metrics.observe_many("ioi_grader_test_seconds", walls)


def report_failure(job, connection, exc_type=None, exc_value=None, traceback=None) -> None:
    """RQ failure callback, also run for jobs abandoned by a dead worker. Marks the record
    failed only when RQ will not retry the job again."""
    if job.retries_left:
        return
    submission_id = job.args[0] if job.args else None
    if not submission_id:
        return
    store = SubmissionStore(connection)
    record = store.get(submission_id)
    if record is None or record.state.final:
        return
    reason = str(exc_value) if exc_value is not None and str(exc_value) else (exc_type.__name__ if exc_type else "")
    if not reason or "Abandoned" in reason:
        reason = "the worker grading it died"
    store.set_state(record, State.FAILED, error=f"grading failed after {record.attempts} attempts: {reason}")
    try:
        from .metrics import Metrics

        Metrics(connection).count("ioi_grader_submissions_total", state="failed")
    except Exception:  # noqa: BLE001 - metrics must never mask the failure itself
        log.exception("could not count a failure")


__all__ = ["connect", "grade_submission", "report_failure"]
