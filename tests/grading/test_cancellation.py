"""Cancelling what cannot matter: the board's bookkeeping (pure), and the grader through the
plain-process test double, where a test running in one box is cancelled as soon as a result
from another box decides every subtask it belongs to."""

from __future__ import annotations

import threading

import pytest
from support import write_task

from ioi_grader.grading.board import RunSpan, TestBoard
from ioi_grader.grading.grader import GradeHooks, schedule_tests
from ioi_grader.grading.results import TestResult, TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.model import Subtask
from ioi_grader.problems.tps import load_tps


def result(name: str, score: float, cpu: float = 0.01) -> TestResult:
    return TestResult(name=name, status=TestStatus.from_outcome(score), score=score, time=cpu, wall=cpu)


SUBTASKS = [Subtask(name="small", points=40, tests=("a", "b")), Subtask(name="large", points=60, tests=("b", "c", "d"))]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_decision_cancels_only_tests_no_undecided_subtask_needs():
    board = TestBoard(["a", "b", "c", "d"], SUBTASKS, early_stop=True, clock=Clock())
    assert board.take(1) == ["a"] and board.take(2) == ["b", "c"]
    board.start("box1", ["a"])
    board.start("box2", ["b", "c"])
    # "a" fails: "small" is decided, but "b" is still needed by "large"; nothing to cancel.
    assert board.finish(["a"], [result("a", 0.0)], []) == []
    board.leave("box1")
    # "d" fails in a third box: "large" is decided too, so box2's "b" and "c" cannot matter.
    board.start("box3", board.take(1))
    assert board.finish(["d"], [result("d", 0.0)], []) == [("box2", ["b", "c"])]


def test_cancelled_tests_are_skipped_and_a_stopped_batch_goes_back_to_the_front():
    board = TestBoard(["a", "b", "c", "d"], SUBTASKS, early_stop=True, clock=Clock())
    batch = board.take(4)
    board.start("box", batch)
    # The box stopped after "b" (a crash): "c" and "d" were not run and go back to the queue.
    board.finish(batch, [result("a", 1.0), result("b", 0.0)], [])
    board.leave("box")
    # "b" zeroed both subtasks: what is left is skipped, never run.
    assert board.take(4) == []
    results = board.ordered_results()
    assert [results[n].status for n in "abcd"] == [TestStatus.AC, TestStatus.WA, TestStatus.SKIPPED, TestStatus.SKIPPED]
    stats = board.stats()
    assert (stats.tests_run, stats.tests_skipped, stats.tests_cancelled) == (2, 2, 0)


def test_stop_on_failure_skips_and_cancels_everything_after_one_failure():
    """Codeforces pass/fail: one test that did not pass decides the submission, whatever the
    subtasks (here without early stop, as `mode=pass_fail` asks)."""
    board = TestBoard(["a", "b", "c", "d"], SUBTASKS, early_stop=False, clock=Clock(), stop_on_failure=True)
    board.start("box1", board.take(1))
    board.start("box2", board.take(2))
    assert board.finish(["a"], [result("a", 1.0)], []) == []  # a pass changes nothing
    board.leave("box1")
    board.start("box1", board.take(1))
    assert board.finish(["d"], [result("d", 0.0)], []) == [("box2", ["b", "c"])]
    board.finish(["b", "c"], [], [], cancelled=["b", "c"])
    results = board.ordered_results()
    assert [results[n].status for n in "abcd"] == [TestStatus.AC, TestStatus.SKIPPED, TestStatus.SKIPPED, TestStatus.WA]
    assert results["b"].message == "Not run: an earlier test did not pass"


def test_a_test_that_became_moot_is_skipped_when_its_box_starts():
    board = TestBoard(["a", "b"], [Subtask(name="s", points=1, tests=("a", "b"))], early_stop=True, clock=Clock())
    first, second = board.take(1), board.take(1)
    board.start("box1", first)
    board.finish(first, [result("a", 0.0)], [])
    assert board.start("box2", second) == []  # decided between take and start: not run
    assert board.ordered_results()["b"].status is TestStatus.SKIPPED


