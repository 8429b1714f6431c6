"""A submission and the options it is graded with: what crosses into a grading job."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..languages import languages

MAX_SOURCE_BYTES = 512 * 1024
MIB = 1 << 20


def check_source(code: str) -> str:
    """A source file the grader accepts: UTF-8 encodable, bounded, without NUL bytes."""
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("source is not valid UTF-8 text (it contains lone surrogates)") from None
    if size > MAX_SOURCE_BYTES:
        raise ValueError(f"source is {size} bytes; the limit is {MAX_SOURCE_BYTES}")
    if "\0" in code:
        raise ValueError("source contains a NUL byte")
    return code


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(default="cpp", description="A language name, e.g. cpp, cpp20, python (see GET /v1/languages).")
    code: str = Field(description="The contestant's source file.")

    @field_validator("language")
    @classmethod
    def _known_language(cls, language: str) -> str:
        if language not in languages:
            raise ValueError(f"unknown language {language!r}; use one of {', '.join(languages.choices())}")
        return language

    @field_validator("code")
    @classmethod
    def _bounded(cls, code: str) -> str:
        return check_source(code)


class GradeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(default=None, gt=0, le=60, description="CPU seconds per test; task's by default.")
    memory_limit: int | None = Field(
        default=None, ge=16 * MIB, le=16 << 30, description="Bytes per test; task's by default."
    )
    subtasks: list[str | int] | None = Field(
        default=None, description="Grade only these subtasks (names or 0-based indices)."
    )
    early_stop: bool = Field(
        default=False, description="Skip a test once every subtask containing it already scored 0."
    )
    compile_time_limit: float = Field(default=30.0, gt=0, le=300)
    compile_memory_limit: int = Field(default=2 << 30, ge=256 * MIB, le=16 << 30)
    output_limit: int = Field(default=128 * MIB, ge=MIB, le=4 << 30, description="Bytes a test may print.")
    stop_on_first_failure: bool = Field(
        default=False, description="Skip every remaining test once one test did not pass (pass/fail rewards).")
    time_multipliers: dict[str, float] | None = Field(
        default=None, description="Per-language factors on the time limit, e.g. {\"python\": 3}; they replace "
        "the problem's own. Off by default.")

    @field_validator("time_multipliers")
    @classmethod
    def _multipliers(cls, multipliers: dict[str, float] | None) -> dict[str, float] | None:
        from ..problems.model import check_time_multipliers  # noqa: PLC0415 - the model imports plugins lazily

        return None if multipliers is None else check_time_multipliers(multipliers)
