"""What a checker convention is, and the registry that finds each one by name.

A convention is how a test's output is judged. Some are comparisons the worker makes itself
(`Comparison`: white-diff, token-diff); the others run the task's checker program in the judge
box, the only box that ever sees expected outputs (`ProgramChecker`: CMS, testlib), and say
how it is invoked and how its result is read. Each is one module in this folder, found by its
name (`problem.checker.kind`), with examples the test suite checks it against. A convention is
reused wherever a trusted program reports a verdict: a Communication task's manager reports
the CMS way.
"""

from __future__ import annotations

import math
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field

from ..errors import TaskBroken
from ..plugins import Plugin, Registry

if TYPE_CHECKING:
    from ..problems.model import Checker, Problem, TestCase
    from ..sandbox.base import Sandbox


class CheckerFailure(TaskBroken):
    """The checker itself misbehaved (crashed, printed no outcome) on the reference answer too:
    a task error, not a verdict."""


class Verdict(BaseModel):
    outcome: float = Field(ge=0, le=1)
    message: str = ""
    # A status more precise than the outcome's (AC/PA/WA), when the checker says so: "PE" for a
    # testlib presentation error. It never changes the outcome.
    status: Literal["PE"] | None = None


# CMS's stock texts for the `translate:` messages of IOI checkers.
TRANSLATIONS = {
    "translate:success": "Output is correct",
    "translate:partial": "Output is partially correct",
    "translate:wrong": "Output isn't correct",
}


def translate(message: str) -> str:
    return TRANSLATIONS.get(message.strip(), message.strip())


def clamp_outcome(value: float) -> float:
    """Checker outcomes outside [0, 1] are clamped (the anchor passes them through)."""
    if math.isnan(value):
        raise CheckerFailure("checker printed NaN as the outcome")
    return min(1.0, max(0.0, value))


