"""What grading produces: per-test outcomes, per-subtask scores, the submission's result.

`GradeResult` is the JSON shape shared by `ioi-grader grade --json`, the HTTP API and the
batch client: `{"score", "max_score", "compile": {"status", "message"}, "subtasks": [{"name",
"points", "score", "status", "tests": [{"name", "status", "score", "time", "memory",
"message"}]}]}` plus a few extra fields.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


class TestStatus(str, Enum):
    __test__ = False  # not a pytest class

    AC = "AC"  # outcome 1
    PA = "PA"  # 0 < outcome < 1
    WA = "WA"  # outcome 0 from the checker
    PE = "PE"  # outcome 0: the checker could not read the output's format (testlib's presentation error)
    TLE = "TLE"  # CPU time over the limit, or the wall-clock guard fired
    MLE = "MLE"  # the memory cgroup killed it
    RE = "RE"  # crashed, non-zero exit, output too large
    IL = "IL"  # interactive tasks: blocked waiting on its peer (idleness) until the wall-clock guard fired
    CE = "CE"  # did not compile: every test of the submission
    SKIPPED = "SKIPPED"  # not run: every subtask containing it already scored 0 (early stop)

    @classmethod
    def from_outcome(cls, outcome: float) -> TestStatus:
        if outcome >= 1.0:
            return cls.AC
        return cls.PA if outcome > 0.0 else cls.WA


class TestResult(BaseModel):
    __test__ = False

    name: str
    status: TestStatus
    score: float = Field(ge=0, le=1, description="Outcome of the test, a fraction in [0, 1].")
    time: float = Field(default=0.0, description="CPU seconds (user processes summed).")
    wall: float = Field(default=0.0, description="Wall-clock seconds.")
    memory: int = Field(default=0, description="Peak memory in bytes.")
    message: str = ""


class SubtaskResult(BaseModel):
    name: str
    points: float
    score: float = Field(description="Points earned, rounded to the task's score precision.")
    status: TestStatus
    tests: list[TestResult]


class CompileStatus(str, Enum):
    OK = "OK"
    CE = "CE"


class CompileResult(BaseModel):
    status: CompileStatus
    message: str = Field(default="", description="Compiler output, truncated to a bounded length.")
    time: float = Field(default=0.0, description="Wall seconds spent compiling (0 when cached).")
    cached: bool = False


class GradeResult(BaseModel):
    problem_id: str
    language: str
    score: float
    max_score: float
    compile: CompileResult
    subtasks: list[SubtaskResult]

    def subtask(self, name: str) -> SubtaskResult:
        for subtask in self.subtasks:
            if subtask.name == name:
                return subtask
        raise KeyError(name)

    @property
    def tests(self) -> dict[str, TestResult]:
        """Each test once, whatever the number of subtasks it belongs to."""
        return {t.name: t for s in self.subtasks for t in s.tests}
