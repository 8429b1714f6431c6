"""Request and response bodies of the HTTP API (v1): the contract the server and the client
share, so neither imports the other."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from .grading.results import GradeResult
from .grading.submission import MAX_SOURCE_BYTES, GradeOptions, check_source
from .languages import languages


class State(str, Enum):
    QUEUED = "queued"
    COMPILING = "compiling"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (State.DONE, State.FAILED)


class RewardMode(str, Enum):
    SUBTASK = "subtask"  # fraction of the subtask: min of its test outcomes (open-r1's ioi_code_reward)
    PROBLEM = "problem"  # fraction of the problem's points: score / max score
    TESTS = "tests"  # fraction of the graded tests that passed (outcome 1)


def _known_language(name: str) -> str:
    if name not in languages:
        raise ValueError(f"unknown language {name!r}; use one of {', '.join(languages.choices())}")
    return name


# Any name or alias of a registered language (see GET /v1/languages).
Language = Annotated[
    str, AfterValidator(_known_language), WithJsonSchema({"type": "string", "enum": languages.choices()}),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmissionRequest(_Body):
    problem_id: str = Field(min_length=1, max_length=200)
    language: Language = "cpp"
    code: str = Field(max_length=MAX_SOURCE_BYTES)
    options: GradeOptions = Field(default_factory=GradeOptions)

    @field_validator("code")
    @classmethod
    def _source(cls, code: str) -> str:
        return check_source(code)


def _text(value: str) -> str:
    """Model output is kept even when it is not valid text: lone surrogates become U+FFFD."""
    return value.encode("utf-8", errors="replace").decode("utf-8")


class SubmissionCreated(BaseModel):
    id: str
    state: State


class SubmissionView(BaseModel):
    id: str
    problem_id: str
    language: str
    state: State
    created_at: float
    updated_at: float
    attempts: int
    result: GradeResult | None = None
    error: str | None = None


class Message(BaseModel):
    role: str = Field(max_length=64)
    content: str

    @field_validator("role", "content")
    @classmethod
    def _valid_text(cls, value: str) -> str:
        return _text(value)


class RewardItem(_Body):
    """One rollout. The problem is `problem_id`, or an open-r1 row's `year` + `id`."""

    problem_id: str | None = Field(default=None, min_length=1, max_length=200)
    year: int | None = None
    id: str | None = Field(default=None, min_length=1, max_length=200)
    subtask: str | int | None = Field(default=None, description="Subtask name or 0-based index.")
    completion: str | list[Message]
    language: Language = "cpp"

    @field_validator("completion", "problem_id", "id")
    @classmethod
    def _valid_text(cls, value):
        return _text(value) if isinstance(value, str) else value

    @field_validator("subtask")
    @classmethod
    def _valid_subtask(cls, value):
        return _text(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _names_a_problem(self) -> RewardItem:
        if not self.problem_id and not self.id:
            raise ValueError("give problem_id, or the open-r1 row's id (and year)")
        return self


class RewardRequest(_Body):
    items: list[RewardItem] = Field(min_length=1, max_length=4096)
    mode: RewardMode = RewardMode.SUBTASK
    timeout: float | None = Field(default=None, gt=0, le=3600, description="Seconds to wait for the whole batch.")


class RewardDetail(BaseModel):
    reward: float | None
    status: Literal["scored", "no_code", "error", "timeout"]
    reason: str = ""
    problem_id: str
    subtask: str | None = None
    submission_id: str | None = None
    score: float | None = None
    max_score: float | None = None


class RewardResponse(BaseModel):
    rewards: list[float | None] = Field(description="One per item, in order; null when it could not be graded.")
    details: list[RewardDetail]


class SubtaskSummary(BaseModel):
    name: str
    points: float
    tests: int


class ProblemSummary(BaseModel):
    id: str
    name: str
    task_type: str
    time_limit: float
    memory_limit: int
    score_precision: int
    max_score: float
    year: int | None
    subtasks: list[SubtaskSummary]
    test_count: int = Field(default=0, description="Distinct tests of the problem.")
    version: str | None = Field(default=None, description="Content hash of the problem's files: its version.")


class SourceFileView(BaseModel):
    name: str
    content: str


class ProblemDetail(ProblemSummary):
    languages: list[str]
    headers: list[SourceFileView] = Field(description="Headers a submission includes (public grader API).")
    checker: str | None = Field(default=None, description="Checker kind; admins only.")
    tests: list[str] | None = Field(default=None, description="Test names; admins only.")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    redis: bool
    workers: int
    sandbox_images: list[str]
    queue_depth: int | None


class LanguageInfo(BaseModel):
    name: str
    aliases: list[str]
    summary: str
    extensions: list[str]
    links_task_code: bool = Field(description="Can be graded on tasks compiled with a grader or stub.")


class WorkerStats(BaseModel):
    """One worker's series, as `GET /v1/status` and /metrics show them."""

    name: str
    host: str = ""
    boxes: int = 0
    boxes_busy: int = 0
    tests_per_second: float = 0.0
    jobs: float = 0
    tests: float = 0
    compiles: float = 0
    compile_seconds: float = 0.0
    cache_hits: float = 0
    cache_misses: float = 0
    fetch_bytes: float = 0
    current: str | None = None  # submission being graded
    updated: float = 0.0


class ErrorEntry(BaseModel):
    at: float
    worker: str
    submission_id: str | None = None
    error: str


class QueueView(BaseModel):
    depth: int
    oldest_age_seconds: float
    running: int


class StatusView(BaseModel):
    time: float
    workers: list[WorkerStats]
    queue: QueueView
    boxes: int
    boxes_busy: int
    tests_per_second: float
    submissions_done: float
    submissions_failed: float
    errors: list[ErrorEntry]


class ErrorBody(BaseModel):
    error: str
    detail: list[dict] | None = None
