"""The one typed description of a task that every loader produces and the grader consumes.

A `Problem` is data only: limits, subtasks, where each test's input and answer live on disk,
the grader/stub/header sources a submission is compiled with, and the trusted programs
(checker, manager) that judge it. Test data stays on disk (IOI tasks reach hundreds of MB);
source files are carried inline because they are small and must cross process boundaries
(worker -> sandbox) verbatim.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..sandbox.image import wire

# Task types, checker conventions, score types and languages are plugins (folders `tasktypes/`,
# `checkers/`, `scoretypes/`, `languages/`), named here by strings that their registries
# validate. Each field holds its registry's enum member (a str), so `problem.task_type is
# TaskType.BATCH` reads as before and a new plugin file adds a member without an edit here.
_REGISTRIES = {
    "TaskType": ("ioi_grader.tasktypes", "tasktypes"),
    "CheckerKind": ("ioi_grader.checkers", "conventions"),
    "ScoreType": ("ioi_grader.scoretypes", "scoretypes"),
    "Language": ("ioi_grader.languages", "languages"),
}


def registry(enum_name: str):
    import importlib  # noqa: PLC0415 - plugins import this module: resolve them on first use

    module, attribute = _REGISTRIES[enum_name]
    return getattr(importlib.import_module(module), attribute)


def plugin_enum(enum_name: str) -> type[Enum]:
    return registry(enum_name).enum(enum_name)


def __getattr__(name: str):
    if name in _REGISTRIES:
        return plugin_enum(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _named(enum_name: str):
    def check(value: str) -> Enum:
        return registry(enum_name).member(enum_name, value)

    return AfterValidator(check)


TaskTypeName = Annotated[str, _named("TaskType")]
CheckerName = Annotated[str, _named("CheckerKind")]
ScoreTypeName = Annotated[str, _named("ScoreType")]
LanguageName = Annotated[str, _named("Language")]


class SourceFile(BaseModel):
    """A text file shipped with the task (grader, header, stub, checker, manager)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="File name as the compiler must see it, e.g. 'grader.cpp' or 'aplusb.h'.")
    content: str

    @field_validator("name")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if not name or "/" in name or "\\" in name or name in {".", ".."} or "\0" in name:
            raise ValueError(f"source file name must be a plain file name, got {name!r}")
        return name

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.name.encode() + b"\0" + self.content.encode()).hexdigest()


