"""Checker conventions: how a test's output is judged, one module per convention, found by
the name a problem gives (`white_diff`, `token_diff`, `cms`, `testlib`; see `base.py`)."""

from .base import (
    CheckerConvention, CheckerFailure, Comparison, Example, JudgeContext, ProgramChecker, TaskProgram, Verdict,
    argument_order, clamp_outcome, conventions, first_line, translate,
)
from .cms import cms_verdict
from .testlib import testlib_verdict
from .token_diff import token_diff
from .white_diff import white_diff

__all__ = [
    "CheckerConvention", "CheckerFailure", "Comparison", "Example", "JudgeContext", "ProgramChecker", "TaskProgram",
    "Verdict", "argument_order", "clamp_outcome", "cms_verdict", "conventions", "first_line", "testlib_verdict",
    "token_diff", "translate", "white_diff",
]