def test_wasted_cpu_is_what_ran_after_the_decision():
    clock = Clock()
    board = TestBoard(["a", "b", "c"], [Subtask(name="s", points=1, tests=("a", "b", "c"))], early_stop=True,
                      clock=clock)
    board.start("box1", board.take(1))
    board.start("box2", board.take(1))
    clock.now = 1.0
    board.finish(["a"], [result("a", 0.0, cpu=1.0)], [RunSpan("a", 1.0, 1.0, ended=1.0)])  # decides "s"
    # "b" ran from 0.5 to 1.5: half of its second of CPU came after the decision.
    clock.now = 1.5
    board.finish(["b"], [], [RunSpan("b", 1.0, 1.0, ended=1.5)], cancelled=["b"])
    assert board.take(1) == []  # "c" is never started
    stats = board.stats()
    assert stats.solution_cpu == pytest.approx(2.0) and stats.wasted_cpu == pytest.approx(0.5)
    assert (stats.tests_run, stats.tests_cancelled, stats.tests_skipped) == (1, 1, 1)


def test_without_early_stop_nothing_is_cancelled_or_wasted():
    board = TestBoard(["a", "b"], [Subtask(name="s", points=1, tests=("a", "b"))], early_stop=False, clock=Clock())
    board.start("box1", board.take(1))
    board.start("box2", board.take(1))
    assert board.finish(["a"], [result("a", 0.0)], [RunSpan("a", 1, 1, 1)]) == []
    assert board.take(1) == []
    board.finish(["b"], [result("b", 1.0)], [RunSpan("b", 1, 1, 2)])
    assert board.stats().wasted_cpu == 0 and board.stats().tests_run == 2


# -- through the grader and the plain-process double ------------------------------------------

# Test "k" asks the solution to behave: 0 right at once, 1 wrong at once, 3 spin for ever,
# 4 right after 0.3 s of CPU.
BEHAVE = """import sys, time
k = int(sys.stdin.readline())
if k == 1: print(-1)
elif k == 3:
    while True: pass
elif k == 4:
    end = time.process_time() + 0.3
    while time.process_time() < end: pass
    print(40)
else: print(k * 10)
"""


@pytest.fixture
def racing(tmp_path):
    # Inputs are padded so that the size order is: wrong, spin, slow_ok.
    return load_tps(write_task(tmp_path / "racing", {
        "problem.json": '{"code": "racing", "name": "Racing", "time_limit": 5, "memory_limit": 268435456}',
        "subtasks/01-doomed.json": '{"score": 50, "testcases": ["wrong", "spin", "slow_ok"]}',
        "subtasks/02-alive.json": '{"score": 50, "testcases": ["slow_ok"]}',
        "tests/wrong.in": "1\n", "tests/wrong.out": "10\n",
        "tests/spin.in": "3\n" + " " * 10, "tests/spin.out": "30\n",
        "tests/slow_ok.in": "4\n" + " " * 20, "tests/slow_ok.out": "40\n",
    }))


def test_the_schedule_puts_the_smallest_inputs_first(racing):
    assert schedule_tests(racing, list(racing.subtasks)) == ["wrong", "spin", "slow_ok"]
    assert schedule_tests(racing, list(racing.subtasks), "task") == ["wrong", "spin", "slow_ok"]


def test_a_running_test_is_cancelled_once_it_cannot_matter(fake_grader, racing):
    stats = []
    done = threading.Event()
    result = fake_grader.grade(racing, Submission(language="python", code=BEHAVE), GradeOptions(early_stop=True),
                               GradeHooks(on_finish=lambda s: (stats.append(s), done.set())))
    tests = result.tests
    assert tests["wrong"].status is TestStatus.WA
    # "spin" would run to its 5 s limit: it was cancelled (or never started), never judged.
    assert tests["spin"].status is TestStatus.SKIPPED
    # "slow_ok" is also in the undecided 02-alive: it runs to its end and scores.
    assert tests["slow_ok"].status is TestStatus.AC
    assert result.score == 50
    assert done.is_set() and stats[0].tests_run == 2 and stats[0].tests_cancelled + stats[0].tests_skipped == 1


def test_without_early_stop_every_test_runs(fake_grader, racing, tmp_path):
    quick = load_tps(write_task(tmp_path / "quick", {
        "problem.json": '{"code": "quick", "name": "Quick", "time_limit": 0.3, "memory_limit": 268435456}',
        "subtasks/01-all.json": '{"score": 100, "testcases": ["wrong", "spin"]}',
        "tests/wrong.in": "1\n", "tests/wrong.out": "10\n",
        "tests/spin.in": "3\n", "tests/spin.out": "30\n",
    }))
    result = fake_grader.grade(quick, Submission(language="python", code=BEHAVE))
    assert result.tests["wrong"].status is TestStatus.WA and result.tests["spin"].status is TestStatus.TLE
