from collections.abc import Sequence

from .base import ScoreType


class GroupMin(ScoreType):
    name = "GroupMin"
    summary = "points x the lowest outcome: the IOI rule (all tests must pass for full points)"
    examples = (((1.0, 1.0), 1.0), ((1.0, 0.5, 1.0), 0.5), ((1.0, 0.0), 0.0))

    def reduce(self, outcomes: Sequence[float]) -> float:
        return min(outcomes)

    def decided(self, outcomes: Sequence[float], remaining: int) -> bool:
        return remaining == 0 or any(outcome == 0.0 for outcome in outcomes)
