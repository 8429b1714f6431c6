from __future__ import annotations

from pathlib import Path

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


# Polygon's standard checkers (`std::ncmp.cpp`...), our implementations against testlib: one
# source file each in standard/ (see its README for what each accepts).
STANDARD_DIR = Path(__file__).resolve().parent / "standard"


def standard_checkers() -> list[str]:
    """Names of the standard checkers we provide ("ncmp", "wcmp", ...)."""
    return sorted(path.stem for path in STANDARD_DIR.glob("*.cpp"))


def standard_checker_source(name: str) -> str:
    """The source of standard checker `name` ("ncmp", "std::ncmp.cpp" or "ncmp.cpp")."""
    stem = name.removeprefix("std::").removesuffix(".cpp")
    if stem not in standard_checkers():
        raise ValueError(f"unknown standard checker {name!r}; supported: {', '.join(standard_checkers())}")
    return (STANDARD_DIR / f"{stem}.cpp").read_text(encoding="utf-8")
