from __future__ import annotations

from .base import CheckerFailure, Example, ProgramChecker, Verdict, clamp_outcome, first_line, translate


def cms_verdict(exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
    """CMS comparator: stdout line 1 is the outcome, stderr line 1 the message."""
    text = first_line(stdout)
    try:
        outcome = float(text)
    except ValueError:
        raise CheckerFailure(
            f"checker printed {text[:80]!r} instead of an outcome (exit code {exit_code}); "
            f"stderr: {first_line(stderr)[:200]!r}"
        ) from None
    return Verdict(outcome=clamp_outcome(outcome), message=translate(first_line(stderr)))


class Cms(ProgramChecker):
    name = "cms"
    summary = "CMS comparator: `checker input answer output`; stdout line 1 the outcome, stderr line 1 the message"
    examples = (
        Example(b"3\n", b"3\n", 1.0, input=b"1 2\n"),
        Example(b"4\n", b"3\n", 0.0, input=b"1 2\n"),
    )
    # Outcome 1 when the first number of the output equals the answer's, else 0.
    source_examples = r"""
#include <cstdio>
int main(int argc, char **argv) {
    long long expected = 0, got = 1;
    FILE *answer = fopen(argv[2], "r"), *output = fopen(argv[3], "r");
    if (!answer || fscanf(answer, "%lld", &expected) != 1) return 1;
    bool ok = output && fscanf(output, "%lld", &got) == 1 && got == expected;
    printf("%d\n", ok ? 1 : 0);
    fprintf(stderr, ok ? "translate:success\n" : "translate:wrong\n");
}
"""

    def argv(self, input_path: str, answer_path: str, output_path: str) -> list[str]:
        return [input_path, answer_path, output_path]  # checker input correct_output contestant_output

    def parse(self, exit_code: int | None, stdout: bytes, stderr: bytes) -> Verdict:
        if exit_code != 0:
            raise CheckerFailure(f"the checker exited with code {exit_code}: {stderr[:300]!r}")
        return cms_verdict(exit_code, stdout, stderr)
