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
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

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

    def judge_many(self, context: JudgeContext, items: list[tuple[TestCase, Path]]) -> list[Verdict]:
        """The verdicts on several outputs at once (a batch of tests that ran together)."""
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

    @abstractmethod
    def argv(self, input_path: str, answer_path: str, output_path: str) -> list[str]:
        """The checker's arguments (after the program itself)."""

    @abstractmethod
    def parse(self, exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
        """The verdict from the checker's exit code and first lines; CheckerFailure if it has none."""

    def judge(self, context: JudgeContext, test: TestCase, output: Path) -> Verdict:
        if test.answer is None:
            raise CheckerFailure(f"test {test.name} has no expected output to compare with")
        try:
            return self._run(context, test, output)
        except CheckerFailure as failure:
            # Whatever the contestant's output does to the checker (exhaust its memory or time,
            # make it crash, feed it garbage to choke on) is the contestant's doing. The checker
            # is broken only if it also fails on the reference answer or on an empty output,
            # which any working checker judges: then it is a task error, else the output gets 0.
            with tempfile.NamedTemporaryFile(prefix="ioi-grader-empty-") as empty:
                for probe, what in ((test.answer, "the reference answer"), (Path(empty.name), "an empty output")):
                    try:
                        self._run(context, test, probe)
                    except CheckerFailure as broken:
                        raise CheckerFailure(f"{broken} (it fails on {what} too)") from None
            return Verdict(outcome=0.0, message=f"Output isn't correct: the checker could not judge it ({failure})")

    def judge_many(self, context: JudgeContext, items: list[tuple[TestCase, Path]]) -> list[Verdict]:
        """One round trip to the judge box for the whole batch; an output the checker fails on
        is then judged alone, with the reference-answer and empty-output checks of `judge`."""
        if len(items) < 2 or any(test.answer is None for test, _ in items):
            return super().judge_many(context, items)
        outcomes = self._run_many(context, items)
        return [outcome if isinstance(outcome, Verdict) else self.judge(context, test, output)
                for outcome, (test, output) in zip(outcomes, items)]

    def _run(self, context: JudgeContext, test: TestCase, output: Path) -> Verdict:
        outcome = self._run_many(context, [(test, output)])[0]
        if isinstance(outcome, CheckerFailure):
            raise outcome
        return outcome

    def _run_many(self, context: JudgeContext, items: list[tuple[TestCase, Path]]) -> list[Verdict | CheckerFailure]:
        """Run the checker on each (test, output) in one request to the judge box: a verdict, or
        the CheckerFailure that test's run ended in."""
        from ..sandbox.protocol import TRUSTED, Limits, ProcessSpec, Stream  # noqa: PLC0415

        problem = context.problem
        if context.checker is None:
            raise CheckerFailure(f"the {self.name} checker of {problem.id} was not built")
        outcomes: list[Verdict | CheckerFailure] = []
        with context.judge_box() as judge:
            program = judge.install(context.checker.path, "checker", context.checker.key, trusted=True)
            cpu = max(10.0, 2 * problem.time_limit)
            limits = Limits(cpu=cpu, wall=2 * cpu, memory=max(problem.memory_limit, 1 << 30), pids=8)
            runs, files, contestants = [], [], []
            for test, output in items:
                contestant = judge.put(output, cache=False)
                contestants.append(contestant)
                stdout, stderr = judge.output(), judge.output()
                files.append((stdout, stderr))
                runs.append({"processes": [ProcessSpec(
                    slot=TRUSTED,
                    argv=[program, *self.argv("/proc/self/fd/3", "/proc/self/fd/4", "/proc/self/fd/5")],
                    fds=[Stream(file=judge.put(test.input)), Stream(file=judge.put(test.answer)),
                         Stream(file=contestant)],
                    stdout=Stream(file=stdout.inside, write=True), stderr=Stream(file=stderr.inside, write=True),
                    limits=limits,
                ).model_dump(exclude_none=True)]})
            try:
                response = judge.run_many(runs, stop_on_failure=False)
                for (test, _), (stdout, stderr), ran in zip(items, files, response.results):
                    result = ran.processes[0]
                    if result.oom_killed:
                        outcomes.append(CheckerFailure(f"the checker ran out of memory on test {test.name}"))
                        continue
                    if result.cpu_exceeded or result.wall_exceeded:
                        outcomes.append(CheckerFailure(f"the checker ran out of time on test {test.name}"))
                        continue
                    if result.signal is not None:
                        outcomes.append(CheckerFailure(
                            f"the checker crashed (signal {result.signal}) on test {test.name}"))
                        continue
                    try:
                        outcomes.append(self.parse(result.exit_code, stdout.read_bytes(4096), stderr.read_bytes(4096)))
                    except CheckerFailure as failure:
                        outcomes.append(failure)
            finally:
                for stdout, stderr in files:
                    stdout.unlink()
                    stderr.unlink()
                for contestant in contestants:
                    judge.discard(contestant)
        return outcomes


conventions: Registry[CheckerConvention] = Registry(
    "checker convention", CheckerConvention, "ioi_grader.checkers", "ioi_grader.checkers")


def argument_order(kind: str, input_path: str, answer_path: str, output_path: str) -> list[str]:
    """How a checker program of convention `kind` is invoked."""
    convention = conventions.get(kind)
    if not isinstance(convention, ProgramChecker):
        raise ValueError(f"{convention.name} is not an external checker")
    return convention.argv(input_path, answer_path, output_path)
