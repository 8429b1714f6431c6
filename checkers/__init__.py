"""Checkers: pure functions from (input, contestant output, expected answer) to a verdict.

- `white_diff`: CMS's default comparison; `token_diff`: Kattis's default validator.
- `cms_verdict` / `testlib_verdict`: read the result of a task's checker program, run by the
  sandbox with the arguments `argument_order` gives.
"""

from .diff import token_diff, white_diff
from .external import argument_order, cms_verdict, testlib_verdict
from .verdict import CheckerFailure, Verdict, clamp_outcome, translate

__all__ = [
    "CheckerFailure", "Verdict", "argument_order", "clamp_outcome", "cms_verdict", "testlib_verdict",
    "token_diff", "translate", "white_diff",
]
