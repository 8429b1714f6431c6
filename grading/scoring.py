"""IOI scoring as pure functions of per-test outcomes.

Nothing here runs code or touches disk: give it the problem's subtasks and each test's
result, get the subtask scores and the total. How a subtask's outcomes become points is its
score type's (see `ioi_grader.scoretypes`); the IOI rule is GroupMin: points x min(outcomes),
shown rounded to the task's score precision, the submission's score their sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..problems.model import Subtask
from ..scoretypes import scoretypes
from .results import SubtaskResult, TestResult, TestStatus

# Which status a subtask shows when several tests share its lowest outcome: the most telling.
_SEVERITY = {
    TestStatus.SKIPPED: 0, TestStatus.AC: 1, TestStatus.PA: 2, TestStatus.WA: 3, TestStatus.PE: 4,
    TestStatus.RE: 5, TestStatus.IL: 6, TestStatus.MLE: 7, TestStatus.TLE: 8, TestStatus.CE: 9,
}


def round_score(value: float, precision: int) -> float:
    """Round half away from zero at `precision` decimals, robust to binary noise (0.285 -> 0.29)."""
    scale = 10**precision
    scaled = value * scale
    rounded = int(abs(scaled) + 0.5 + 1e-9)
    return (rounded if scaled >= 0 else -rounded) / scale


def subtask_fraction(subtask: Subtask, outcomes: Mapping[str, float]) -> float:
    """The fraction of the subtask's points earned, by its score type (GroupMin: the minimum).

    A subtask with no tests earns its points only if it is worth nothing: it cannot be passed.
    Tests missing from `outcomes` count as 0 (not run means not passed).
    """
    values = [outcomes.get(name, 0.0) for name in subtask.tests]
    if not values:
        return 0.0
    return scoretypes.get(subtask.score_type).reduce(values)


def subtask_status(tests: Sequence[TestResult]) -> TestStatus:
    """The status of the test with the lowest outcome, the most severe one among ties."""
    run = [t for t in tests if t.status is not TestStatus.SKIPPED]
    if not run:
        return TestStatus.SKIPPED if tests else TestStatus.AC
    lowest = min(t.score for t in run)
    return max((t.status for t in run if t.score == lowest), key=_SEVERITY.__getitem__)


def score_subtasks(
    subtasks: Sequence[Subtask], results: Mapping[str, TestResult], precision: int
) -> list[SubtaskResult]:
    outcomes = {name: result.score for name, result in results.items()}
    scored = []
    for subtask in subtasks:
        tests = [results[name] for name in subtask.tests if name in results]
        points = subtask.points * subtask_fraction(subtask, outcomes)
        scored.append(
            SubtaskResult(
                name=subtask.name,
                points=subtask.points,
                score=round_score(points, precision),
                status=subtask_status(tests),
                tests=tests,
            )
        )
    return scored


def total_score(subtasks: Iterable[SubtaskResult], precision: int) -> float:
    return round_score(sum(s.score for s in subtasks), precision)


def task_score(subtask_scores: Iterable[Sequence[float]], precision: int = 2) -> float:
    """IOI 2017+ task score across submissions: for each subtask, the best score any
    submission got on it; summed. Each item is one submission's subtask scores, in order."""
    best: list[float] = []
    for scores in subtask_scores:
        if len(best) < len(scores):
            best.extend([0.0] * (len(scores) - len(best)))
        for index, score in enumerate(scores):
            best[index] = max(best[index], score)
    return round_score(sum(best), precision)


def skippable(test: str, subtasks: Sequence[Subtask], zeroed: set[str]) -> bool:
    """Early stop: a test need not run once every subtask containing it got a zero that, by the
    subtask's score type, already fixes its score (GroupMin: any zero; Sum: never)."""
    containing = [s for s in subtasks if test in s.tests]
    return bool(containing) and all(
        s.name in zeroed and scoretypes.get(s.score_type).decided((0.0,), remaining=1) for s in containing
    )


def decided_subtasks(subtasks: Sequence[Subtask], outcomes: Mapping[str, float]) -> set[str]:
    """The subtasks whose fraction the outcomes known so far (`outcomes`: tests that ran) fix,
    whatever the tests still to run give, by each subtask's score type (`ScoreType.decided`)."""
    decided = set()
    for subtask in subtasks:
        names = set(subtask.tests)
        known = [outcomes[name] for name in names if name in outcomes]
        if scoretypes.get(subtask.score_type).decided(known, remaining=len(names) - len(known)):
            decided.add(subtask.name)
    return decided


def needed(test: str, subtasks: Sequence[Subtask], decided: set[str]) -> bool:
    """Whether running `test` can still change a score: some subtask containing it is undecided.
    A test no graded subtask contains is run (it is what the caller asked for)."""
    containing = [s.name for s in subtasks if test in s.tests]
    return not containing or any(name not in decided for name in containing)
