"""What a checker says about one test: an outcome in [0, 1] and a message."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field


class CheckerFailure(RuntimeError):
    """The checker itself misbehaved (crashed, printed no outcome): a task error, not a verdict."""


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
