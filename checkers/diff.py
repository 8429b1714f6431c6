"""Built-in comparators, as pure functions of two byte strings."""

from __future__ import annotations

import math

from .verdict import Verdict

_WHITESPACE = b" \t\n\r\x0b\x0c"


def _normalized_lines(data: bytes) -> list[bytes]:
    """CMS white-diff normal form: per line, whitespace runs collapsed, ends stripped,
    trailing empty lines ignored."""
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
