"""IOI scoring is a pure function of per-test outcomes: pinned here without any sandbox."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioi_grader.grading import scoring
from ioi_grader.grading.results import TestResult, TestStatus
from ioi_grader.problems.model import ScoreType, Subtask


def result(name: str, score: float, status: TestStatus | None = None) -> TestResult:
    return TestResult(name=name, score=score, status=status or TestStatus.from_outcome(score))


SUBTASKS = [
    Subtask(name="samples", points=0, tests=("s1",)),
    Subtask(name="small", points=30, tests=("s1", "a", "b")),
    Subtask(name="large", points=70, tests=("a", "b", "c")),
]


def test_group_min_takes_the_worst_test_and_shared_tests_count_in_every_subtask():
    results = {"s1": result("s1", 1), "a": result("a", 1), "b": result("b", 0.5), "c": result("c", 1)}
    scored = scoring.score_subtasks(SUBTASKS, results, precision=2)
    assert [s.score for s in scored] == [0, 15, 35]
    assert [s.status for s in scored] == [TestStatus.AC, TestStatus.PA, TestStatus.PA]
    assert scoring.total_score(scored, 2) == 50


def test_a_zero_anywhere_zeroes_the_subtask():
    results = {"s1": result("s1", 1), "a": result("a", 0, TestStatus.TLE), "b": result("b", 1), "c": result("c", 1)}
    scored = scoring.score_subtasks(SUBTASKS, results, precision=2)
    assert [s.score for s in scored] == [0, 0, 0]
    assert scored[1].status is TestStatus.TLE


def test_rounding_to_score_precision_half_up():
    subtask = Subtask(name="x", points=57, tests=("t",))
    scored = scoring.score_subtasks([subtask], {"t": result("t", 0.005)}, precision=2)
    assert scored[0].score == 0.29  # 57 * 0.005 = 0.285 -> 0.29, not the binary 0.28
    assert scoring.round_score(2.5, 0) == 3
    assert scoring.round_score(1 / 3 * 100, 2) == 33.33


def test_sum_score_type_averages():
    subtask = Subtask(name="x", points=10, tests=("a", "b", "c", "d"), score_type=ScoreType.SUM)
    results = {n: result(n, v) for n, v in zip("abcd", (1, 1, 0, 0.5))}
    assert scoring.score_subtasks([subtask], results, 2)[0].score == 6.25


def test_missing_test_counts_as_zero_and_empty_subtask_earns_nothing():
    assert scoring.subtask_fraction(SUBTASKS[1], {"s1": 1, "a": 1}) == 0
    assert scoring.subtask_fraction(Subtask(name="e", points=5, tests=()), {}) == 0


def test_subtask_status_prefers_the_most_severe_among_the_lowest():
    tests = [result("a", 0, TestStatus.WA), result("b", 0, TestStatus.TLE), result("c", 1)]
    assert scoring.subtask_status(tests) is TestStatus.TLE
    assert scoring.subtask_status([result("a", 1), result("b", 0.5)]) is TestStatus.PA
    assert scoring.subtask_status([TestResult(name="a", score=0, status=TestStatus.SKIPPED)]) is TestStatus.SKIPPED


def test_task_score_takes_the_best_of_each_subtask_across_submissions():
    # Submission 1 solves subtask 0 only, submission 2 subtask 1 only: IOI 2017+ adds them up.
    assert scoring.task_score([[30, 0, 10], [0, 70, 5]]) == 110
    assert scoring.task_score([]) == 0


def test_early_stop_skips_only_tests_whose_subtasks_are_all_zeroed():
    assert scoring.skippable("c", SUBTASKS, {"large"})
    assert not scoring.skippable("a", SUBTASKS, {"large"})  # still needed by "small"
    assert scoring.skippable("a", SUBTASKS, {"large", "small"})
    summed = [Subtask(name="x", points=1, tests=("t",), score_type=ScoreType.SUM)]
    assert not scoring.skippable("t", summed, {"x"})  # a zero does not decide a Sum subtask


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=20), st.floats(min_value=0, max_value=100))
def test_group_min_score_is_bounded_by_points(outcomes, points):
    names = [f"t{i}" for i in range(len(outcomes))]
    subtask = Subtask(name="x", points=points, tests=tuple(names))
    results = {n: result(n, o) for n, o in zip(names, outcomes)}
    score = scoring.score_subtasks([subtask], results, 2)[0].score
    assert 0 <= score <= round(points, 2) + 0.005
    assert score == pytest.approx(points * min(outcomes), abs=0.006)