def first_line(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").split("\n", 1)[0].strip()


@dataclass(frozen=True)
class Example:
    """A convention's self-test: judging `output` against `answer` must give `outcome`."""

    output: bytes
    answer: bytes
    outcome: float
    flags: tuple[str, ...] = ()
    input: bytes = b""


@dataclass(frozen=True)
class TaskProgram:
    """A trusted program of the task (checker, manager), built once per task on the worker."""

    path: Path
    key: str  # content hash: a box that has it installed already skips the copy
    argv_prefix: tuple[str, ...] = ()  # what starts it, before its installed path (an interpreter)

    def argv(self, installed_path: str) -> list[str]:
        return [*self.argv_prefix, installed_path]


@dataclass
class JudgeContext:
    """What judging one test may use: the task, its compiled checker, and the judge box."""

    problem: Problem
    checker: TaskProgram | None
    judge_box: Callable[[], AbstractContextManager[Sandbox]]


class CheckerConvention(Plugin, ABC):
    needs_program: ClassVar[bool] = False
    examples: ClassVar[tuple[Example, ...]] = ()

    def validate(self, checker: Checker) -> None:
        """Refuse a problem's checker declaration this convention cannot run."""
        if self.needs_program and checker.source is None:
            raise ValueError(f"a {self.name} checker needs its source file")
        if not self.needs_program and checker.source is not None:
            raise ValueError(f"the built-in {self.name} checker takes no source file")

    @abstractmethod
    def judge(self, context: JudgeContext, test: TestCase, output: Path) -> Verdict:
        """The verdict on the contestant's `output` (a file on the worker) for `test`."""

    def judge_many(self, context: JudgeContext, items: Sequence[tuple[TestCase, Path]]) -> list[Verdict]:
        """The verdicts on several outputs (tests run in one batch), in order. A convention that
        runs a program judges them all in one round trip to the judge box."""
        return [self.judge(context, test, output) for test, output in items]


class Comparison(CheckerConvention):
    """A comparison of the output with the expected answer, made by the worker itself."""

    @abstractmethod
    def compare(self, output: bytes, answer: bytes, flags: tuple[str, ...] = ()) -> Verdict:
        ...

    def judge(self, context: JudgeContext, test: TestCase, output: Path) -> Verdict:
        if test.answer is None:
            raise CheckerFailure(f"test {test.name} has no expected output to compare with")
        return self.compare(output.read_bytes(), test.answer.read_bytes(), context.problem.checker.flags)


class ProgramChecker(CheckerConvention):
    """The task's checker program, run in the judge box under its own uid and limits."""

    needs_program = True
    source_examples: ClassVar[str] = ""  # a checker in this convention, for the self-test
    source_name: ClassVar[str] = "checker.cpp"  # its source file in a task folder (the suffix is its language)
    # Where the checker finds its three files. None: they are open files, named by the argv
    # (`/proc/self/fd/N`). A checker that opens fixed names in its working folder (open-r1's
    # `python checker.py input.txt correct_output.txt solution_output.txt`) names them here
    # (input, answer, output); they are copied there under those names for each run.
    file_names: ClassVar[tuple[str, str, str] | None] = None

    @abstractmethod
    def argv(self, input_path: str, answer_path: str, output_path: str) -> list[str]:
        """The checker's arguments (after the program itself)."""

    @abstractmethod
    def parse(self, exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
        """The verdict from the checker's exit code and first lines; CheckerFailure if it has none."""

    def judge(self, context: JudgeContext, test: TestCase, output: Path) -> Verdict:
        return self.judge_many(context, [(test, output)])[0]

    def judge_many(self, context: JudgeContext, items: Sequence[tuple[TestCase, Path]]) -> list[Verdict]:
        for test, _ in items:
            if test.answer is None:
                raise CheckerFailure(f"test {test.name} has no expected output to compare with")
        verdicts = self._run_many(context, list(items))
        failed = [index for index, verdict in enumerate(verdicts) if isinstance(verdict, CheckerFailure)]
        if failed:
            # Whatever the contestant's output does to the checker (exhaust its memory or time,
            # make it crash, feed it garbage to choke on) is the contestant's doing. The checker
            # is broken only if it also fails on the reference answer or on an empty output,
            # which any working checker judges: then it is a task error, else the output gets 0.
            with tempfile.NamedTemporaryFile(prefix="ioi-grader-empty-") as empty:
                probes = [(items[i][0], items[i][0].answer) for i in failed]
                probes += [(items[i][0], Path(empty.name)) for i in failed]
                judged = self._run_many(context, probes)
            for position, index in enumerate(failed):
                for probe, what in ((judged[position], "the reference answer"),
                                    (judged[len(failed) + position], "an empty output")):
                    if isinstance(probe, CheckerFailure):
                        raise CheckerFailure(f"{probe} (it fails on {what} too)") from None
                verdicts[index] = Verdict(
                    outcome=0.0, message=f"Output isn't correct: the checker could not judge it ({verdicts[index]})")
        return verdicts

    def _run_many(self, context: JudgeContext, items: list[tuple[TestCase, Path]]) -> list[Verdict | CheckerFailure]:
        """Run the checker on each (test, output) in one round trip; a verdict, or the failure."""
        from ..sandbox.protocol import TRUSTED, Limits, ProcessSpec, RunRequest, StagedFile, Stream  # noqa: PLC0415

        problem = context.problem
        if context.checker is None:
            raise CheckerFailure(f"the {self.name} checker of {problem.id} was not built")
        cpu = max(10.0, 2 * problem.time_limit)
        limits = Limits(cpu=cpu, wall=2 * cpu, memory=max(problem.memory_limit, 1 << 30), pids=8)
        with context.judge_box() as judge:
            program = context.checker.argv(
                judge.install(context.checker.path, "checker", context.checker.key, trusted=True))
            contestants = [judge.put(output, cache=False) for _, output in items]
            runs = []
            # Its verdict (stdout) and message (stderr) come back in memory.
            streams = dict(stdout=Stream(capture=True), stderr=Stream(capture=True))
            for (test, _), contestant in zip(items, contestants):
                paths = (judge.put(test.input), judge.put(test.answer), contestant)
                if self.file_names is None:
                    request = RunRequest(processes=[ProcessSpec(
                        slot=TRUSTED, argv=[*program, *self.argv("/proc/self/fd/3", "/proc/self/fd/4", "/proc/self/fd/5")],
                        fds=[Stream(file=path) for path in paths], limits=limits, **streams)])
                else:
                    request = RunRequest(
                        files={TRUSTED: [StagedFile(name=name, src=path) for name, path in zip(self.file_names, paths)]},
                        processes=[ProcessSpec(slot=TRUSTED, argv=[*program, *self.argv(*self.file_names)],
                                               limits=limits, **streams)])
                runs.append(request.model_dump(exclude_none=True))
            try:
                response = judge.run_many(runs, stop_on_failure=False)
            finally:
                for contestant in contestants:
                    judge.discard(contestant)
        outputs = [tuple(_read_and_free(ran.capture(0, stream)) for stream in ("stdout", "stderr"))
                   for ran in response.results]
        verdicts: list[Verdict | CheckerFailure] = []
        for (test, _), ran, (out, err) in zip(items, response.results, outputs):
            result = ran.processes[0]
            try:
                if result.oom_killed:
                    raise CheckerFailure(f"the checker ran out of memory on test {test.name}")
                if result.cpu_exceeded or result.wall_exceeded:
                    raise CheckerFailure(f"the checker ran out of time on test {test.name}")
                if result.signal is not None:
                    raise CheckerFailure(f"the checker crashed (signal {result.signal}) on test {test.name}")
                if result.exec_error:
                    raise CheckerFailure(f"the checker could not start on test {test.name}: {result.exec_error}")
                verdicts.append(self.parse(result.exit_code, out, err))
            except CheckerFailure as failure:
                verdicts.append(failure)
        return verdicts


def _read_and_free(captured, limit: int = 4096) -> bytes:
    """The first `limit` bytes of a captured stream, which is then freed (b"" if none)."""
    if captured is None:
        return b""
    try:
        return captured.read_bytes(limit)
    finally:
        captured.unlink()


conventions: Registry[CheckerConvention] = Registry(
    "checker convention", CheckerConvention, "ioi_grader.checkers", "ioi_grader.checkers")


def argument_order(kind: str, input_path: str, answer_path: str, output_path: str) -> list[str]:
    """How a checker program of convention `kind` is invoked."""
    convention = conventions.get(kind)
    if not isinstance(convention, ProgramChecker):
        raise ValueError(f"{convention.name} is not an external checker")
    return convention.argv(input_path, answer_path, output_path)
