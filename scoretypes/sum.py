from collections.abc import Sequence

from .base import ScoreType


class Sum(ScoreType):
    name = "Sum"
    summary = "points x the mean outcome: each test worth an equal share"
    examples = (((1.0, 1.0), 1.0), ((1.0, 0.0, 0.5, 0.5), 0.5), ((0.0,), 0.0))

    def reduce(self, outcomes: Sequence[float]) -> float:
        return sum(outcomes) / len(outcomes)
