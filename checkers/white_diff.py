from __future__ import annotations

from .base import Comparison, Example, Verdict


def _normalized_lines(data: bytes) -> list[bytes]:
    """Per line, whitespace runs collapsed, ends stripped; trailing empty lines ignored."""
    lines = [b" ".join(line.split()) for line in data.split(b"\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def white_diff(output: bytes, answer: bytes) -> Verdict:
    """CMS default comparator: 1 if the outputs match line by line modulo whitespace, else 0."""
    got, expected = _normalized_lines(output), _normalized_lines(answer)
    if got == expected:
        return Verdict(outcome=1.0, message="Output is correct")
    for number, (a, b) in enumerate(zip(got, expected), start=1):
        if a != b:
            return Verdict(outcome=0.0, message=f"Output isn't correct: line {number} differs")
    if len(got) < len(expected):
        return Verdict(outcome=0.0, message=f"Output isn't correct: {len(got)} lines, {len(expected)} expected")
    return Verdict(outcome=0.0, message=f"Output isn't correct: extra output after line {len(expected)}")


class WhiteDiff(Comparison):
    name = "white_diff"
    summary = "CMS's default: lines compared with whitespace runs collapsed and ends stripped"
    examples = (
        Example(b"  1   2 \n3\n\n", b"1 2\n3\n", 1.0),
        Example(b"1 2 3\n", b"1 2\n3\n", 0.0),
        Example(b"1 2\n", b"1 2\n3\n", 0.0),
    )

    def compare(self, output: bytes, answer: bytes, flags: tuple[str, ...] = ()) -> Verdict:
        return white_diff(output, answer)
