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
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class TaskType(str, Enum):
    BATCH = "Batch"
    COMMUNICATION = "Communication"


class Language(str, Enum):
    CPP = "cpp"
    PYTHON = "python"


class CheckerKind(str, Enum):
    """How a test's output is judged (see `ioi_grader.checkers`)."""

    WHITE_DIFF = "white_diff"  # CMS default: per line, whitespace runs collapsed, ends stripped.
    TOKEN_DIFF = "token_diff"  # Kattis default validator: whitespace-separated tokens, line breaks ignored.
    CMS = "cms"  # `checker input answer output`; stdout line 1 = outcome, stderr line 1 = message.
    TESTLIB = "testlib"  # `checker input output answer`; exit code 0 OK, 1 WA, 2 PE, 3 fail, 7 partial.


class ScoreType(str, Enum):
    """How a subtask turns its tests' outcomes into points (CMS score types)."""

    GROUP_MIN = "GroupMin"  # points x min(outcomes): the IOI rule.
    SUM = "Sum"  # points x mean(outcomes): each test worth an equal share.


class UserIO(str, Enum):
    STD_IO = "std_io"  # user process stdin/stdout are the channels to the manager
    FIFO_IO = "fifo_io"  # user process gets the two channel paths as arguments


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

    kind: CheckerKind = CheckerKind.WHITE_DIFF
    source: SourceFile | None = Field(
        default=None, description="C++ source for `cms` and `testlib` checkers; none for the built-in diffs."
    )
    support: tuple[SourceFile, ...] = Field(
        default=(), description="Other files next to the checker source that it includes (e.g. a task's testlib.h)."
    )
    # Kattis default validator options (`float_tolerance 1e-6`, `case_sensitive`...), kept verbatim.
    flags: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _source_matches_kind(self) -> Checker:
        needs_source = self.kind in (CheckerKind.CMS, CheckerKind.TESTLIB)
        if needs_source and self.source is None:
            raise ValueError(f"a {self.kind.value} checker needs its source file")
        if not needs_source and self.source is not None:
            raise ValueError(f"the built-in {self.kind.value} checker takes no source file")
        return self


class Communication(BaseModel):
    """CMS Communication task parameters (BRIEF §2)."""

    model_config = ConfigDict(frozen=True)

    num_processes: int = Field(default=1, ge=1, le=8)
    user_io: UserIO = UserIO.STD_IO
    manager: SourceFile
    manager_args: tuple[str, ...] = ()


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
    score_type: ScoreType = ScoreType.GROUP_MIN


class ReferenceSolution(BaseModel):
    """A solution shipped with the task and the score it is expected to get (TPS `solutions/`)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    language: Language
    verdict: str | None = Field(default=None, description="The folder it came from, e.g. 'correct' or 'time_limit'.")
    expected_score: float | None = None


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Short code, unique in a problem store, e.g. 'aplusb'.")
    name: str
    task_type: TaskType = TaskType.BATCH
    time_limit: float = Field(gt=0, description="CPU seconds per test.")
    memory_limit: int = Field(gt=0, description="Bytes of peak memory per test (per process).")
    score_precision: int = Field(default=2, ge=0, le=10)
    subtasks: tuple[Subtask, ...]
    tests: dict[str, TestCase]
    # Batch tasks: compile the contestant file together with `grader.cpp` ("grader") or alone ("alone").
    compilation: Literal["grader", "alone"] = "alone"
    graders: tuple[SourceFile, ...] = Field(
        default=(), description="Public grader-side files: grader.cpp / stub.cpp and the headers they include."
    )
    checker: Checker = Checker()
    communication: Communication | None = None
    solutions: tuple[ReferenceSolution, ...] = ()
    year: int | None = Field(default=None, description="Contest year, when known (open-r1 rows carry it).")
    origin: str = Field(default="", description="Where the problem was loaded from, for messages.")

    @model_validator(mode="after")
    def _consistent(self) -> Problem:
        for subtask in self.subtasks:
            missing = [t for t in subtask.tests if t not in self.tests]
            if missing:
                raise ValueError(f"subtask {subtask.name!r} names unknown tests: {', '.join(missing[:5])}")
        names = [s.name for s in self.subtasks]
        if len(set(names)) != len(names):
            raise ValueError("subtask names must be unique")
        if (self.task_type is TaskType.COMMUNICATION) != (self.communication is not None):
            raise ValueError("communication parameters are required for, and only for, Communication tasks")
        if self.compilation == "grader" and self.grader_source("grader.cpp") is None:
            raise ValueError("compilation 'grader' needs graders/grader.cpp")
        if self.task_type is TaskType.COMMUNICATION and self.grader_source("stub.cpp") is None:
            raise ValueError("a Communication task needs graders/stub.cpp")
        return self

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
        payload = self.model_dump_json(include={"id", "task_type", "compilation", "graders", "checker", "communication"})
        return hashlib.sha256(payload.encode()).hexdigest()


class ProblemFormatError(ValueError):
    """A task package is malformed. The message names the file and the field."""

    def __init__(self, path: Path | str, message: str, field: str | None = None):
        self.path = Path(path)
        self.field = field
        where = f"{self.path}" + (f": field {field!r}" if field else "")
        super().__init__(f"{where}: {message}")
