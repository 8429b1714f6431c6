"""Grade a submission: compile once, run each test once across the warm boxes, judge, score.

Data flows one way: (Problem, Submission, GradeOptions) -> compile -> per-test outcomes ->
`scoring` (pure) -> `GradeResult`. What depends on the task is the plugins' work: the
language compiles, the task type runs tests, the checker convention judges, the score type
scores. This module only orchestrates: the box loop, batching, early stop, and the one retry
rule: a `Transient` failure (a lost box) is retried on a fresh box, up to SANDBOX_ATTEMPTS
times; `TaskBroken` and `Rejected` are raised at once, since another attempt cannot help.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..checkers import JudgeContext, conventions
from ..errors import Rejected, Transient
from ..languages import Language, languages, source_stem
from ..problems.model import Problem, Subtask, TestCase, time_limit_for
from ..sandbox.base import Sandbox
from ..sandbox.image.wire import compile_wall_guard
from ..sandbox.protocol import Collect, Limits, ProcessSpec, RunRequest, StagedFile, Stream, user_slot
from ..tasktypes import TestRun, tasktypes
from . import scoring
from .board import GradeStats, RunSpan, TestBoard
from .outcomes import Program, TestLimits, from_verdict
from .programs import MESSAGE_LIMIT, TaskProgramCache, TaskPrograms
from .results import CompileResult, CompileStatus, GradeResult, TestResult, TestStatus
from .submission import GradeOptions, Submission

log = logging.getLogger(__name__)

SANDBOX_ATTEMPTS = 3  # a test whose box dies is run on a fresh box this many times in all
MAX_BATCH = 8  # tests sent to a box in one round trip, at most
FAST_TEST_SECONDS = 0.05  # a batch keeps growing while its tests take less CPU than this

T = TypeVar("T")

# The name callers used for an infrastructure failure before the error taxonomy.
GradingError = Transient


@dataclass
class GradeHooks:
    """Optional observers (metrics, progress); all called from grading threads."""

    on_compile: Callable[[float], None] | None = None
    on_test: Callable[[TestResult], None] | None = None
    on_state: Callable[[str], None] | None = None  # "compiling", "running"
    on_finish: Callable[[GradeStats], None] | None = None  # once the tests are done: what they cost


def bounded(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """At most `limit` characters of a compiler's output, keeping both ends: the first error,
    and the last lines (where an include chain or a crash says what finally went wrong)."""
    if len(message) <= limit:
        return message
    half = limit // 2
    return f"{message[:half]}\n... ({len(message) - 2 * half} characters omitted) ...\n{message[-half:]}"


def unsupported_reason(problem: Problem, language: str) -> str | None:
    """Why this language cannot be graded on this problem (None when it can)."""
    return tasktypes.get(problem.task_type).unsupported(problem, languages.get(language))


def select_subtasks(problem: Problem, keys: list[str | int] | None) -> list[Subtask]:
    if not keys:
        return list(problem.subtasks)
    chosen = [problem.subtask(key) for key in keys]
    return [s for s in problem.subtasks if s in chosen]  # keep the task's order, drop duplicates


def schedule_tests(problem: Problem, subtasks: list[Subtask], order: str = "size") -> list[str]:
    """The order tests are handed to boxes, each once. "size": smallest input first (ties in
    the task's order), so that a failing submission fails on cheap tests and early stop skips
    the expensive ones; "task": the task's own order (subtask by subtask)."""
    names = problem.unique_tests(subtasks)
    if order == "task":
        return names
    if order != "size":
        raise ValueError(f"unknown test order {order!r}")

    def size(name: str) -> int:
        try:
            return os.stat(problem.tests[name].input).st_size
        except OSError:
            return 0

    return sorted(names, key=size)


class Grader:
    def __init__(self, pool, order: str = "size"):
        self.pool = pool
        self.order = order  # see `schedule_tests`
        self.programs = TaskProgramCache(pool, pool.settings.cache_dir)
        self.work_root = pool.settings.state_dir / "work"
        self.work_root.mkdir(parents=True, exist_ok=True)
        self._threads = ThreadPoolExecutor(max_workers=pool.size, thread_name_prefix="grade")

    def close(self) -> None:
        self._threads.shutdown(wait=True)

    # -- the whole submission ------------------------------------------------------------------

    def grade(
        self, problem: Problem, submission: Submission, options: GradeOptions | None = None,
        hooks: GradeHooks | None = None,
    ) -> GradeResult:
        options = options or GradeOptions()
        hooks = hooks or GradeHooks()
        subtasks = select_subtasks(problem, options.subtasks)
        limits = TestLimits(
            time=time_limit_for(options.time_limit or problem.time_limit, submission.language,
                                options.time_multipliers, problem.time_multipliers),
            memory=options.memory_limit or problem.memory_limit,
            output=options.output_limit,
            max_line=problem.output_max_line,
            max_tokens=problem.output_max_tokens,
        )
        with self._compilation(problem, submission, options, hooks) as (programs, compiled, program, work_dir):
            if program is None:
                results = {
                    name: TestResult(name=name, status=TestStatus.CE, score=0.0, message="Compilation failed")
                    for name in problem.unique_tests(subtasks)
                }
            else:
                if hooks.on_state:
                    hooks.on_state("running")
                results = self._run_tests(problem, subtasks, program, programs, limits, options, work_dir, hooks)
        scored = scoring.score_subtasks(subtasks, results, problem.score_precision)
        return GradeResult(
            problem_id=problem.id,
            language=submission.language,
            score=scoring.total_score(scored, problem.score_precision),
            max_score=sum(s.points for s in subtasks),
            compile=compiled,
            subtasks=scored,
        )

    def compile(self, problem: Problem, submission: Submission, options: GradeOptions | None = None) -> CompileResult:
        """Compile only (a syntax/link check): the result, without running any test."""
        with self._compilation(problem, submission, options or GradeOptions(), GradeHooks()) as (_, compiled, _, _):
            return compiled

    @contextmanager
    def _compilation(
        self, problem: Problem, submission: Submission, options: GradeOptions, hooks: GradeHooks,
    ) -> Iterator[tuple[TaskPrograms, CompileResult, Program | None, Path]]:
        """The task's programs and the compiled submission, in a work folder removed afterwards."""
        language = languages.get(submission.language)
        reason = tasktypes.get(problem.task_type).unsupported(problem, language)
        if reason:
            raise Rejected(reason)
        work_dir = self.work_root / uuid.uuid4().hex
        work_dir.mkdir()
        try:
            programs = self.programs.programs(problem, language)
            if hooks.on_state:
                hooks.on_state("compiling")
            compiled, program = self._retrying(
                "compilation", lambda: self._compile(problem, submission, language, programs, options, work_dir))
            if hooks.on_compile:
                hooks.on_compile(compiled.time)
            yield programs, compiled, program, work_dir
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)

    def _retrying(self, what: str, attempt: Callable[[], T]) -> T:
        """The one retry rule: a Transient failure (a box lost mid-run) is tried again, on a fresh
        box, up to SANDBOX_ATTEMPTS times in all; anything else is raised at once."""
        last_error: Transient | None = None
        for _ in range(SANDBOX_ATTEMPTS):
            try:
                return attempt()
            except Transient as error:
                last_error = error
                log.warning("%s interrupted by the sandbox, retrying: %s", what, error)
        raise Transient(f"{what}: the sandbox failed {SANDBOX_ATTEMPTS} times: {last_error}")

    # -- compilation (once per submission, in a run box, as an unprivileged uid) ----------------

    def _compile(
        self, problem: Problem, submission: Submission, language: Language, programs: TaskPrograms,
        options: GradeOptions, work_dir: Path,
    ) -> tuple[CompileResult, Program | None]:
        stem = source_stem(problem.id)
        with self.pool.run_box() as box:
            files = [StagedFile(name=language.source_name(stem), content=submission.code)]
            files += [StagedFile(name=h.name, content=h.content) for h in problem.headers]
            link_names = []
            for index, obj in enumerate(programs.link_objects):
                link_names.append(f"task{index}.o")
                files.append(StagedFile(name=link_names[-1], src=box.put(obj)))
            program_file = box.output()
            slot = user_slot(0)
            request = RunRequest(
                files={slot: files},
                processes=[ProcessSpec(
                    slot=slot, argv=language.compile_argv(stem, link_names, problem.compile_defines),
                    stderr=Stream(capture=True),  # the compiler's messages, in memory
                    guard_opens=True,  # the source names files the compiler opens: #include, .incbin
                    limits=Limits(
                        cpu=options.compile_time_limit, wall=compile_wall_guard(options.compile_time_limit),
                        memory=options.compile_memory_limit, pids=64, fsize=256 << 20, cpus=language.compile_cpus,
                    ),
                )],
                collect=[Collect(slot=slot, name=language.program_name(stem), dest=program_file.inside)],
            )
            started = time.monotonic()
            log_file = None
            try:
                response = box.run(request)
                elapsed = time.monotonic() - started
                result, log_file = response.processes[0], response.capture(0, "stderr")
                message = bounded(log_file.read_bytes().decode(errors="replace"))
                if result.oom_killed:
                    message = (message + "\nCompilation exceeded the memory limit").strip()
                elif result.cpu_exceeded or result.wall_exceeded:
                    message = (message + "\nCompilation exceeded the time limit").strip()
                if not result.ok or not program_file.exists():
                    return CompileResult(status=CompileStatus.CE, message=message or "Compilation failed",
                                         time=elapsed), None
                kept = program_file.take(work_dir / "program")
            finally:
                if log_file is not None:
                    log_file.unlink()
                program_file.unlink()
        key = hashlib.sha256(kept.read_bytes()).hexdigest()
        program = Program(path=kept, key=key, name=language.program_name(stem),
                          argv_prefix=tuple(language.run_argv("")[:-1]))
        return CompileResult(status=CompileStatus.OK, message=message, time=elapsed), program

    # -- tests (each once, in parallel across the run boxes) ------------------------------------

    def _run_tests(
        self, problem: Problem, subtasks: list[Subtask], program: Program, programs: TaskPrograms,
        limits: TestLimits, options: GradeOptions, work_dir: Path, hooks: GradeHooks,
    ) -> dict[str, TestResult]:
        """Each test once, across every run box at the same time. Each box takes tests in
        batches (one round trip to its supervisor per batch) that double while tests are fast
        and clean, and fall back to one at a time as soon as one is slow or fails, so early
        stop and the time limit keep their precision where they matter. With early stop, a
        test that can no longer change a score is not started, and is cancelled in the box
        that has it queued or running (see `TestBoard`)."""
        board = TestBoard(schedule_tests(problem, subtasks, self.order), subtasks, options.early_stop,
                          stop_on_failure=options.stop_on_first_failure)
        fast = min(FAST_TEST_SECONDS, limits.time / 20)
        batched = tasktypes.get(problem.task_type).batched

        def box_loop() -> None:
            size = 1
            while batch := board.take(size):
                done = self._retrying(
                    f"tests {', '.join(batch[:3])}",
                    lambda: self._run_batch(problem, batch, program, programs, limits, work_dir, board))
                for result in done:
                    if hooks.on_test:
                        hooks.on_test(result)
                clean = len(done) == len(batch) and all(
                    r.status in (TestStatus.AC, TestStatus.PA, TestStatus.WA) and r.time < fast for r in done)
                size = min(size * 2, MAX_BATCH) if clean and batched else 1

        loops = [self._threads.submit(box_loop) for _ in range(min(self.pool.size, len(board.order)) or 1)]
        for loop in loops:
            loop.result()
        if hooks.on_finish:
            hooks.on_finish(board.stats())
        return board.ordered_results()

    def _run_batch(
        self, problem: Problem, names: list[str], program: Program, programs: TaskPrograms, limits: TestLimits,
        work_dir: Path, board: TestBoard,
    ) -> list[TestResult]:
        """Tests in one box, then their outputs judged: the results of those that ran (the task
        type may stop after a failure: the others go back to the board)."""
        with self.pool.run_box() as box:
            try:
                names = board.start(box, names)
                if not names:
                    return []
                tests = [problem.tests[name] for name in names]
                run = TestRun(sandbox=box, problem=problem, program=program,
                              program_path=self._install(box, program), limits=limits, work_dir=work_dir,
                              task_programs=programs.trusted)
                executed = tasktypes.get(problem.task_type).evaluate(run, tests)
                returned = time.monotonic()
            finally:
                board.leave(box)
        # The runs of a batch are sequential: each ended when the runs after it started.
        spans, ended = [], returned
        for test, ran in reversed(list(zip(tests, executed))):
            spans.append(RunSpan(test.name, ran.time if ran.result is None else ran.result.time,
                                 ran.wall if ran.result is None else ran.result.wall, ended))
            ended -= spans[-1].wall
        results = self._judge_all(problem, [(t, r) for t, r in zip(tests, executed) if not r.cancelled], programs)
        cancelled = [test.name for test, ran in zip(tests, executed) if ran.cancelled]
        for target, moot in board.finish(names, results, spans, cancelled):
            target.cancel(moot)
        return results

    def _judge_all(self, problem: Problem, ran: list[tuple], programs: TaskPrograms) -> list[TestResult]:
        """The results of a batch's tests: the task type's own, or the checker's verdicts on
        their outputs, judged together (one round trip to the judge box for a checker program)."""
        to_judge = [(test, executed) for test, executed in ran if executed.result is None]
        verdicts = {}
        if to_judge:
            context = JudgeContext(problem=problem, checker=programs.checker, judge_box=self.pool.judge_box)
            try:
                judged = conventions.get(problem.checker.kind).judge_many(
                    context, [(test, executed.output) for test, executed in to_judge])
            finally:
                for _, executed in to_judge:
                    executed.output.unlink(missing_ok=True)
            verdicts = {test.name: verdict for (test, _), verdict in zip(to_judge, judged)}
        return [executed.result if executed.result is not None
                else from_verdict(test.name, verdicts[test.name], executed.time, executed.wall, executed.memory)
                for test, executed in ran]

    @staticmethod
    def _install(box: Sandbox, program: Program) -> str:
        return box.install(program.path, program.name, program.key)
