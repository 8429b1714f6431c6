"""The real tasks of ../shared/data graded end to end through the Docker sandbox, with the
graders, checker and solutions we wrote (tests/fixtures), and the verdicts each solution
was verified to deserve by running it directly (tests/fixtures/solutions/*/expected.json)."""

from __future__ import annotations

import pytest

from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.kattis import load_kattis
from ioi_grader.problems.tps import load_tps
from tasks import SOLUTIONS, assemble_aplusb, assemble_fish, expected, grade_and_check, solution

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def aplusb(tmp_path_factory):
    return load_tps(assemble_aplusb(tmp_path_factory.mktemp("tasks")))


@pytest.fixture(scope="module")
def fish(tmp_path_factory):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the shared package's dangling group8 links (see the issue note)
        return load_kattis(assemble_fish(tmp_path_factory.mktemp("tasks")), time_limit=1.0)


@pytest.mark.parametrize("name", sorted(expected("aplusb")))
def test_aplusb_solutions(grader, aplusb, name):
    result, want = grade_and_check(grader, aplusb, "aplusb", name)
    if "compile_message_contains" in want:
        assert result.compile.status.value == "CE"
        assert want["compile_message_contains"] in result.compile.message
    if want["status"] == "TLE":  # the slow one is caught on the large tests, at the limit
        slow = [t for t in result.tests.values() if t.status is TestStatus.TLE]
        assert slow and all(aplusb.time_limit <= t.time < aplusb.time_limit + 0.2 for t in slow)
    if name.startswith("cheat"):
        assert result.score == 0


def test_aplusb_3gib_allocation_is_mle(grader, aplusb):
    """3 GiB touched against the 2 GiB limit, with CPU time to spare: the memory cgroup
    stops every test at the limit, and the reported peak is the limit."""
    result, _ = grade_and_check(grader, aplusb, "aplusb", "mle_3gib.cpp", GradeOptions(time_limit=5.0))
    for test in result.tests.values():
        assert test.status is TestStatus.MLE and test.message == "Memory limit exceeded"
        assert aplusb.memory_limit - (16 << 20) <= test.memory <= aplusb.memory_limit


def test_aplusb_reports_time_and_memory(grader, aplusb):
    result = grader.grade(aplusb, Submission(code=solution("aplusb", "correct.cpp")))
    for test in result.tests.values():
        assert 0 < test.time < 0.1 and 0 < test.memory < 64 << 20
        assert test.message == "Output is correct"


def fish_solutions() -> list[str]:
    path = SOLUTIONS / "fish" / "expected.json"
    return sorted(expected("fish")) if path.exists() else []


@pytest.mark.parametrize("name", fish_solutions())
def test_fish_solutions(grader, fish, name):
    grade_and_check(grader, fish, "fish", name)


def test_fish_is_the_real_package(fish):
    assert [s.points for s in fish.subtasks] == [0, 3, 6, 9, 14, 21, 17, 14, 16]
    assert fish.memory_limit == 2048 << 20 and fish.time_limit == 1.0
    assert fish.compilation == "grader"
