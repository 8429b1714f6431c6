from __future__ import annotations

from .base import CheckerFailure, Example, ProgramChecker, Verdict, clamp_outcome, first_line

# testlib exit codes (Codeforces/Polygon convention, testlib 0.9.x defaults).
_OK, _WA, _PE, _FAIL, _DIRT, _POINTS, _UNEXPECTED_EOF = 0, 1, 2, 3, 4, 7, 8


def _strip_prefix(message: str) -> str:
    for prefix in ("ok ", "wrong answer ", "wrong output format ", "points "):
        if message.startswith(prefix):
            return message[len(prefix):].strip()
    return message


def testlib_verdict(exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
    """testlib checker: the exit code is the verdict. `quitp(x, msg)` exits 7 with
    "points x msg" on stderr; x is read as the outcome, clamped to [0, 1]."""
    message = first_line(stderr)
    if exit_code == _OK:
        return Verdict(outcome=1.0, message=_strip_prefix(message) or "Output is correct")
    if exit_code == _WA:
        return Verdict(outcome=0.0, message=message or "Output isn't correct")
    if exit_code in (_PE, _DIRT, _UNEXPECTED_EOF):
        return Verdict(outcome=0.0, message=message or "Presentation error", status="PE")
    if exit_code == _POINTS:
        words = _strip_prefix(message).split(maxsplit=1)
        try:
            outcome = float(words[0])
        except (IndexError, ValueError):
            raise CheckerFailure(f"testlib checker reported points without a value: {message[:200]!r}") from None
        return Verdict(outcome=clamp_outcome(outcome), message=words[1] if len(words) > 1 else "")
    raise CheckerFailure(f"testlib checker failed (exit code {exit_code}): {message[:300]!r}")


class Testlib(ProgramChecker):
    name = "testlib"
    summary = "testlib (Codeforces/Polygon): `checker input output answer`; the exit code is the verdict"
    examples = (
        Example(b"3\n", b"3\n", 1.0, input=b"1 2\n"),
        Example(b"4\n", b"3\n", 0.0, input=b"1 2\n"),
        Example(b"", b"3\n", 0.0, input=b"1 2\n"),
    )
    source_examples = r"""
#include "testlib.h"
int main(int argc, char *argv[]) {
    registerTestlibCmd(argc, argv);
    long long expected = ans.readLong(), got = ouf.readLong();
    if (got != expected) quitf(_wa, "expected %lld, found %lld", expected, got);
    quitf(_ok, "%lld", got);
}
"""

    def argv(self, input_path: str, answer_path: str, output_path: str) -> list[str]:
        return [input_path, output_path, answer_path]  # checker input contestant_output answer

    def parse(self, exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
        return testlib_verdict(exit_code, stdout, stderr)
