"""Our own tasks through the real sandbox: Communication with one process (std_io) and with
two (fifo_io), including user processes that crash, spin or stop reading; and a stdin/stdout
task with Python submissions and a testlib checker."""

from __future__ import annotations

import pytest

from ioi_grader.grading.results import TestStatus
from ioi_grader.problems.tps import load_tps
from paths import EXAMPLES
from tasks import expected, grade_and_check

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def problems():
    return {name: load_tps(EXAMPLES / name) for name in ("guess", "relay", "sumlines")}


@pytest.mark.parametrize("name", sorted(expected("guess")))
def test_guess_one_process(grader, problems, name):
    result, _ = grade_and_check(grader, problems["guess"], "guess", name)
    if name == "partial_third.cpp":
        partial = [t for t in result.tests.values() if t.status is TestStatus.PA]
        assert partial and all(0 < t.score < 1 for t in partial)
    if name == "tle_spin.cpp":  # stopped reading and spun: caught by the CPU limit, no deadlock
        assert all(t.wall < 2 * problems["guess"].time_limit + 2 for t in result.tests.values())


@pytest.mark.parametrize("name", sorted(expected("relay")))
def test_relay_two_processes(grader, problems, name):
    result, _ = grade_and_check(grader, problems["relay"], "relay", name)
    if name == "correct.cpp":
        # CPU time is the two user processes' sum; memory the larger one's.
        assert all(t.time > 0 and t.memory > 0 for t in result.tests.values())


@pytest.mark.parametrize("name", sorted(expected("sumlines")))
def test_sumlines_python_and_testlib(grader, problems, name):
    result, want = grade_and_check(grader, problems["sumlines"], "sumlines", name)
    if "compile_message_contains" in want:
        assert want["compile_message_contains"] in result.compile.message


def test_python_is_refused_on_a_grader_task(grader, problems):
    from ioi_grader.grading.submission import Submission

    with pytest.raises(ValueError, match="stdin/stdout"):
        grader.grade(problems["guess"], Submission(language="python", code="print(1)"))


@pytest.mark.parametrize("name", ["correct.py", "wrong_int32.py", "raises.py"])
def test_sumlines_in_pypy(grader, problems, name):
    """PyPy 3 (languages/pypy3.py, one file) grades the same Python solutions the same way."""
    from ioi_grader.grading.submission import Submission
    from tasks import solution

    want = expected("sumlines")[name]
    result = grader.grade(problems["sumlines"], Submission(language="pypy3", code=solution("sumlines", name)))
    assert result.score == want["score"]
    assert {s.name: s.score for s in result.subtasks} == want["subtasks"]
