import math
from collections.abc import Sequence

from .base import ScoreType


class GroupMul(ScoreType):
    name = "GroupMul"
    summary = "points x the product of the outcomes (CMS GroupMul: partial outcomes compound)"
    examples = (((1.0, 1.0), 1.0), ((0.5, 0.5), 0.25), ((1.0, 0.0, 0.5), 0.0))

    def reduce(self, outcomes: Sequence[float]) -> float:
        return math.prod(outcomes)

    def decided(self, outcomes: Sequence[float], remaining: int) -> bool:
        return remaining == 0 or any(outcome == 0.0 for outcome in outcomes)
