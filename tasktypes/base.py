"""What a task type is to the grader (CMS's Batch, Communication, ...), and its registry.

A task type is one module in this folder (or a third-party entry point in the
`ioi_grader.tasktypes` group) defining one `TaskType` subclass. It validates the task's
parameters (`problem.task_params`), names the task's trusted programs to build once per task
(a manager), says which grader file is linked into each submission, and evaluates tests of a
compiled submission in a box, returning for each either a final result or an output for the
checker to judge. It never scores and never retries: the grader does both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..checkers.base import TaskProgram
from ..grading.outcomes import Executed, Program, TestLimits
from ..plugins import Plugin, Registry

if TYPE_CHECKING:
    from ..languages import Language
    from ..problems.model import Problem, SourceFile, TestCase
    from ..sandbox.base import Sandbox

USER_PIDS = 64  # processes/threads a submission may have at once


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class TestRun:
    """One box with one compiled submission installed, and what evaluating its tests needs."""

    __test__ = False

    sandbox: Sandbox
    problem: Problem
    program: Program
    program_path: str  # the submission, installed in the box
    limits: TestLimits
    work_dir: Path  # where outputs to judge are moved, out of the box
    task_programs: Mapping[str, TaskProgram] = field(default_factory=dict)

    def trusted(self, role: str) -> str:
        """Install the task program `role` (e.g. "manager") in the box; its path there."""
        program = self.task_programs[role]
        return self.sandbox.install(program.path, role, program.key, trusted=True)

    def trusted_argv(self, role: str) -> list[str]:
        """Install the task program `role` in the box; the command that starts it (with its
        interpreter, for a Python program)."""
        return self.task_programs[role].argv(self.trusted(role))


@dataclass(frozen=True)
class SelfTest:
    """A tiny task of this type in TPS layout (`files`: path -> text) and submissions with the
    score each must get (`solutions`: file name -> (language, source, score))."""

    files: Mapping[str, str]
    solutions: Mapping[str, tuple[str, str, float]]


class TaskType(Plugin, ABC):
    Params: ClassVar[type[BaseModel]] = NoParams
    batched: ClassVar[bool] = False  # several tests may go to a box in one round trip
    needs_answers: ClassVar[bool] = True  # every test has an expected output
    self_test: ClassVar[SelfTest]

    def parse_params(self, raw: Any) -> BaseModel:
        if isinstance(raw, self.Params):
            return raw
        return self.Params.model_validate(raw or {})

    @property
    def cms_prefix(self) -> str:
        return f"task_type_parameters_{self.name}_"

    def read_cms_params(self, params: Mapping[str, Any], graders: Path, where: Path) -> BaseModel:
        """The parameters from CMS-style keys (`task_type_parameters_<Name>_<param>`, as in a TPS
        problem.json's task_type_params and open-r1's grader_config.json); a file a parameter
        names is read from `graders`. Errors are ProblemFormatErrors naming `where` and the key."""
        from ..problems.model import ProblemFormatError  # noqa: PLC0415 - the model imports plugins lazily

        raw = {key[len(self.cms_prefix):]: value for key, value in params.items() if key.startswith(self.cms_prefix)}
        try:
            return self.parse_params(raw)
        except ValidationError as error:
            first = error.errors()[0]
            key = self.cms_prefix + ".".join(str(part) for part in first.get("loc", ()))
            raise ProblemFormatError(where, first.get("msg", str(error)), f"task_type_params.{key}") from None

    def cms_params(self, params: BaseModel) -> dict[str, Any]:
        """The inverse of `read_cms_params`: CMS-style keys for `params`."""
        return {self.cms_prefix + key: value for key, value in params.model_dump(mode="json").items()}

    def validate(self, problem: Problem) -> None:
        """Refuse a problem this task type cannot grade (raise ValueError naming what is missing)."""

    def link_unit(self, problem: Problem) -> str | None:
        """The grader-side source compiled into every submission (grader.cpp, stub.cpp), if any."""
        return None

    def trusted_sources(self, problem: Problem) -> dict[str, tuple[SourceFile, ...]]:
        """Task programs to build once per task in the judge box: role -> its C++ sources, the
        first being the main file (e.g. {"manager": (manager.cpp, header...)})."""
        return {}

    def unsupported(self, problem: Problem, language: Language) -> str | None:
        """Why `language` cannot be graded on `problem` (None when it can)."""
        if self.link_unit(problem) and not language.links_task_code:
            return (f"{language.name} submissions are supported only on stdin/stdout tasks; "
                    f"{problem.id} needs a C++ grader")
        return None

    @abstractmethod
    def evaluate(self, run: TestRun, tests: Sequence[TestCase]) -> list[Executed]:
        """Run `tests` in order in one box. May stop early after a failure (when `batched`),
        so the result can be shorter than `tests`; a result per test that ran. Tag each run
        with its test's name (`RunRequest.tag`) and report a run that comes back cancelled as
        `Executed(cancelled=True)`: the grader cancels tests that can no longer matter."""


tasktypes: Registry[TaskType] = Registry("task type", TaskType, "ioi_grader.tasktypes", "ioi_grader.tasktypes")
