from __future__ import annotations

import math

from .base import Comparison, Example, Verdict


def _parse_flags(flags: tuple[str, ...]) -> tuple[bool, float | None, float | None]:
    """Kattis default validator flags: case_sensitive, space_change_sensitive (ignored: tokens),
    float_tolerance / float_absolute_tolerance / float_relative_tolerance EPS."""
    case_sensitive = False
    absolute = relative = None
    words = list(flags)
    index = 0
    while index < len(words):
        word = words[index]
        if word == "case_sensitive":
            case_sensitive = True
        elif word in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            index += 1
            value = float(words[index])
            if word in ("float_tolerance", "float_absolute_tolerance"):
                absolute = value
            if word in ("float_tolerance", "float_relative_tolerance"):
                relative = value
        index += 1
    return case_sensitive, absolute, relative


def _float(token: bytes) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def token_diff(output: bytes, answer: bytes, flags: tuple[str, ...] = ()) -> Verdict:
    """Kattis default output validator: whitespace-separated tokens must match (line breaks
    do not matter); case-insensitive unless `case_sensitive`; optional float tolerances."""
    case_sensitive, absolute, relative = _parse_flags(flags)
    got, expected = output.split(), answer.split()
    for number, (a, b) in enumerate(zip(got, expected), start=1):
        if a == b or (not case_sensitive and a.lower() == b.lower()):
            continue
        if absolute is not None or relative is not None:
            x, y = _float(a), _float(b)
            if x is not None and y is not None:
                if absolute is not None and abs(x - y) <= absolute:
                    continue
                if relative is not None and abs(x - y) <= relative * abs(y):
                    continue
        return Verdict(outcome=0.0, message=f"Output isn't correct: token {number} differs")
    if len(got) != len(expected):
        return Verdict(outcome=0.0, message=f"Output isn't correct: {len(got)} tokens, {len(expected)} expected")
    return Verdict(outcome=1.0, message="Output is correct")


class TokenDiff(Comparison):
    name = "token_diff"
    summary = "Kattis's default validator: whitespace-separated tokens, optional case and float tolerance flags"
    examples = (
        Example(b"1\n2 3", b"1 2\n3", 1.0),
        Example(b"1 2", b"1 2 3", 0.0),
        Example(b"YES", b"yes", 1.0),
        Example(b"YES", b"yes", 0.0, ("case_sensitive",)),
        Example(b"0.3333", b"0.33333333", 1.0, ("float_tolerance", "1e-3")),
        Example(b"0.3", b"0.33333333", 0.0, ("float_tolerance", "1e-3")),
    )

    def validate(self, checker) -> None:
        super().validate(checker)
        try:
            _parse_flags(checker.flags)
        except (IndexError, ValueError):
            raise ValueError(f"token_diff flags {' '.join(checker.flags)!r}: a tolerance needs a number after it") \
                from None

    def compare(self, output: bytes, answer: bytes, flags: tuple[str, ...] = ()) -> Verdict:
        return token_diff(output, answer, flags)
