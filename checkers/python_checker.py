"""open-r1's Python checkers: the `generated_checker` of `open-r1/codeforces` rows, for problems
with several right answers.

open-r1 runs one as `python checker.py input.txt correct_output.txt solution_output.txt` in
the folder holding those three files, and reads its verdict from what it prints: 1 (or a
fraction) when the output is right, 0 when it is not. Here it runs trusted, with CPython, in
the judge box: the submission never sees it and cannot overwrite it (the anchor looks it up in
the submission's writable folder after the submission ran, so a submission that writes
`checker.py` passes every test). The three files are copied into the checker's own folder for
each run, under those names, so a checker that opens them by name works as well.
"""

from __future__ import annotations

import math

from .base import CheckerFailure, Example, ProgramChecker, Verdict, clamp_outcome, first_line

# Words some generated checkers print instead of a number.
_WORDS = {"ok": 1.0, "ac": 1.0, "yes": 1.0, "true": 1.0, "correct": 1.0, "accepted": 1.0,
          "wa": 0.0, "no": 0.0, "false": 0.0, "wrong": 0.0, "incorrect": 0.0}


def printed_outcome(stdout: bytes) -> float | None:
    """The outcome a checker printed: its last non-empty line, a number or a verdict word."""
    lines = [line.strip() for line in stdout.decode("utf-8", errors="replace").splitlines() if line.strip()]
    if not lines:
        return None
    text = lines[-1].split()[0]
    try:
        value = float(text)
    except ValueError:
        return _WORDS.get(text.lower().strip(".!"))
    return value if math.isfinite(value) else None


class PythonChecker(ProgramChecker):
    name = "python_checker"
    aliases = ("generated_checker",)
    summary = ("open-r1's generated checker.py: `python checker.py input.txt correct_output.txt "
               "solution_output.txt` prints 1 (right) or 0 (wrong)")
    source_name = "checker.py"
    file_names = ("input.txt", "correct_output.txt", "solution_output.txt")
    examples = (
        Example(b"4\n", b"1 3\n", 1.0, input=b"4\n"),
        Example(b"3 1\n", b"1 3\n", 1.0, input=b"4\n"),
        Example(b"2 3\n", b"1 3\n", 0.0, input=b"4\n"),
        Example(b"", b"1 3\n", 0.0, input=b"4\n"),
    )
    # Accepts any list of positive integers summing to the input's number: several right answers.
    # It opens the files by the names open-r1 gives them, as generated checkers may.
    source_examples = r"""
import sys

def main():
    input_path, correct_path, output_path = sys.argv[1:4]
    assert (input_path, correct_path, output_path) == ("input.txt", "correct_output.txt", "solution_output.txt")
    n = int(open("input.txt").read().split()[0])
    try:
        values = [int(token) for token in open("solution_output.txt").read().split()]
    except ValueError:
        print(0)
        return
    print(1 if values and all(v > 0 for v in values) and sum(values) == n else 0)

if __name__ == "__main__":
    main()
"""

    def argv(self, input_path: str, answer_path: str, output_path: str) -> list[str]:
        return [input_path, answer_path, output_path]  # checker input correct_output solution_output

    def parse(self, exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
        outcome = printed_outcome(stdout)
        if outcome is None:
            raise CheckerFailure(f"the Python checker printed no outcome (exit code {exit_code}); "
                                 f"stderr: {first_line(stderr)[:200]!r}, last of: {stderr[-300:]!r}")
        outcome = clamp_outcome(outcome)
        return Verdict(outcome=outcome, message="Output is correct" if outcome >= 1 else
                       "Output is partially correct" if outcome > 0 else "Output isn't correct")
