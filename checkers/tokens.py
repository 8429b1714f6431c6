"""Exact token-by-token comparison, the default for Codeforces-style problems without a checker.

Whitespace-separated tokens must be equal byte for byte: line breaks, runs of spaces, `\\r` and
trailing blank lines do not matter; letter case and the spelling of numbers do. A problem may
relax that with the conventions Codeforces statements announce, and only then:

- `float_tolerance EPS`: numbers match when the absolute or the relative error is at most EPS
  (what testlib's `rcmp6` and friends accept; `float_absolute_tolerance` and
  `float_relative_tolerance` allow one kind only);
- `yes_no_any_case`: an expected `YES` / `NO` token matches in any letter case ("yEs").

Other graders' defaults are not copied: case-folding the whole output and comparing every
number as a float accept wrong answers.
"""

from __future__ import annotations

import math
import re

from .base import Comparison, Example, Verdict

YES_NO = frozenset((b"yes", b"no"))
# A decimal number as a statement means it: no "nan", "inf", "0x1p3" or "1_000", which float() takes.
_NUMBER = re.compile(rb"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_FLAGS_WITH_VALUE = ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance")
_PLAIN_FLAGS = ("yes_no_any_case",)


class TokenOptions:
    """The flags of a problem, parsed once: ValueError names a bad one."""

    def __init__(self, flags: tuple[str, ...] = ()):
        self.absolute: float | None = None
        self.relative: float | None = None
        self.yes_no_any_case = False
        words = list(flags)
        index = 0
        while index < len(words):
            word = words[index]
            if word in _FLAGS_WITH_VALUE:
                if index + 1 >= len(words):
                    raise ValueError(f"{word} needs a number after it")
                value = _tolerance(words[index + 1], word)
                if word in ("float_tolerance", "float_absolute_tolerance"):
                    self.absolute = value
                if word in ("float_tolerance", "float_relative_tolerance"):
                    self.relative = value
                index += 2
                continue
            if word == "yes_no_any_case":
                self.yes_no_any_case = True
            else:
                known = ", ".join((*_FLAGS_WITH_VALUE, *_PLAIN_FLAGS))
                raise ValueError(f"unknown tokens flag {word!r} (known: {known})")
            index += 1

    @property
    def floats(self) -> bool:
        return self.absolute is not None or self.relative is not None


def _tolerance(text: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{flag} needs a number after it, got {text!r}") from None
    if not (math.isfinite(value) and 0 <= value < 1):
        raise ValueError(f"{flag} must be in [0, 1), got {text!r}")
    return value


def _number(token: bytes) -> float | None:
    return float(token) if _NUMBER.match(token) else None


def close_enough(expected: float, got: float, absolute: float | None, relative: float | None) -> bool:
    """testlib's doubleCompare: within the absolute error, or within the relative error of the
    expected value (with testlib's 1e-15 slack for the rounding of the bound itself)."""
    if absolute is not None and abs(got - expected) <= absolute + 1e-15:
        return True
    if relative is not None:
        low, high = sorted((expected * (1 - relative), expected * (1 + relative)))
        return got + 1e-15 >= low and got <= high + 1e-15
    return False


def _show(token: bytes) -> str:
    text = token[:40].decode("utf-8", errors="replace")
    return text + ("..." if len(token) > 40 else "")


def compare_tokens(output: bytes, answer: bytes, flags: tuple[str, ...] = ()) -> Verdict:
    options = TokenOptions(flags)
    got, expected = output.split(), answer.split()
    for number, (a, b) in enumerate(zip(got, expected), start=1):
        if a == b:
            continue
        if options.yes_no_any_case and b.lower() in YES_NO and a.lower() == b.lower():
            continue
        if options.floats:
            x, y = _number(a), _number(b)
            if x is not None and y is not None and close_enough(y, x, options.absolute, options.relative):
                continue
        return Verdict(outcome=0.0, message=f"Output isn't correct: token {number} is {_show(a)!r}, "
                                            f"expected {_show(b)!r}")
    if len(got) != len(expected):
        return Verdict(outcome=0.0, message=f"Output isn't correct: {len(got)} tokens, {len(expected)} expected")
    return Verdict(outcome=1.0, message="Output is correct")


class Tokens(Comparison):
    name = "tokens"
    summary = ("exact token-by-token comparison (case and number spelling matter); "
               "optional float_tolerance EPS and yes_no_any_case, as a Codeforces statement announces them")
    examples = (
        Example(b"1 2\r\n3\n\n", b"1\n2 3", 1.0),
        Example(b"1 2", b"1 2 3", 0.0),
        Example(b"YES", b"yes", 0.0),  # letter case matters unless the problem says otherwise
        Example(b"yEs\nNO", b"YES\nno", 1.0, ("yes_no_any_case",)),
        Example(b"Yes", b"Yesterday", 0.0, ("yes_no_any_case",)),
        Example(b"Hello", b"hello", 0.0, ("yes_no_any_case",)),  # only yes/no are case-insensitive
        Example(b"2.0", b"2", 0.0),  # no float comparison unless the problem says so
        Example(b"0.3333330", b"0.333333333", 1.0, ("float_tolerance", "1e-6")),
        Example(b"0.3333", b"0.333333333", 0.0, ("float_tolerance", "1e-6")),
        Example(b"1000000.9", b"1000000", 1.0, ("float_tolerance", "1e-6")),  # relative error under 1e-6
        Example(b"1000000.9", b"1000000", 0.0, ("float_absolute_tolerance", "1e-6")),
        Example(b"nan", b"1.5", 0.0, ("float_tolerance", "1e-6")),
        Example(b"1_5", b"15", 0.0, ("float_tolerance", "1e-6")),
    )

    def validate(self, checker) -> None:
        super().validate(checker)
        TokenOptions(checker.flags)

    def compare(self, output: bytes, answer: bytes, flags: tuple[str, ...] = ()) -> Verdict:
        return compare_tokens(output, answer, flags)
