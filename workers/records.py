"""Submission records: what the API and the workers share through Redis.

One record per submission, the single source of truth for its state. The API creates it
(`queued`); the worker moves it through `compiling` and `running` to `done` (with the
result) or `failed` (with the reason, after bounded retries). An attempt that dies with
its worker leaves the record as it was: the retried job picks it up again.
"""

from __future__ import annotations

import time
import uuid
from pydantic import BaseModel, Field

from ..grading.results import GradeResult
from ..grading.submission import GradeOptions, Submission
from ..schemas import State

__all__ = ["State", "SubmissionRecord", "new_id"]


def new_id() -> str:
    return uuid.uuid4().hex


class SubmissionRecord(BaseModel):
    id: str = Field(default_factory=new_id)
    problem_id: str
    submission: Submission
    options: GradeOptions = Field(default_factory=GradeOptions)
    state: State = State.QUEUED
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    attempts: int = Field(default=0, description="Times a worker started grading it.")
    result: GradeResult | None = None
    error: str | None = None
    worker: str | None = None
    problem_version: str | None = Field(
        default=None, description="Content hash of the problem version to grade with (set by the API).")
