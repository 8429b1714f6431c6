"""What a score type is (CMS's GroupMin, Sum, GroupMul), and its registry.

A score type turns the outcomes of a subtask's tests (each in [0, 1]) into the fraction of
the subtask's points earned (`reduce`), and says when the tests run so far already fix that
fraction whatever the others give (`decided`): the grader stops running a subtask's tests
then. One module per score type in this folder (or a third-party entry point in the
`ioi_grader.scoretypes` group), with examples the test suite checks it against.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from ..plugins import Plugin, Registry


class ScoreType(Plugin, ABC):
    # Self-test: (outcomes, fraction) pairs that `reduce` must reproduce.
    examples: ClassVar[tuple[tuple[tuple[float, ...], float], ...]] = ()

    @abstractmethod
    def reduce(self, outcomes: Sequence[float]) -> float:
        """The fraction of the subtask's points, from every test's outcome (never empty)."""

    def decided(self, outcomes: Sequence[float], remaining: int) -> bool:
        """Whether the fraction is fixed by `outcomes` whatever the `remaining` tests give."""
        return remaining == 0


scoretypes: Registry[ScoreType] = Registry("score type", ScoreType, "ioi_grader.scoretypes", "ioi_grader.scoretypes")
