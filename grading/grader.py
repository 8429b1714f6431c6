"""Grade a submission: compile once, run each test once across the warm boxes, judge, score.

Data flows one way: (Problem, Submission, GradeOptions) -> compile -> per-test outcomes ->
`scoring` (pure) -> `GradeResult`. Failures of the sandbox itself are retried on another
box and, when they persist, raised as `GradingError`: they never become a verdict.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..checkers import CheckerFailure, Verdict, argument_order, cms_verdict, testlib_verdict, token_diff, white_diff
from ..problems.model import CheckerKind, Problem, Subtask, TaskType, TestCase
from ..sandbox.box import Box, SandboxError
from ..sandbox.pool import SandboxPool
from ..sandbox.protocol import TRUSTED, Collect, Limits, ProcessSpec, RunRequest, StagedFile, Stream, user_slot
from . import scoring
from .languages import Executor, executor_for
from .programs import MESSAGE_LIMIT, TaskProgramCache, TaskProgramError, TaskPrograms
from .results import CompileResult, CompileStatus, GradeResult, TestResult, TestStatus
from .submission import GradeOptions, Submission
from .tasktypes import BatchTask, CommunicationTask, Executed, Program, TestLimits, from_verdict

log = logging.getLogger(__name__)

SANDBOX_ATTEMPTS = 3  # a test whose box dies is retried on a fresh box this many times in all
MAX_BATCH = 8  # tests sent to a box in one round trip, at most
FAST_TEST_SECONDS = 0.05  # a batch keeps growing while its tests take less CPU than this


class GradingError(RuntimeError):
    """The submission could not be graded (sandbox down, broken task): not the submission's
    fault, so it must never be reported as a score. Safe to retry later."""


@dataclass
class GradeHooks:
    """Optional observers (metrics, progress); all called from grading threads."""

    on_compile: Callable[[float], None] | None = None
    on_test: Callable[[TestResult], None] | None = None
    on_state: Callable[[str], None] | None = None  # "compiling", "running"


def bounded(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """At most `limit` characters of a compiler's output, keeping both ends: the first error,
    and the last lines (where an include chain or a crash says what finally went wrong)."""
    if len(message) <= limit:
        return message
    half = limit // 2
    return f"{message[:half]}\n... ({len(message) - 2 * half} characters omitted) ...\n{message[-half:]}"


def unsupported_reason(problem: Problem, language: str) -> str | None:
    """Why this language cannot be graded on this problem (None when it can)."""
    executor = executor_for(language)
    if not executor.needs_link_objects and (problem.compilation == "grader" or problem.task_type is TaskType.COMMUNICATION):
        return f"{language} submissions are supported only on stdin/stdout tasks; {problem.id} needs a C++ grader"
    return None


def select_subtasks(problem: Problem, keys: list[str | int] | None) -> list[Subtask]:
    if not keys:
        return list(problem.subtasks)
    chosen = [problem.subtask(key) for key in keys]
    return [s for s in problem.subtasks if s in chosen]  # keep the task's order, drop duplicates


class Grader:
    def __init__(self, pool: SandboxPool):
        self.pool = pool
        self.programs = TaskProgramCache(pool, pool.settings.cache_dir)
        self.work_root = pool.settings.state_dir / "work"
        self.work_root.mkdir(parents=True, exist_ok=True)
        self._threads = ThreadPoolExecutor(max_workers=pool.size, thread_name_prefix="grade")
        self._batch, self._communication = BatchTask(), CommunicationTask()

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
            time=options.time_limit or problem.time_limit,
            memory=options.memory_limit or problem.memory_limit,
            output=options.output_limit,
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
    def _compilation(self, problem: Problem, submission: Submission, options: GradeOptions, hooks: GradeHooks):
        """The task's programs and the compiled submission, in a work folder removed afterwards."""
        reason = unsupported_reason(problem, submission.language)
        if reason:
            raise ValueError(reason)
        executor = executor_for(submission.language)
        work_dir = self.work_root / uuid.uuid4().hex
        work_dir.mkdir()
        try:
            try:
                programs = self.programs.programs(problem, executor.std or "gnu++17", executor.needs_link_objects)
            except (TaskProgramError, SandboxError) as error:
                raise GradingError(str(error)) from error
            if hooks.on_state:
                hooks.on_state("compiling")
            compiled, program = self._compile(problem, submission, executor, programs, options, work_dir)
            if hooks.on_compile:
                hooks.on_compile(compiled.time)
            yield programs, compiled, program, work_dir
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)

    # -- compilation (once per submission, in a run box, as an unprivileged uid) ----------------

    def _compile(
        self, problem: Problem, submission: Submission, executor: Executor, programs: TaskPrograms,
        options: GradeOptions, work_dir: Path,
    ) -> tuple[CompileResult, Program | None]:
        last_error: Exception | None = None
        for _ in range(SANDBOX_ATTEMPTS):
            try:
                with self.pool.run_box() as box:
                    return self._compile_in(box, problem, submission, executor, programs, options, work_dir)
            except SandboxError as error:
                last_error = error
                log.warning("compilation interrupted by the sandbox, retrying: %s", error)
        raise GradingError(f"compilation failed in the sandbox {SANDBOX_ATTEMPTS} times: {last_error}")

    def _compile_in(
        self, box: Box, problem: Problem, submission: Submission, executor: Executor, programs: TaskPrograms,
        options: GradeOptions, work_dir: Path,
    ) -> tuple[CompileResult, Program | None]:
        token = uuid.uuid4().hex
        files = [StagedFile(name=executor.source_name(problem), content=submission.code)]
        files += [StagedFile(name=h.name, content=h.content) for h in problem.headers]
        link_names = []
        for index, obj in enumerate(programs.link_objects):
            staged = box.host_dir / "xfer" / f"{token}.{index}.o"
            shutil.copyfile(obj, staged)
            name = f"task{index}.o"
            files.append(StagedFile(name=name, src=box.to_container(staged)))
            link_names.append(name)
        log_path = box.host_dir / "out" / f"{token}.compile"
        program_path = box.host_dir / "xfer" / f"{token}.program"
        slot = user_slot(0)
        request = RunRequest(
            files={slot: files},
            processes=[
                ProcessSpec(
                    slot=slot,
                    argv=executor.compile_argv(problem, link_names),
                    stderr=Stream(file=box.to_container(log_path), write=True),
                    limits=Limits(
                        cpu=options.compile_time_limit, wall=2 * options.compile_time_limit + 5,
                        memory=options.compile_memory_limit, pids=64, fsize=256 << 20,
                        cpus=2,  # -pipe runs the compiler and the assembler side by side
                    ),
                )
            ],
            collect=[Collect(slot=slot, name=executor.program_name(problem), dest=box.to_container(program_path))],
        )
        started = time.monotonic()
        try:
            response = box.run(request)
            elapsed = time.monotonic() - started
            result = response.processes[0]
            message = bounded(log_path.read_text(errors="replace") if log_path.exists() else "")
            if result.oom_killed:
                message = (message + "\nCompilation exceeded the memory limit").strip()
            elif result.cpu_exceeded or result.wall_exceeded:
                message = (message + "\nCompilation exceeded the time limit").strip()
            if not result.ok or not program_path.exists():
                return CompileResult(status=CompileStatus.CE, message=message or "Compilation failed", time=elapsed), None
            kept = work_dir / "program"
            os.replace(program_path, kept)
            key = hashlib.sha256(kept.read_bytes()).hexdigest()
            argv_prefix = tuple(executor.run_argv("")[:-1])
            program = Program(path=kept, key=key, name=executor.program_name(problem), argv_prefix=argv_prefix)
            return CompileResult(status=CompileStatus.OK, message=message, time=elapsed), program
        finally:
            log_path.unlink(missing_ok=True)
            program_path.unlink(missing_ok=True)
            for staged in (box.host_dir / "xfer").glob(f"{token}.*"):
                staged.unlink(missing_ok=True)

    # -- tests (each once, in parallel across the run boxes) ------------------------------------

    def _run_tests(
        self, problem: Problem, subtasks: list[Subtask], program: Program, programs: TaskPrograms,
        limits: TestLimits, options: GradeOptions, work_dir: Path, hooks: GradeHooks,
    ) -> dict[str, TestResult]:
        """Each test once, across every run box at the same time. Each box takes tests in
        batches (one round trip to its supervisor per batch) that double while tests are fast
        and clean, and fall back to one at a time as soon as one is slow or fails, so early
        stop and the time limit keep their precision where they matter."""
        order = problem.unique_tests(subtasks)
        pending = deque(order)
        results: dict[str, TestResult] = {}
        zeroed: set[str] = set()
        lock = threading.Lock()
        fast = min(FAST_TEST_SECONDS, limits.time / 20)
        batches = problem.task_type is TaskType.BATCH

        def take(count: int) -> list[str]:
            taken = []
            with lock:
                while pending and len(taken) < count:
                    name = pending.popleft()
                    if options.early_stop and scoring.skippable(name, subtasks, zeroed):
                        results[name] = TestResult(name=name, status=TestStatus.SKIPPED, score=0.0,
                                                   message="Not run: its subtasks already scored 0")
                    else:
                        taken.append(name)
            return taken

        def box_loop() -> None:
            size = 1
            while batch := take(size):
                if batches:
                    done = self._run_batch(problem, batch, program, programs, limits, work_dir)
                else:
                    done = [self._run_test(problem, problem.tests[batch[0]], program, programs, limits, work_dir)]
                with lock:
                    for result in done:
                        results[result.name] = result
                        if result.score == 0.0:
                            zeroed.update(s.name for s in subtasks if result.name in s.tests)
                    pending.extendleft(reversed(batch[len(done):]))  # stopped early: back to the front
                for result in done:
                    if hooks.on_test:
                        hooks.on_test(result)
                clean = len(done) == len(batch) and all(
                    r.status in (TestStatus.AC, TestStatus.PA, TestStatus.WA) and r.time < fast for r in done)
                size = min(size * 2, MAX_BATCH) if clean else 1

        loops = [self._threads.submit(box_loop) for _ in range(min(self.pool.size, len(order)) or 1)]
        for loop in loops:
            loop.result()
        return {name: results[name] for name in order}

    def _run_batch(
        self, problem: Problem, names: list[str], program: Program, programs: TaskPrograms, limits: TestLimits,
        work_dir: Path,
    ) -> list[TestResult]:
        """Batch tests in one round trip; the results of those that ran (a prefix of `names`)."""
        last_error: Exception | None = None
        for _ in range(SANDBOX_ATTEMPTS):
            try:
                with self.pool.run_box() as box:
                    program_path = self._install_program(box, program)
                    executed = self._batch.execute_many(
                        box, program_path, program, [problem.tests[n] for n in names], limits, work_dir)
                results = []
                for name, ran in zip(names, executed):
                    if ran.result is not None:
                        results.append(ran.result)
                        continue
                    try:
                        verdict = self._judge(problem, problem.tests[name], ran.output, programs)
                    finally:
                        ran.output.unlink(missing_ok=True)
                    results.append(from_verdict(name, verdict, ran.time, ran.wall, ran.memory))
                return results
            except SandboxError as error:
                last_error = error
                log.warning("tests %s interrupted by the sandbox, retrying: %s", names[0], error)
            except CheckerFailure as error:
                raise GradingError(f"test {names[0]}: {error}") from error
        raise GradingError(f"tests {', '.join(names[:3])}: the sandbox failed {SANDBOX_ATTEMPTS} times: {last_error}")

    def _run_test(
        self, problem: Problem, test: TestCase, program: Program, programs: TaskPrograms, limits: TestLimits,
        work_dir: Path,
    ) -> TestResult:
        last_error: Exception | None = None
        for _ in range(SANDBOX_ATTEMPTS):
            try:
                with self.pool.run_box() as box:
                    executed = self._execute(box, problem, test, program, programs, limits, work_dir)
                if executed.result is not None:
                    return executed.result
                try:
                    verdict = self._judge(problem, test, executed.output, programs)
                finally:
                    executed.output.unlink(missing_ok=True)
                return from_verdict(test.name, verdict, executed.time, executed.wall, executed.memory)
            except SandboxError as error:
                last_error = error
                log.warning("test %s interrupted by the sandbox, retrying: %s", test.name, error)
            except CheckerFailure as error:
                raise GradingError(f"test {test.name}: {error}") from error
        raise GradingError(f"test {test.name}: the sandbox failed {SANDBOX_ATTEMPTS} times: {last_error}")

    def _execute(
        self, box: Box, problem: Problem, test: TestCase, program: Program, programs: TaskPrograms,
        limits: TestLimits, work_dir: Path,
    ) -> Executed:
        program_path = self._install_program(box, program)
        if problem.task_type is TaskType.COMMUNICATION:
            manager = self._install_trusted(box, programs.manager, "manager", programs.key(programs.manager))
            return self._communication.execute(box, program_path, program, problem, test, limits, work_dir, manager)
        return self._batch.execute_many(box, program_path, program, [test], limits, work_dir)[0]

    @staticmethod
    def _install_program(box: Box, program: Program) -> str:
        program_path = f"/box/{program.name}"
        if box.installed.get(program_path) != program.key:
            # Only one submission's files are ever in a box at a time.
            box.clear_submissions()
            staged = box.host_dir / "xfer" / f"{program.key}.program"
            shutil.copyfile(program.path, staged)
            try:
                box.install(staged, program.name, program.key)
            finally:
                staged.unlink(missing_ok=True)
        return program_path

    @staticmethod
    def _install_trusted(box: Box, path: Path, name: str, key: str) -> str:
        if box.installed.get(f"/trusted/{name}") == key:
            return f"/trusted/{name}"
        staged = box.host_dir / "xfer" / f"{key}.{name}"
        shutil.copyfile(path, staged)
        try:
            return box.install(staged, name, key, trusted=True)
        finally:
            staged.unlink(missing_ok=True)

    # -- judging -------------------------------------------------------------------------------

    def _judge(self, problem: Problem, test: TestCase, output: Path, programs: TaskPrograms) -> Verdict:
        kind = problem.checker.kind
        if test.answer is None:
            raise CheckerFailure(f"test {test.name} has no expected output to compare with")
        if kind is CheckerKind.WHITE_DIFF:
            return white_diff(output.read_bytes(), test.answer.read_bytes())
        if kind is CheckerKind.TOKEN_DIFF:
            return token_diff(output.read_bytes(), test.answer.read_bytes(), problem.checker.flags)
        return self._run_checker(problem, test, output, programs)

    def _run_checker(self, problem: Problem, test: TestCase, output: Path, programs: TaskPrograms) -> Verdict:
        """Run the task's checker in the judge box: the only box that ever sees answers."""
        kind = problem.checker.kind
        with self.pool.judge_box() as judge:
            checker = self._install_trusted(judge, programs.checker, "checker", programs.key(programs.checker))
            token = uuid.uuid4().hex
            contestant = judge.host_dir / "out" / f"{token}.contestant"
            shutil.copyfile(output, contestant)
            os.chmod(contestant, 0o644)
            stdout = judge.host_dir / "out" / f"{token}.stdout"
            stderr = judge.host_dir / "out" / f"{token}.stderr"
            fds = [Stream(file=judge.stage(test.input)), Stream(file=judge.stage(test.answer)),
                   Stream(file=judge.to_container(contestant))]
            argv = [checker, *argument_order(kind, "/proc/self/fd/3", "/proc/self/fd/4", "/proc/self/fd/5")]
            cpu = max(10.0, 2 * problem.time_limit)
            request = RunRequest(processes=[ProcessSpec(
                slot=TRUSTED, argv=argv, fds=fds,
                stdout=Stream(file=judge.to_container(stdout), write=True),
                stderr=Stream(file=judge.to_container(stderr), write=True),
                limits=Limits(cpu=cpu, wall=2 * cpu, memory=max(problem.memory_limit, 1 << 30), pids=8),
            )])
            try:
                result = judge.run(request).processes[0]
                out, err = stdout.read_bytes()[:4096], stderr.read_bytes()[:4096]
            finally:
                for path in (contestant, stdout, stderr):
                    path.unlink(missing_ok=True)
        if result.oom_killed or result.cpu_exceeded or result.wall_exceeded or result.signal is not None:
            raise CheckerFailure(f"the checker crashed or ran out of limits on test {test.name}")
        if kind is CheckerKind.TESTLIB:
            return testlib_verdict(result.exit_code, out, err)
        if result.exit_code != 0:
            raise CheckerFailure(f"the checker exited with code {result.exit_code} on test {test.name}: {err[:300]!r}")
        return cms_verdict(result.exit_code, out, err)
