"""Task checker programs: how each convention is invoked and how its result is read.

The sandbox runs the program; these pure functions decide the argument order and turn
(exit code, stdout, stderr) into a `Verdict`.
"""

from __future__ import annotations

from ..problems.model import CheckerKind

from .verdict import CheckerFailure, Verdict, clamp_outcome, translate


def argument_order(kind: CheckerKind, input_path: str, answer_path: str, output_path: str) -> list[str]:
    if kind is CheckerKind.CMS:
        return [input_path, answer_path, output_path]  # checker input correct_output contestant_output
    if kind is CheckerKind.TESTLIB:
        return [input_path, output_path, answer_path]  # checker input contestant_output answer
    raise ValueError(f"{kind.value} is not an external checker")


def _first_line(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").split("\n", 1)[0].strip()


def cms_verdict(exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
    """CMS comparator: stdout line 1 is the outcome, stderr line 1 the message."""
    text = _first_line(stdout)
    try:
        outcome = float(text)
    except ValueError:
        raise CheckerFailure(
            f"checker printed {text[:80]!r} instead of an outcome (exit code {exit_code}); "
            f"stderr: {_first_line(stderr)[:200]!r}"
        ) from None
    return Verdict(outcome=clamp_outcome(outcome), message=translate(_first_line(stderr)))


# testlib exit codes (Codeforces/Polygon convention, testlib 0.9.x defaults).
_TESTLIB_OK, _TESTLIB_WA, _TESTLIB_PE, _TESTLIB_FAIL, _TESTLIB_DIRT, _TESTLIB_POINTS = 0, 1, 2, 3, 4, 7
_TESTLIB_UNEXPECTED_EOF = 8


def _strip_testlib_prefix(message: str) -> str:
    for prefix in ("ok ", "wrong answer ", "wrong output format ", "points "):
        if message.startswith(prefix):
            return message[len(prefix):].strip()
    return message


def testlib_verdict(exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
    """testlib checker: the exit code is the verdict. `quitp(x, msg)` exits 7 with
    "points x msg" on stderr; x is read as the outcome, clamped to [0, 1]."""
    message = _first_line(stderr)
    if exit_code == _TESTLIB_OK:
        return Verdict(outcome=1.0, message=_strip_testlib_prefix(message) or "Output is correct")
    if exit_code in (_TESTLIB_WA, _TESTLIB_PE, _TESTLIB_DIRT, _TESTLIB_UNEXPECTED_EOF):
        return Verdict(outcome=0.0, message=message or "Output isn't correct")
    if exit_code == _TESTLIB_POINTS:
        words = _strip_testlib_prefix(message).split(maxsplit=1)
        try:
            outcome = float(words[0])
        except (IndexError, ValueError):
            raise CheckerFailure(f"testlib checker reported points without a value: {message[:200]!r}") from None
        return Verdict(outcome=clamp_outcome(outcome), message=words[1] if len(words) > 1 else "")
    raise CheckerFailure(f"testlib checker failed (exit code {exit_code}): {message[:300]!r}")