class Checker(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: CheckerName = Field(default="white_diff", validate_default=True,
                              description="The checker convention (see `ioi_grader.checkers`).")
    source: SourceFile | None = Field(
        default=None, description="The checker program's source, for conventions that run one (cms, testlib)."
    )
    support: tuple[SourceFile, ...] = Field(
        default=(), description="Other files next to the checker source that it includes (e.g. a task's testlib.h)."
    )
    # Options of the convention, kept verbatim (Kattis: `float_tolerance 1e-6`, `case_sensitive`...).
    flags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _valid_for_its_convention(self) -> Checker:
        registry("CheckerKind").get(self.kind).validate(self)
        return self


class TestCase(BaseModel):
    model_config = ConfigDict(frozen=True)
    __test__ = False  # not a pytest class

    name: str
    input: Path
    answer: Path | None = Field(default=None, description="Expected output; optional for Communication tasks.")


class Subtask(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    points: float = Field(ge=0)
    tests: tuple[str, ...]
    score_type: ScoreTypeName = Field(default="GroupMin", validate_default=True,
                                      description="How its tests' outcomes become points (see `ioi_grader.scoretypes`).")


class ReferenceSolution(BaseModel):
    """A solution shipped with the task and the score it is expected to get (TPS `solutions/`)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    language: LanguageName
    verdict: str | None = Field(default=None, description="The folder it came from, e.g. 'correct' or 'time_limit'.")
    expected_score: float | None = None


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Short code, unique in a problem store, e.g. 'aplusb'.")
    name: str
    task_type: TaskTypeName = Field(default="Batch", validate_default=True,
                                    description="How a test runs (see `ioi_grader.tasktypes`).")
    task_params: Any = Field(default=None, validate_default=True,
                             description="The task type's parameters, validated by the task type.")
    time_limit: float = Field(gt=0, description="CPU seconds per test.")
    memory_limit: int = Field(gt=0, description="Bytes of peak memory per test (per process).")
    score_precision: int = Field(default=2, ge=0, le=10)
    # Bounds on what an output may hold before it reaches the checker (beyond them: RE). The
    # defaults fit real tasks with room to spare; a task with unusual outputs raises them.
    output_max_line: int = Field(default=wire.DEFAULT_MAX_LINE, ge=1, description="Bytes in one line of an output.")
    output_max_tokens: int = Field(default=wire.DEFAULT_MAX_TOKENS, ge=1,
                                   description="Whitespace-separated tokens in an output.")
    subtasks: tuple[Subtask, ...]
    tests: dict[str, TestCase]
    graders: tuple[SourceFile, ...] = Field(
        default=(), description="Public grader-side files: grader.cpp / stub.cpp and the headers they include."
    )
    checker: Checker = Checker()
    solutions: tuple[ReferenceSolution, ...] = ()
    year: int | None = Field(default=None, description="Contest year, when known (open-r1 rows carry it).")
    origin: str = Field(default="", description="Where the problem was loaded from, for messages.")

    @field_validator("task_params", mode="after")
    @classmethod
    def _params_of_the_task_type(cls, value: Any, info: ValidationInfo) -> Any:
        if "task_type" not in info.data:
            return value  # the task type itself is invalid: that error is reported
        return registry("TaskType").get(info.data["task_type"]).parse_params(value)

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        for subtask in self.subtasks:
            missing = [t for t in subtask.tests if t not in self.tests]
            if missing:
                raise ValueError(f"subtask {subtask.name!r} names unknown tests: {', '.join(missing[:5])}")
        names = [s.name for s in self.subtasks]
        if len(set(names)) != len(names):
            raise ValueError("subtask names must be unique")
        registry("TaskType").get(self.task_type).validate(self)
        return self

    # -- task type parameters, read the way callers did before they were a plugin's -------------

    @property
    def compilation(self) -> str:
        """Batch: "grader" when the contestant file is compiled with graders/grader.cpp."""
        return getattr(self.task_params, "compilation", "alone")

    @property
    def communication(self) -> Any:
        """The task parameters when it has a manager (Communication), else None."""
        return self.task_params if hasattr(self.task_params, "manager") else None

    # -- derived views -------------------------------------------------------------------------

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.subtasks)

    def grader_source(self, name: str) -> SourceFile | None:
        return next((f for f in self.graders if f.name == name), None)

    @property
    def headers(self) -> tuple[SourceFile, ...]:
        """Files a contestant's source may `#include` (never a checker or manager)."""
        return tuple(f for f in self.graders if f.name.endswith((".h", ".hpp")))

    def unique_tests(self, subtasks: list[Subtask] | tuple[Subtask, ...] | None = None) -> list[str]:
        """Test names in first-appearance order across the given subtasks, each once."""
        seen: dict[str, None] = {}
        for subtask in subtasks if subtasks is not None else self.subtasks:
            for test in subtask.tests:
                seen.setdefault(test, None)
        return list(seen)

    def subtask(self, key: str | int) -> Subtask:
        """Look a subtask up by name or by 0-based index (as open-r1 rows and reward calls do)."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and key not in {s.name for s in self.subtasks}):
            index = int(key)
            if not 0 <= index < len(self.subtasks):
                raise KeyError(f"problem {self.id!r} has subtasks 0..{len(self.subtasks) - 1}, not {index}")
            return self.subtasks[index]
        for subtask in self.subtasks:
            if subtask.name == key:
                return subtask
        known = ", ".join(s.name for s in self.subtasks)
        raise KeyError(f"problem {self.id!r} has no subtask {key!r} (known: {known})")

    def fingerprint(self) -> str:
        """Content hash of everything that affects grading except test data (used for caches)."""
        payload = self.model_dump_json(include={"id", "task_type", "task_params", "graders", "checker"})
        return hashlib.sha256(payload.encode()).hexdigest()


class ProblemFormatError(ValueError):
    """A task package is malformed. The message names the file and the field."""

    def __init__(self, path: Path | str, message: str, field: str | None = None):
        self.path = Path(path)
        self.field = field
        where = f"{self.path}" + (f": field {field!r}" if field else "")
        super().__init__(f"{where}: {message}")
