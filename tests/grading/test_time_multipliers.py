"""Per-language time multipliers: off by default, set per problem (TPS `time_multipliers`) or
per request (`GradeOptions.time_multipliers`, which wins), keyed by canonical language name."""

from __future__ import annotations

import pytest
from support import write_task

from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.model import check_time_multipliers, time_limit_for
from ioi_grader.problems.tps import load_tps

# 0.6 s of CPU, then the right answer: over a 0.4 s limit, within 3 x 0.4 s.
SLOW_PYTHON = """import time
end = time.process_time() + 0.6
while time.process_time() < end: pass
print(int(input()) * 2)
"""


def test_the_limit_is_the_first_table_that_names_the_language():
    assert time_limit_for(1.0, "cpp", {"python": 3.0}) == 1.0  # off unless named
    assert time_limit_for(1.0, "python3", None, {"python": 3.0}) == 3.0  # an alias of python
    assert time_limit_for(1.0, "python", {"python": 2.0}, {"python": 3.0}) == 2.0  # the request's first


@pytest.mark.parametrize("bad", [{"python": 0}, {"python": -1}, {"python": 101}, {"python": True}, {"python": "3"}])
def test_a_multiplier_outside_0_to_100_is_refused(bad):
    with pytest.raises(ValueError, match="time multiplier of python"):
        check_time_multipliers(bad)


def double_task(tmp_path, extra: str = ""):
    return load_tps(write_task(tmp_path / "double", {
        "problem.json": '{"code": "double", "name": "Double", "time_limit": 0.4, "memory_limit": 268435456'
                        + extra + "}",
        "subtasks/01-all.json": '{"score": 100, "testcases": ["1"]}',
        "tests/1.in": "21\n", "tests/1.out": "42\n",
    }))


def test_without_a_multiplier_the_slow_solution_is_tle(fake_grader, tmp_path):
    result = fake_grader.grade(double_task(tmp_path), Submission(language="python", code=SLOW_PYTHON))
    assert result.tests["1"].status is TestStatus.TLE


def test_the_problems_multiplier_gives_python_its_time(fake_grader, tmp_path):
    problem = double_task(tmp_path, ', "time_multipliers": {"python": 3}')
    result = fake_grader.grade(problem, Submission(language="python", code=SLOW_PYTHON))
    assert result.tests["1"].status is TestStatus.AC and result.score == 100


def test_the_requests_multiplier_wins_over_the_problems(fake_grader, tmp_path):
    problem = double_task(tmp_path, ', "time_multipliers": {"python": 3}')
    result = fake_grader.grade(problem, Submission(language="python", code=SLOW_PYTHON),
                               GradeOptions(time_multipliers={"python": 1}))
    assert result.tests["1"].status is TestStatus.TLE
